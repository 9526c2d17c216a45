#include "service_node.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cmath>

#include "core/client_reply.h"
#include "host/wire.h"
#include "kafka_model.h"
#include "message_names.h"
#include "population.h"
#include "world.h"

namespace msgbed::sim {

namespace {

// A cost the scenario's table must have.
const ServiceTime* CostFor(const CostTable& costs, const std::string& key) {
  auto it = costs.find(key);
  if (it == costs.end()) throw ScenarioError("no cost for '" + key + "' in the scenario's cost table");
  return &it->second;
}

}  // namespace

ServiceNode::ServiceNode(World* world, const RoleSpec& role, Address self, const Placement& at, uint64_t seed)
    : Node(world, ToString(self), at),
      role_(role),
      host_(
          self,
          [this](Env* env) {
            auto it = world_->scenario.role_settings.find(role_.name);
            return role_.make(env, world_->shape,
                              it == world_->scenario.role_settings.end() ? RoleSettings{} : it->second);
          },
          this, seed) {
  for (const auto& req : role.serves)
    request_costs_[req.type] = CostFor(world->scenario.costs, role.name + "." + req.type->name());
  reply_cost_ = CostFor(world->scenario.costs, role.name + ".reply");
  if (auto it = world->scenario.costs.find(role.name + ".record"); it != world->scenario.costs.end()) {
    record_cost_ = &it->second;
  }
}

void ServiceNode::StartInstance() {
  host_.Start();
  for (const auto* type : host_.handlers().types()) {
    if (!request_costs_.contains(type)) {
      throw ScenarioError("role '" + role_.name + "' handles " + type->full_name() +
                          " but its registration declares no cost for it");
    }
  }
}

void ServiceNode::CrashInstance() {
  producer_.Crash();
  host_.Crash();
  std::vector<ConnId> open(open_clients_.begin(), open_clients_.end());
  std::sort(open.begin(), open.end());  // a set's order is not the same everywhere
  for (ConnId conn : open) ClosedByGateway(conn);
  open_clients_.clear();
}

void ServiceNode::ClosedByGateway(ConnId conn) {
  Population& pop = *world_->populations.at(host_.Self().index());
  Node::Transmit(pop, "close", 0, 0, [&pop, conn] { pop.OnClosed(conn); });
}

Micros ServiceNode::Now() const { return std::llround(world_->Now() * 1e6); }
Micros ServiceNode::Date() const { return kSimulatedEpoch + Now(); }

void ServiceNode::At(Micros at, std::function<void()> fn) { Post(static_cast<double>(at) / 1e6, 0, std::move(fn)); }

size_t ServiceNode::RunProviders::Providers(std::string_view channel) const {
  const OutboundModel* model = node_->world_->Outbound(channel);
  return model ? model->providers() : 0;
}

void ServiceNode::RunProviders::Deliver(std::string_view channel, size_t index, const OutboundMessage& message,
                                        Done done) {
  World& w = *node_->world_;
  const double now = w.Now();
  const OutboundModel::Outcome out = w.Outbound(channel)->Attempt(index, now);
  node_->Post(now + out.answer_after, 0, [out, done = std::move(done)] {
    done(out.accepted ? Status::Ok() : Status::IoError("the provider refused or did not answer"));
  });
  if (!out.arrives) return;
  const auto& arrived = channel == kSmsChannel ? w.sms_arrived : w.push_arrived;
  if (arrived) arrived(message, now + out.delivered_after);
}

double ServiceNode::CostOf(const Envelope& e) {
  if (e.kind == Envelope::Kind::kReply) return world_->Draw(*reply_cost_);
  auto it = e.body ? request_costs_.find(e.body->GetDescriptor()) : request_costs_.end();
  // unhandled: refused at the cost of a reply
  return world_->Draw(it == request_costs_.end() ? *reply_cost_ : *it->second);
}

double ServiceNode::RecordCost(const BusRecord& r) {
  const Body& body = r.decoded->body;
  auto cost = body ? request_costs_.find(body->GetDescriptor()) : request_costs_.end();
  // fetching and decoding it, then its handler (none: dropped unhandled)
  const double fetch = record_cost_ ? world_->Draw(*record_cost_) : world_->DrawCost(role_.name + ".record");
  return fetch + (cost != request_costs_.end() ? world_->Draw(*cost->second) : 0);
}

void ServiceNode::Transmit(Envelope e) {
  ServiceNode* dst = world_->FindService(e.to);
  if (dst == nullptr) return host_.Undeliverable(e);  // as the live router: not in the deployment
  const Faults::Effect fx =
      world_->faults.OnEnvelope(Node::host()->get_name(), dst->Node::host()->get_name(), world_->Now());
  for (int copy = 1; copy < fx.copies; ++copy) Carry(*dst, e, fx.delay);
  if (fx.copies > 0) Carry(*dst, std::move(e), fx.delay);
}

void ServiceNode::Carry(ServiceNode& dst, Envelope e, double delay) {
  const size_t bytes = e.ByteSize();
  const double cpu = dst.CostOf(e);
  const std::string_view label = !tracing() ? "" : e.body ? BodyName(*e.body) : "reply";  // for traces only
  // Whether the receiver is up is decided when the message arrives; if it
  // is down then, the sender hears of it as a live one would (connection
  // refused) and the message is lost.
  const bool bulk = e.bulk;
  auto arrive = [this, &dst, e = std::move(e)] {
    if (!dst.host().running()) return host_.Undeliverable(e);
    if (e.kind != Envelope::Kind::kCall || dst.Admit()) return dst.host().Deliver(e);
    dst.Transmit(Envelope{e.to, e.from, Envelope::Kind::kReply, e.call_id, rpc::OVERLOADED, nullptr, e.bulk});
  };
  if (bulk) return TransmitBulk(dst, label, bytes, cpu, std::move(arrive));
  Node::Transmit(dst, label, bytes, cpu, std::move(arrive), delay);
}

void ServiceNode::SendToClient(ConnId conn, api::ServerFrame frame) {
  Population& pop = *world_->populations.at(host_.Self().index());
  const std::string_view label = tracing() ? BodyName(frame) : "";
  const size_t bytes = frame.ByteSizeLong();
  const bool bulk = frame.has_file_part();  // as a device's upload parts (Population::SimDevice::SendFrame)
  auto arrive = [&pop, conn, frame = std::move(frame)] { pop.OnGatewayFrame(conn, frame); };
  if (bulk) return TransmitBulk(pop, label, bytes, 0, std::move(arrive));
  Node::Transmit(pop, label, bytes, 0, std::move(arrive));
}

void ServiceNode::ClientOpened(ConnId conn, const std::string& source) {
  if (!host_.running()) return ClosedByGateway(conn);  // nobody listens: refused
  open_clients_.insert(conn);
  host_.ClientOpened(conn, source);
}

void ServiceNode::ClientClosed(ConnId conn) {
  if (open_clients_.erase(conn) > 0) host_.ClientClosed(conn);
}

void ServiceNode::ClientFrame(ConnId conn, const api::ClientFrame& frame) {
  if (!open_clients_.contains(conn)) return;
  if (frame.request_id() == 0 || Admit()) return host_.ClientFrame(conn, frame);
  api::ServerFrame refusal = ErrorFrame(api::UNAVAILABLE, "the gateway is overloaded; retry later");
  refusal.set_request_id(frame.request_id());
  SendToClient(conn, std::move(refusal));
}

bool ServiceNode::Admit() {
  if (queue_limit_ == 0 || Waiting() < queue_limit_) return true;
  Shed();
  host_.Stats().Add("sim.refused");
  return false;
}

void ServiceNode::CloseClient(ConnId conn, std::string_view /*reason*/) {
  if (open_clients_.erase(conn) == 0) return;
  ClosedByGateway(conn);
  // As a live gateway hears of a connection it closed itself.
  Post(world_->Now(), 0, [this, conn] { host_.ClientClosed(conn); });
}

void ServiceNode::Publish(const std::string& topic, const std::string& key, Envelope e) {
  producer_.Publish(topic, key, std::make_shared<const Envelope>(std::move(e)));
}

void ServiceNode::JoinGroup(const std::string& group, const std::vector<std::string>& topics) {
  world_->kafka->JoinGroup(this, group, topics);
}

void ServiceNode::LeaveGroup(bool orderly) { world_->kafka->LeaveGroup(this, orderly); }

Status ServiceNode::ChargeWrite(size_t bytes) {
  double slowdown = 1;
  if (!world_->faults.DiskWrite(name(), world_->Now(), &slowdown)) {
    return Status::IoError("no space left on device (a disk fault of the scenario)");
  }
  const HostDisk* d = disk();
  const double seconds = d ? d->spec().WriteTime(static_cast<double>(bytes)) : world_->DrawCost("storage.write");
  ChargeIo(seconds * slowdown);
  return Status::Ok();
}

void ServiceNode::ChargeRead(size_t bytes) {
  const HostDisk* d = disk();
  if (d == nullptr || d->spec().cache_hit >= 1) return;
  if (d->spec().cache_hit > 0 && world_->Uniform() < d->spec().cache_hit) return;
  ChargeIo(d->spec().ReadTime(static_cast<double>(bytes)));
}

Status ServiceNode::ChargedKv::Write(const WriteBatch& batch) {
  if (Status s = node_->ChargeWrite(batch.ByteSize()); !s.ok()) return s;
  return node_->store_.Write(batch);
}

std::optional<std::string> ServiceNode::ChargedKv::Get(std::string_view key, Status* s) {
  auto value = node_->store_.Get(key, s);
  node_->ChargeRead(key.size() + (value ? value->size() : 0));
  return value;
}

Status ServiceNode::ChargedKv::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  return Charged(node_->store_.Scan(from, to, limit, out), *out);
}

Status ServiceNode::ChargedKv::ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  return Charged(node_->store_.ScanBack(from, to, limit, out), *out);
}

Status ServiceNode::ChargedKv::Charged(Status s, const Entries& out) {
  size_t bytes = 0;
  for (const auto& [k, v] : out) bytes += k.size() + v.size();
  node_->ChargeRead(bytes);
  return s;
}

Status ServiceNode::ChargedBlobs::PutPart(std::string_view upload, uint32_t part, std::string_view bytes) {
  if (Status s = node_->ChargeWrite(bytes.size()); !s.ok()) return s;
  return node_->blobs_.PutPart(upload, part, bytes);
}

Status ServiceNode::ChargedBlobs::ReadPart(std::string_view upload, uint32_t part, std::string* out) {
  Status s = node_->blobs_.ReadPart(upload, part, out);
  node_->ChargeRead(out->size());
  return s;
}

Status ServiceNode::ChargedBlobs::Seal(std::string_view upload, uint32_t parts, std::string_view sha256) {
  const uint64_t moved = node_->blobs_.UploadBytes(upload);
  node_->ChargeRead(moved);
  if (Status s = node_->ChargeWrite(moved); !s.ok()) return s;
  return node_->blobs_.Seal(upload, parts, sha256);
}

Status ServiceNode::ChargedBlobs::DropUpload(std::string_view upload) { return node_->blobs_.DropUpload(upload); }

Status ServiceNode::ChargedBlobs::Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) {
  Status s = node_->blobs_.Read(sha256, offset, limit, out);
  if (limit > 0) node_->ChargeRead(out->size());
  return s;
}

Status ServiceNode::ChargedBlobs::Delete(std::string_view sha256) {
  if (Status s = node_->ChargeWrite(0); !s.ok()) return s;
  return node_->blobs_.Delete(sha256);
}

}  // namespace msgbed::sim
