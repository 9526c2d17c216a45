#include "host/wire.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace msgbed {

namespace {

rpc::Wire::Kind WireKind(Envelope::Kind k) {
  switch (k) {
    case Envelope::Kind::kCall: return rpc::Wire::CALL;
    case Envelope::Kind::kReply: return rpc::Wire::REPLY;
    default: return rpc::Wire::ONE_WAY;
  }
}

Envelope::Kind EnvelopeKind(rpc::Wire::Kind k) {
  switch (k) {
    case rpc::Wire::CALL: return Envelope::Kind::kCall;
    case rpc::Wire::REPLY: return Envelope::Kind::kReply;
    default: return Envelope::Kind::kOneWay;
  }
}

bool Fail(std::string* error, std::string why) {
  *error = std::move(why);
  return false;
}

}  // namespace

std::string EncodeWire(const Envelope& e) {
  rpc::Wire w;
  *w.mutable_from() = e.from;
  *w.mutable_to() = e.to;
  w.set_kind(WireKind(e.kind));
  w.set_call_id(e.call_id);
  w.set_error(e.error);
  if (e.body) {
    w.set_type(e.body->GetDescriptor()->full_name());
    e.body->SerializeToString(w.mutable_body());
  }
  return w.SerializeAsString();
}

size_t WireSize(const Envelope& e) {
  using google::protobuf::internal::WireFormatLite;
  // Every field of rpc.Wire has a one-byte tag; from and to are always
  // written (mutable_from), the scalars and body only when not zero/empty.
  auto delimited = [](size_t n) { return 1 + WireFormatLite::LengthDelimitedSize(n); };
  size_t n = delimited(e.from.ByteSizeLong()) + delimited(e.to.ByteSizeLong());
  if (const int kind = WireKind(e.kind); kind != 0) n += 1 + WireFormatLite::EnumSize(kind);
  if (e.call_id != 0) n += 1 + WireFormatLite::UInt64Size(e.call_id);
  if (e.error != 0) n += 1 + WireFormatLite::EnumSize(e.error);
  if (e.body) {
    n += delimited(e.body->GetDescriptor()->full_name().size());
    if (const size_t body = e.body->ByteSizeLong(); body > 0) n += delimited(body);
  }
  return n;
}

bool DecodeWire(std::string_view bytes, Envelope* e, std::string* error) {
  rpc::Wire w;
  if (!w.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return Fail(error, "not a Wire");
  e->from = w.from();
  e->to = w.to();
  e->kind = EnvelopeKind(w.kind());
  e->call_id = w.call_id();
  e->error = w.error();
  e->body.reset();
  if (w.type().empty()) return true;
  const auto* type = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(w.type());
  if (type == nullptr) return Fail(error, "unknown message type " + w.type());
  std::shared_ptr<google::protobuf::Message> body(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  if (!body->ParseFromString(w.body())) return Fail(error, "unparsable " + w.type());
  e->body = std::move(body);
  return true;
}

std::string WireType(std::string_view bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  const int type_field = rpc::Wire::kTypeFieldNumber;
  while (const uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == type_field &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      std::string type;
      if (!in.ReadVarint32(&length) || !in.ReadString(&type, static_cast<int>(length))) return "";
      return type;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return "";
  }
  return "";
}

}  // namespace msgbed
