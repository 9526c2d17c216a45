#include "unit/test_cluster.h"

#include "gateway/gateway_service.h"
#include "messages/message_service.h"
#include "sync/sync_service.h"

namespace msgbed::testing {

Micros TestEnv::Now() const { return cluster_->now_; }

TimerId TestEnv::StartTimer(Micros delay, std::function<void()> fn) {
  const TimerId id = cluster_->next_timer_++;
  cluster_->timers_[id] = {cluster_->now_ + delay, std::move(fn)};
  return id;
}

void TestEnv::CancelTimer(TimerId id) { cluster_->timers_.erase(id); }

void TestEnv::Send(rpc::Envelope msg) {
  *msg.mutable_from() = self_;
  cluster_->queue_.push_back(TestCluster::ToService{std::move(msg)});
}

void TestEnv::SendToClient(ConnId conn, const api::ServerFrame& frame) {
  cluster_->queue_.push_back(TestCluster::ClientOut{conn, frame});
}

void TestEnv::CloseClient(ConnId conn, std::string_view reason) {
  closed_reasons_.emplace_back(reason);
  cluster_->conns_.erase(conn);
}

void TestEnv::Publish(const std::string& topic, const std::string& key, std::string payload) {
  cluster_->queue_.push_back(TestCluster::ToBus{topic, key, std::move(payload)});
}

TestDevice::TestDevice(TestCluster* c, uint64_t user, uint64_t device, uint32_t gw)
    : cluster(c), gateway(gw), core(user, device, this, this) {}

void TestDevice::SendFrame(const api::ClientFrame& frame) {
  cluster->queue_.push_back(TestCluster::ClientIn{gateway, conn, frame});
}

TestCluster::TestCluster(ClusterShape shape) : shape_(shape) {
  auto host = [&](const char* role, uint32_t i, auto make) {
    auto a = MakeAddress(role, i);
    Hosted h;
    h.env = std::make_unique<TestEnv>(this, a);
    h.service = make(h.env.get());
    services_.emplace(a, std::move(h));
  };
  for (uint32_t i = 0; i < shape.gateways; ++i)
    host(role::kGateway, i, [&](Env* e) { return std::make_unique<GatewayService>(e, shape); });
  for (uint32_t i = 0; i < shape.messages; ++i)
    host(role::kMessages, i, [&](Env* e) { return std::make_unique<MessageService>(e, shape); });
  for (uint32_t i = 0; i < shape.sync; ++i)
    host(role::kSync, i, [&](Env* e) { return std::make_unique<SyncService>(e, shape); });
}

TestDevice& TestCluster::AddDevice(uint64_t user, uint64_t device, uint32_t gateway) {
  devices_.push_back(std::make_unique<TestDevice>(this, user, device, gateway));
  return *devices_.back();
}

void TestCluster::Attach(TestDevice& d) {
  d.conn = next_conn_++;
  conns_[d.conn] = &d;
}

void TestCluster::Connect(TestDevice& d) {
  Attach(d);
  d.core.Connected();
}

void TestCluster::Disconnect(TestDevice& d) {
  conns_.erase(d.conn);
  d.core.Disconnected();
  service(MakeAddress(role::kGateway, d.gateway)).OnClientClosed(d.conn);
}

void TestCluster::Deliver(Work& w) {
  if (auto* m = std::get_if<ToService>(&w)) {
    if (drop && drop(m->msg)) return;
    service(m->msg.to()).OnMessage(m->msg);
  } else if (auto* b = std::get_if<ToBus>(&w)) {
    BusRecord r{b->topic, PartitionOfKey(b->key, shape_.partitions), bus_offset_++, b->key, b->payload};
    for (auto& [addr, h] : services_) {
      for (const auto& sub : h.service->Subscriptions()) {
        if (sub.topic == r.topic && sub.partition == r.partition) h.service->OnBusRecord(r);
      }
    }
  } else if (auto* in = std::get_if<ClientIn>(&w)) {
    if (conns_.contains(in->conn)) service(MakeAddress(role::kGateway, in->gateway)).OnClientFrame(in->conn, in->frame);
  } else if (auto* out = std::get_if<ClientOut>(&w)) {
    auto it = conns_.find(out->conn);
    if (it != conns_.end()) it->second->core.OnFrame(out->frame);
  }
}

size_t TestCluster::Run() {
  size_t steps = 0;
  while (!queue_.empty()) {
    Work w = std::move(queue_.front());
    queue_.pop_front();
    Deliver(w);
    ++steps;
  }
  return steps;
}

void TestCluster::Advance(Micros by) {
  now_ += by;
  for (;;) {
    auto due = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.at <= now_ && (due == timers_.end() || it->second.at < due->second.at)) due = it;
    }
    if (due == timers_.end()) break;
    auto fn = std::move(due->second.fn);
    timers_.erase(due);
    fn();
    Run();
  }
}

}  // namespace msgbed::testing
