#include "service_node.h"

#include <cmath>

#include "kafka_model.h"
#include "message_names.h"
#include "population.h"
#include "world.h"

namespace msgbed::sim {

ServiceNode::ServiceNode(World* world, rpc::Address self, const Placement& at, uint64_t seed)
    : Node(world, ToString(self), at), self_(std::move(self)), rng_(seed) {}

Micros ServiceNode::Now() const { return std::llround(simgrid::s4u::Engine::get_clock() * 1e6); }

TimerId ServiceNode::StartTimer(Micros delay, std::function<void()> fn) {
  const TimerId id = next_timer_++;
  timers_.insert(id);
  Post(simgrid::s4u::Engine::get_clock() + delay / 1e6, 0, [this, id, fn = std::move(fn)] {
    if (timers_.erase(id)) fn();
  });
  return id;
}

double ServiceNode::CostOf(const rpc::Envelope& msg) const {
  const CostTable& c = world_->scenario.costs;
  switch (msg.body_case()) {
    case rpc::Envelope::kSendMessage: return c.messages_send;
    case rpc::Envelope::kAppendToBox: return c.messages_append;
    case rpc::Envelope::kGetDifference: return c.messages_get_difference;
    case rpc::Envelope::kClientReply: return c.gateway_reply;
    case rpc::Envelope::kDeviceOnline:
    case rpc::Envelope::kDeviceOffline:
    case rpc::Envelope::kDeviceAcked: return c.sync_rpc;
    default: return c.sync_rpc;
  }
}

void ServiceNode::Send(rpc::Envelope msg) {
  *msg.mutable_from() = self_;
  ServiceNode& dst = world_->Service(msg.to());
  const size_t bytes = msg.ByteSizeLong();
  const double cpu = CostOf(msg);
  const std::string_view label = BodyName(msg);
  Transmit(dst, label, bytes, cpu, [&dst, msg = std::move(msg)] { dst.core().OnMessage(msg); });
}

void ServiceNode::SendToClient(ConnId conn, const api::ServerFrame& frame) {
  Population& pop = *world_->populations.at(self_.index());
  Transmit(pop, BodyName(frame), frame.ByteSizeLong(), 0, [&pop, conn, frame] { pop.OnServerFrame(conn, frame); });
}

void ServiceNode::CloseClient(ConnId conn, std::string_view /*reason*/) {
  Population& pop = *world_->populations.at(self_.index());
  Transmit(pop, "close", 0, 0, [&pop, conn] { pop.OnClosed(conn); });
  // As a live gateway hears of a connection it closed itself.
  Post(simgrid::s4u::Engine::get_clock(), 0, [this, conn] { service_->OnClientClosed(conn); });
}

void ServiceNode::Publish(const std::string& topic, const std::string& key, std::string payload) {
  world_->kafka->Produce(*this, topic, key, std::move(payload));
}

Status ServiceNode::ChargedKv::Write(const WriteBatch& batch) {
  node_->ChargeIo(node_->world_->scenario.costs.storage_write);
  return node_->store_.Write(batch);
}

}  // namespace msgbed::sim
