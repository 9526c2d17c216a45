#include "unit/test_cluster.h"

#include "roles/make_service.h"

namespace msgbed::testing {

Micros TestEnv::Now() const { return cluster_->now_; }

TimerId TestEnv::StartTimer(Micros delay, std::function<void()> fn) {
  const TimerId id = cluster_->next_timer_++;
  cluster_->timers_[id] = {cluster_->now_ + delay, self_, std::move(fn)};
  return id;
}

void TestEnv::CancelTimer(TimerId id) { cluster_->timers_.erase(id); }

void TestEnv::Send(rpc::Envelope msg) {
  *msg.mutable_from() = self_;
  cluster_->queue_.push_back(TestCluster::ToService{std::move(msg)});
}

void TestEnv::SendToClient(ConnId conn, const api::ServerFrame& frame) {
  cluster_->queue_.push_back(TestCluster::ClientOut{self_.index(), conn, frame});
}

void TestEnv::CloseClient(ConnId conn, std::string_view reason) {
  closed_reasons_.emplace_back(reason);
  cluster_->queue_.push_back(TestCluster::ClientClose{self_.index(), conn});
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
  auto host = [&](const char* role, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) {
      const rpc::Address a = MakeAddress(role, i);
      Hosted h;
      h.env = std::make_unique<TestEnv>(this, a);
      h.service = Make(a, h.env.get());
      services_.emplace(a, std::move(h));
    }
  };
  host(role::kGateway, shape.gateways);
  host(role::kMessages, shape.messages);
  host(role::kSync, shape.sync);
}

std::unique_ptr<Service> TestCluster::Make(const rpc::Address& a, Env* env) const {
  return MakeService(a.role(), env, shape_);
}

TestDevice& TestCluster::AddDevice(uint64_t user, uint64_t device, uint32_t gateway) {
  devices_.push_back(std::make_unique<TestDevice>(this, user, device, gateway));
  return *devices_.back();
}

void TestCluster::Attach(TestDevice& d) {
  ConnId& next = next_conn_[d.gateway];
  d.conn = ++next;
  d.open = true;
  conns_[{d.gateway, d.conn}] = &d;
  service(MakeAddress(role::kGateway, d.gateway)).OnClientOpened(d.conn);
}

void TestCluster::Connect(TestDevice& d) {
  Attach(d);
  d.core.Connected();
}

void TestCluster::Disconnect(TestDevice& d) {
  conns_.erase({d.gateway, d.conn});
  d.open = false;
  d.core.Disconnected();
  service(MakeAddress(role::kGateway, d.gateway)).OnClientClosed(d.conn);
}

void TestCluster::SendRaw(TestDevice& d, api::ClientFrame frame) { d.SendFrame(frame); }

void TestCluster::Restart(const rpc::Address& a) {
  Hosted& h = services_.at(a);
  std::erase_if(timers_, [&](const auto& t) { return SameAddress(t.second.owner, a); });
  h.service.reset();
  if (a.role() == role::kGateway) {
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->first.first != a.index()) {
        ++it;
        continue;
      }
      it->second->open = false;
      it->second->core.Disconnected();
      it = conns_.erase(it);
    }
    next_conn_[a.index()] = 0;
  }
  h.service = Make(a, h.env.get());
}

TestDevice* TestCluster::DeviceAt(uint32_t gateway, ConnId conn) const {
  auto it = conns_.find({gateway, conn});
  return it == conns_.end() ? nullptr : it->second;
}

void TestCluster::Deliver(Work& w) {
  if (auto* m = std::get_if<ToService>(&w)) {
    if (drop && drop(m->msg)) return;
    auto it = services_.find(m->msg.to());
    if (it == services_.end()) {
      ++undeliverable_;  // as live: best effort, nobody there
      return;
    }
    it->second.service->OnMessage(m->msg);
  } else if (auto* b = std::get_if<ToBus>(&w)) {
    BusRecord r{b->topic, PartitionOfKey(b->key, shape_.partitions), bus_offset_++, b->key, b->payload};
    for (auto& [addr, h] : services_) {
      for (const auto& sub : h.service->Subscriptions()) {
        if (sub.topic == r.topic && sub.partition == r.partition) h.service->OnBusRecord(r);
      }
    }
  } else if (auto* in = std::get_if<ClientIn>(&w)) {
    if (DeviceAt(in->gateway, in->conn)) {
      service(MakeAddress(role::kGateway, in->gateway)).OnClientFrame(in->conn, in->frame);
    }
  } else if (auto* out = std::get_if<ClientOut>(&w)) {
    if (TestDevice* d = DeviceAt(out->gateway, out->conn)) {
      d->frames.push_back(out->frame);
      d->core.OnFrame(out->frame);
    }
  } else if (auto* close = std::get_if<ClientClose>(&w)) {
    // As a live socket closed by the server: the device sees the end, the
    // gateway hears of it like any other close.
    if (TestDevice* d = DeviceAt(close->gateway, close->conn)) {
      conns_.erase({close->gateway, close->conn});
      d->open = false;
      d->core.Disconnected();
      service(MakeAddress(role::kGateway, close->gateway)).OnClientClosed(close->conn);
    }
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
  const Micros end = now_ + by;
  for (;;) {
    auto due = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.at <= end && (due == timers_.end() || it->second.at < due->second.at)) due = it;
    }
    if (due == timers_.end()) break;
    now_ = std::max(now_, due->second.at);
    auto fn = std::move(due->second.fn);
    timers_.erase(due);
    fn();
    Run();
  }
  now_ = end;
}

}  // namespace msgbed::testing
