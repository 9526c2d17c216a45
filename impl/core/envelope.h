// Envelope: one message between service instances, in memory. A body is any
// role's Protobuf message, shared and immutable, so that carrying it through
// a process or the simulator copies nothing; the live runtime serializes it
// as rpc.Wire only to cross a process boundary.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <memory>

#include "core/address.h"
#include "proto/rpc.pb.h"

namespace msgbed {

using Body = std::shared_ptr<const google::protobuf::Message>;

// A new message of type M to fill in and send.
template <typename M>
std::shared_ptr<M> NewBody() {
  return std::make_shared<M>();
}
// ... or one made already.
template <typename M>
std::shared_ptr<M> NewBody(M&& m) {
  return std::make_shared<M>(std::move(m));
}

struct Envelope {
  enum class Kind : uint8_t { kOneWay, kCall, kReply };
  Address from;
  Address to;
  Kind kind = Kind::kOneWay;
  uint64_t call_id = 0;                 // kCall, kReply: pairs them
  rpc::CallError error = rpc::CALL_OK;  // kReply: why there is no body
  Body body;                            // null only in a failed reply
  // Travels on the bulk lane (Env::Transfer): as a flow of its own, in no
  // order with the ordered lane's messages.
  bool bulk = false;

  // Serialized size on the wire (rpc.Wire without the body's type name,
  // which a binary protocol would send as a small tag).
  size_t ByteSize() const { return (body ? body->ByteSizeLong() : 0) + from.ByteSizeLong() + to.ByteSizeLong() + 12; }
};

// Where the answer to a call goes; call_id 0 for a one-way message.
struct ReplyTo {
  Address caller;
  uint64_t call_id = 0;
  bool bulk = false;  // the call came as a Transfer: the reply goes back on the bulk lane
  bool expects_reply() const { return call_id != 0; }
};

// What a handler learns besides the body.
struct Incoming {
  Address from;
  ReplyTo reply_to;
  // The bus partition it was consumed from; kNotFromBus if it came directly.
  static constexpr int64_t kNotFromBus = -1;
  int64_t partition = kNotFromBus;
};

// The outcome of a call: its reply body, or why there is none.
struct CallResult {
  rpc::CallError error = rpc::CALL_OK;
  Body body;

  bool ok() const { return error == rpc::CALL_OK && body != nullptr; }
  // The body as M, or nullptr if it is not one (or the call failed).
  template <typename M>
  const M* As() const {
    return ok() && body->GetDescriptor() == M::descriptor() ? static_cast<const M*>(body.get()) : nullptr;
  }
};

}  // namespace msgbed
