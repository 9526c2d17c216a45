#include "unit/test_cluster.h"

#include <stdexcept>

#include "auth/credential.h"
#include "auth/provision.h"
#include "host/wire.h"

namespace msgbed::testing {

namespace {
constexpr Micros kTestEpochDate = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
}  // namespace

Micros TestSubstrate::Now() const { return cluster_->now_; }
Micros TestSubstrate::Date() const { return kTestEpochDate + cluster_->now_; }

void TestSubstrate::At(Micros at, std::function<void()> fn) {
  cluster_->timers_.emplace(std::make_pair(at, cluster_->timer_seq_++), std::move(fn));
}

void TestSubstrate::Transmit(Envelope e) { cluster_->queue_.push_back(std::move(e)); }

void TestSubstrate::JoinGroup(const std::string& group, const std::vector<std::string>& topics) {
  group_ = group;
  cluster_->groups_.try_emplace(group, topics, cluster_->shape_.partitions).first->second.Join(self_);
  cluster_->queue_.push_back(TestCluster::Rebalance{group});
}

void TestSubstrate::LeaveGroup(bool orderly) {
  if (group_.empty()) return;
  auto leave = [cluster = cluster_, self = self_, group = group_] {
    cluster->groups_.at(group).Leave(self);
    cluster->queue_.push_back(TestCluster::Rebalance{group});
  };
  if (orderly) return leave();
  At(cluster_->now_ + TestCluster::kSessionTimeout, [cluster = cluster_, self = self_, leave] {
    if (!cluster->host(self).running()) leave();  // else it joined again meanwhile
  });
}

void TestSubstrate::Publish(const std::string& topic, const std::string& key, Envelope e) {
  cluster_->queue_.push_back(TestCluster::ToBus{topic, key, EncodeWire(e)});  // as bytes, as a real bus
}

void TestSubstrate::SendToClient(ConnId conn, api::ServerFrame frame) {
  if (self_.role() == role::kBotApi) {
    return cluster_->bot_answers_[{self_.index(), conn}].push_back(frame.bot_answer());
  }
  cluster_->queue_.push_back(TestCluster::ClientOut{self_.index(), conn, std::move(frame)});
}

void TestSubstrate::CloseClient(ConnId conn, std::string_view reason) {
  closed_reasons_.emplace_back(reason);
  cluster_->queue_.push_back(TestCluster::ClientClose{self_.index(), conn});
}

OutboundPort* TestSubstrate::Outbound() { return &cluster_->outbound; }

void TestProviders::Deliver(std::string_view, size_t index, const OutboundMessage& message, Done done) {
  ++attempts;
  if (silent) return;
  const bool accepted = up.at(index);
  if (accepted) sent.push_back({index, message});
  cluster_->timers_.emplace(std::make_pair(cluster_->now_, cluster_->timer_seq_++),
                            [accepted, done] { done(accepted ? Status::Ok() : Status::IoError("provider down")); });
}

std::string TestProviders::LastCode(const std::string& to) const {
  for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
    if (it->message.to != to) continue;
    const std::string& text = it->message.text;
    const size_t at = text.find_first_of("0123456789");
    return at == std::string::npos ? "" : text.substr(at, text.find_first_not_of("0123456789", at) - at);
  }
  return "";
}

TestDevice::TestDevice(TestCluster* c, api::Authorization session, std::string source, uint32_t gw,
                       DeviceRetryPolicy policy)
    : cluster(c), gateway(gw), source(std::move(source)), core(std::move(session), this, this, policy) {}

void TestDevice::SendFrame(const api::ClientFrame& frame) {
  cluster->queue_.push_back(TestCluster::ClientIn{gateway, conn, frame});
}

void TestDevice::After(Micros delay, std::function<void()> fn) {
  cluster->timers_.emplace(std::make_pair(cluster->now_ + delay, cluster->timer_seq_++), std::move(fn));
}

TestCluster::TestCluster(ClusterShape shape, RoleRegistry& registry, std::map<std::string, RoleSettings> settings)
    : shape_(std::move(shape)), registry_(&registry), settings_(std::move(settings)) {
  for (const auto& [role, count] : shape_.instances) {
    for (uint32_t i = 0; i < count; ++i) AddInstance(MakeAddress(role, i));
  }
  for (auto& [a, inst] : instances_) inst.host->Start();
}

// A (re)started instance is built with the newest shape.
void TestCluster::AddInstance(const Address& a) {
  const RoleSpec& spec = registry_->Get(a.role());
  Instance inst;
  inst.substrate = std::make_unique<TestSubstrate>(this, a, spec.has_clients);
  auto make = [this, &spec, role = a.role()](Env* env) { return spec.make(env, shape_, settings_[role]); };
  inst.host = std::make_unique<InstanceHost>(a, make, inst.substrate.get(), next_seed_++);
  instances_.emplace(a, std::move(inst));
}

void TestCluster::Shrink(const std::string& role) {
  --shape_.instances[role];
  for (auto& [addr, inst] : instances_) inst.host->Reshape(shape_);
}

void TestCluster::Grow(const std::string& role) {
  const Address a = MakeAddress(role, shape_.Count(role));
  ++shape_.instances[role];
  AddInstance(a);
  host(a).Start();
  for (auto& [addr, inst] : instances_) {
    if (!SameAddress(addr, a)) inst.host->Reshape(shape_);
  }
}

TestDevice& TestCluster::AddDevice(uint64_t user, uint64_t device, uint32_t gateway, DeviceRetryPolicy policy) {
  api::Authorization& session = sessions_[{user, device}];
  if (session.credential().empty()) {
    std::string secret(Credential::kSecretBytes, '\0');
    for (char& c : secret) c = static_cast<char>(secrets_.Next());
    Status status;
    auto store_of = [this](const Address& a) -> KvStore& { return substrate(a).kv_; };
    session = ProvisionSession(store_of, shape_, user, device, secret, kTestEpochDate, &status);
    if (!status.ok()) throw std::runtime_error("cannot provision a session: " + status.message());
  }
  const std::string source = "device-" + std::to_string(user) + "-" + std::to_string(device);
  devices_.push_back(std::make_unique<TestDevice>(this, session, source, gateway, policy));
  return *devices_.back();
}

TestDevice& TestCluster::AddSignedOutDevice(uint32_t gateway, DeviceRetryPolicy policy) {
  const std::string source = "device-new-" + std::to_string(devices_.size());
  devices_.push_back(std::make_unique<TestDevice>(this, api::Authorization{}, source, gateway, policy));
  return *devices_.back();
}

void TestCluster::Attach(TestDevice& d) {
  ConnId& next = next_conn_[d.gateway];
  d.conn = ++next;
  d.open = true;
  conns_[{d.gateway, d.conn}] = &d;
  host(MakeAddress(role::kGateway, d.gateway)).ClientOpened(d.conn, d.source);
}

void TestCluster::Connect(TestDevice& d) {
  Attach(d);
  d.core.Connected();
}

void TestCluster::Disconnect(TestDevice& d) {
  conns_.erase({d.gateway, d.conn});
  d.open = false;
  d.core.Disconnected();
  host(MakeAddress(role::kGateway, d.gateway)).ClientClosed(d.conn);
}

void TestCluster::SendRaw(TestDevice& d, api::ClientFrame frame) { d.SendFrame(frame); }

void TestCluster::Inject(Envelope e) { queue_.push_back(std::move(e)); }

void TestCluster::BotRequest(uint32_t index, ConnId conn, api::BotCall call) {
  api::ClientFrame frame;
  frame.set_request_id(++bot_requests_[{index, conn}]);
  *frame.mutable_bot_call() = std::move(call);
  queue_.push_back(BotIn{index, conn, std::move(frame)});
}

void TestCluster::Crash(const Address& a) {
  host(a).Crash();
  if (a.role() != role::kGateway) return;
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

void TestCluster::Start(const Address& a) { host(a).Start(); }
void TestCluster::Stop(const Address& a) { host(a).Stop(); }

void TestCluster::Restart(const Address& a) {
  Crash(a);
  Start(a);
}

TestDevice* TestCluster::DeviceAt(uint32_t gateway, ConnId conn) const {
  auto it = conns_.find({gateway, conn});
  return it == conns_.end() ? nullptr : it->second;
}

// As the live runtime does: an address nobody serves, or an instance that
// is down (its process refuses connections), comes back to the sender as
// undeliverable.
void TestCluster::DeliverEnvelope(const Envelope& e) {
  if (drop && drop(e)) return;
  auto to = instances_.find(e.to);
  if (to == instances_.end() || !to->second.host->running()) {
    ++undeliverable_;
    auto from = instances_.find(e.from);
    if (from != instances_.end()) from->second.host->Undeliverable(e);
    return;
  }
  to->second.host->Deliver(e);
}

void TestCluster::Tap(const Work& w) const {
  if (auto* e = std::get_if<Envelope>(&w)) return wiretap(EncodeWire(*e));
  if (auto* b = std::get_if<ToBus>(&w)) return wiretap(b->payload);
  if (auto* in = std::get_if<ClientIn>(&w)) return wiretap(in->frame.SerializeAsString());
  if (auto* out = std::get_if<ClientOut>(&w)) return wiretap(out->frame.SerializeAsString());
}

void TestCluster::Deliver(Work& w) {
  if (wiretap) Tap(w);
  if (auto* e = std::get_if<Envelope>(&w)) {
    DeliverEnvelope(*e);
  } else if (auto* b = std::get_if<ToBus>(&w)) {
    const PartitionKey key{b->topic, PartitionOfKey(b->key, shape_.partitions)};
    bus_[key].Append(BusRecord{b->topic, key.second, 0, b->key, b->payload});
    DeliverRecords(key);
  } else if (auto* bot = std::get_if<BotIn>(&w)) {
    InstanceHost& h = host(MakeAddress(role::kBotApi, bot->index));
    if (h.running()) h.ClientFrame(bot->conn, bot->frame);
  } else if (auto* rebalance = std::get_if<Rebalance>(&w)) {
    RebalanceGroup(rebalance->group);
  } else if (auto* in = std::get_if<ClientIn>(&w)) {
    if (DeviceAt(in->gateway, in->conn))
      host(MakeAddress(role::kGateway, in->gateway)).ClientFrame(in->conn, in->frame);
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
      host(MakeAddress(role::kGateway, close->gateway)).ClientClosed(close->conn);
    }
  }
}

void TestCluster::RebalanceGroup(const std::string& group) {
  const ConsumerGroup::Moves moves = groups_.at(group).Rebalance();
  for (const auto& c : moves.revoked) host(c.member).PartitionsRevoked(c.partitions);
  for (const auto& c : moves.assigned) {
    for (const auto& p : c.partitions) delivered_.erase({p.topic, p.partition});  // from the committed offset
    host(c.member).PartitionsAssigned(c.partitions);
  }
  for (const auto& c : moves.assigned) {
    for (const auto& p : c.partitions) DeliverRecords({p.topic, p.partition});
  }
}

void TestCluster::DeliverRecords(const PartitionKey& key) {
  for (const auto& [name, group] : groups_) {
    const Address* owner = group.Owner(key.first, key.second);
    if (owner == nullptr || !host(*owner).running()) continue;
    PartitionLog& log = bus_[key];
    if (log.unhandled().empty()) continue;
    auto [next, fresh] = delivered_.try_emplace(key, log.unhandled().front().offset);
    // A record is committed when its consumer handled it, which a held
    // partition defers: deliver what was not delivered yet, by offset.
    while (!log.unhandled().empty() && next->second < log.end()) {
      const int64_t offset = next->second++;
      if (offset < log.unhandled().front().offset) continue;
      const BusRecord r = log.unhandled()[static_cast<size_t>(offset - log.unhandled().front().offset)];
      host(*owner).DeliverRecord(r, [this, key, offset] { bus_[key].Commit(offset); });
    }
  }
}

size_t TestCluster::bus_records() const {
  size_t n = 0;
  for (const auto& [key, log] : bus_) n += log.end();
  return n;
}

bool TestCluster::FireOne(Micros until) {
  if (timers_.empty() || timers_.begin()->first.first > until) return false;
  auto node = timers_.extract(timers_.begin());
  now_ = std::max(now_, node.key().first);
  node.mapped()();
  return true;
}

size_t TestCluster::Run() {
  size_t steps = 0;
  for (;;) {
    if (!queue_.empty()) {
      Work w = std::move(queue_.front());
      queue_.pop_front();
      Deliver(w);
    } else if (!FireOne(now_)) {
      return steps;
    }
    ++steps;
  }
}

void TestCluster::Advance(Micros by) {
  const Micros end = now_ + by;
  Run();
  while (FireOne(end)) Run();
  now_ = end;
}

}  // namespace msgbed::testing
