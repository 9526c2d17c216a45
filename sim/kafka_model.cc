#include "kafka_model.h"

#include "core/cluster.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {

// Record overhead on the wire and in the log (Kafka's record batch header
// amortised, key/value lengths, offsets): about this many bytes per record.
constexpr size_t kRecordOverheadBytes = 70;

size_t RecordBytes(const std::string& key, size_t wire_bytes) { return key.size() + wire_bytes + kRecordOverheadBytes; }

KafkaModel::KafkaModel(World* world, std::vector<std::unique_ptr<Node>> brokers, const KafkaSpec& spec)
    : world_(world),
      brokers_(std::move(brokers)),
      down_(brokers_.size(), false),
      leader_(spec.partitions),
      partitions_(spec.partitions),
      replication_(std::min<uint32_t>(spec.replication, static_cast<uint32_t>(brokers_.size()))),
      failover_after_(spec.failover_after),
      session_timeout_(spec.session_timeout),
      rebalance_time_(spec.rebalance_time) {
  for (uint32_t p = 0; p < partitions_; ++p) leader_[p] = Replica(p, 0);
}

bool KafkaModel::IsReplica(uint32_t p, size_t b) const {
  const size_t n = brokers_.size();
  return (b + n - p % n) % n < replication_;
}

void KafkaModel::PushCommitted(Partition& part, uint32_t p) {
  if (part.consumer == nullptr || down_[leader_[p]]) return;
  for (const BusRecord& r : part.log.unhandled()) {
    if (r.offset >= part.high_watermark) break;
    Push(part, p, r);
  }
}

void KafkaModel::JoinGroup(ServiceNode* consumer, const std::string& group, const std::vector<std::string>& topics) {
  auto it = groups_.try_emplace(group, Group{ConsumerGroup(topics, partitions_)}).first;
  // A member joining again had its partitions voided with its crash.
  for (auto& [key, part] : log_) {
    if (part.consumer == consumer) Assign(key.first, key.second, nullptr);
  }
  it->second.members.Join(consumer->host().Self());
  // Back from a crash: the coordinator waits for its former self to rejoin
  // or time out, as Kafka's does for every member it knows.
  auto crashed = session_ends_.find(consumer);
  const double at = crashed == session_ends_.end() ? world_->Now() : crashed->second;
  ScheduleRebalance(group, std::max(at, world_->Now()));
}

void KafkaModel::LeaveGroup(ServiceNode* consumer, bool orderly) {
  const Address self = consumer->host().Self();
  for (auto& [name, group] : groups_) {
    if (!group.members.IsMember(self)) continue;
    if (orderly) {
      group.members.Leave(self);
      ScheduleRebalance(name, world_->Now());
      continue;
    }
    const double ends = world_->Now() + session_timeout_;
    session_ends_[consumer] = ends;
    consumer->Post(ends, 0, [this, consumer, self, name = name] {
      session_ends_.erase(consumer);
      if (consumer->host().running()) return;  // it joined again: that rebalance is due now
      groups_.at(name).members.Leave(self);
      ScheduleRebalance(name, world_->Now());
    });
  }
}

void KafkaModel::ScheduleRebalance(const std::string& group, double from) {
  Group& g = groups_.at(group);
  const double at = from + rebalance_time_;
  if (g.rebalance_at >= at) return;  // one is due then anyway
  g.rebalance_at = at;
  brokers_[0]->Post(at, 0, [this, group, at] {
    if (groups_.at(group).rebalance_at == at) Rebalance(group);
  });
}

void KafkaModel::Rebalance(const std::string& group) {
  Group& g = groups_.at(group);
  g.rebalance_at = -1;
  ++rebalances_;
  const ConsumerGroup::Moves moves = g.members.Rebalance();
  for (const auto& change : moves.revoked) {
    ServiceNode* node = world_->FindService(change.member);
    for (const auto& p : change.partitions) Assign(p.topic, p.partition, nullptr);
    if (node != nullptr) node->host().PartitionsRevoked(change.partitions);
  }
  for (const auto& change : moves.assigned) {
    ServiceNode* node = world_->FindService(change.member);
    if (node == nullptr) continue;
    node->host().PartitionsAssigned(change.partitions);
    for (const auto& p : change.partitions) Assign(p.topic, p.partition, node);
  }
}

void KafkaModel::Assign(const std::string& topic, uint32_t p, ServiceNode* consumer) {
  Partition& part = log_[{topic, p}];
  if (part.consumer == consumer) return;
  part.consumer = consumer;
  ++part.generation;
  PushCommitted(part, p);  // none if no replica is up: a start pushes them
}

void KafkaModel::CrashBroker(size_t b) {
  down_[b] = true;
  for (auto& [key, part] : log_) {
    if (leader_[key.second] == b) ++part.generation;  // what it was pushing is lost with it
  }
  if (replication_ > 1) brokers_[b]->Post(world_->Now() + failover_after_, 0, [this, b] { Elect(b); });
}

void KafkaModel::Elect(size_t b) {
  if (!down_[b]) return;  // back before the controller fenced it
  for (uint32_t p = 0; p < partitions_; ++p) {
    if (leader_[p] != b) continue;
    for (uint32_t i = 0; i < replication_; ++i) {
      if (!down_[Replica(p, i)]) {
        Lead(p, Replica(p, i));
        break;
      }
    }
  }
}

void KafkaModel::Lead(uint32_t p, size_t b) {
  leader_[p] = b;
  // The consumer fetches from its committed offset at the new leader; what
  // producers sent while the partition had none is appended now, in order.
  for (auto& [key, part] : log_) {
    if (key.second == p) PushCommitted(part, p);
  }
  std::vector<Record> held;
  held.swap(held_[p]);
  for (Record& r : held) Append(std::move(r));
}

void KafkaModel::StartBroker(size_t b) {
  std::vector<uint32_t> regained;  // partitions without a leader until now
  for (uint32_t p = 0; p < partitions_; ++p) {
    if (down_[leader_[p]] && IsReplica(p, b)) regained.push_back(p);
  }
  down_[b] = false;
  for (uint32_t p : regained) Lead(p, b);
}

double KafkaModel::HeldFor(const Node& a, const Node& b) {
  const double now = world_->Now();
  return world_->faults.HealTime(a.host()->get_name(), b.host()->get_name(), now) - now;
}

void KafkaModel::ProduceBatch(Node& producer, size_t broker, std::vector<Record> records) {
  size_t bytes = 0;
  double cpu = world_->DrawCost("broker.append");
  for (const Record& r : records) {
    bytes += RecordBytes(r.key, r.wire_bytes);
    cpu += world_->DrawCost("broker.record");
  }
  ++requests_;
  Node& to = *brokers_[broker];
  producer.Transmit(
      to, "produce", bytes, cpu,
      [this, &producer, broker, records = std::move(records)]() mutable {
        Arrive(producer, broker, std::move(records));
      },
      HeldFor(producer, to));
}

void KafkaModel::Arrive(Node& producer, size_t b, std::vector<Record> records) {
  std::map<size_t, std::vector<Record>> elsewhere;  // by the partition's leader now
  for (Record& r : records) {
    const uint32_t p = r.partition;
    if (leader_[p] == b && !down_[b]) {
      brokers_[b]->WithTracing(r.traced, [&] { Append(std::move(r)); });
    } else if (down_[leader_[p]]) {
      held_[p].push_back(std::move(r));  // no leader: appended when one starts
    } else {
      elsewhere[leader_[p]].push_back(std::move(r));  // NOT_LEADER: the producer sends it again
    }
  }
  for (auto& [leader, rs] : elsewhere) ProduceBatch(producer, leader, std::move(rs));
}

void KafkaModel::Append(Record r) {
  const uint32_t p = r.partition;
  const std::pair<std::string, uint32_t> key{r.topic, p};
  Partition& part = log_[key];
  BusRecord appended{std::move(r.topic), p, 0, std::move(r.key), "", std::move(r.envelope), r.wire_bytes};
  const BusRecord& record = part.log.Append(std::move(appended));
  if (r.traced) traced_.emplace(key.first, p, record.offset);
  const size_t bytes = RecordBytes(record.key, record.wire_bytes);
  ++records_;
  bytes_ += bytes;
  Node& leader = *brokers_[leader_[p]];
  uint32_t followers = 0;
  for (uint32_t i = 0; i < replication_; ++i) {
    const size_t f = Replica(p, i);
    if (f == leader_[p] || down_[f]) continue;  // a follower that is down is out of the in-sync set
    ++followers;
    Node& follower = *brokers_[f];
    const double cpu = world_->DrawCost("broker.append") + world_->DrawCost("broker.record");
    leader.WithTracing(r.traced, [&] {
      leader.Transmit(
          follower, "replicate", bytes, cpu,
          [this, key, offset = record.offset, f] {
            if (down_[f]) return Acknowledged(key, offset);  // dropped from the in-sync set
            Node& to = *brokers_[leader_[key.second]];
            brokers_[f]->Transmit(
                to, "replica_ack", 0, 0, [this, key, offset] { Acknowledged(key, offset); }, HeldFor(*brokers_[f], to));
          },
          HeldFor(leader, follower));
    });
  }
  part.awaiting[record.offset] = followers;
  Advance(part, p);
}

void KafkaModel::Acknowledged(const std::pair<std::string, uint32_t>& key, int64_t offset) {
  Partition& part = log_[key];
  auto it = part.awaiting.find(offset);
  if (it == part.awaiting.end()) return;
  if (it->second > 0) --it->second;
  Advance(part, key.second);
}

void KafkaModel::Advance(Partition& part, uint32_t p) {
  while (!part.awaiting.empty() && part.awaiting.begin()->second == 0) {
    const int64_t offset = part.awaiting.begin()->first;
    part.awaiting.erase(part.awaiting.begin());
    part.high_watermark = offset + 1;
    const auto& unhandled = part.log.unhandled();
    if (part.consumer == nullptr || down_[leader_[p]] || unhandled.empty()) continue;
    Push(part, p, unhandled[static_cast<size_t>(offset - unhandled.front().offset)]);
  }
}

void KafkaModel::Push(Partition& part, uint32_t p, const BusRecord& r) {
  ServiceNode* consumer = part.consumer;
  Node& leader = *brokers_[leader_[p]];
  leader.WithTracing(traced_.contains({r.topic, p, r.offset}), [&] {
    leader.Transmit(
        *consumer, "record", RecordBytes(r.key, r.wire_bytes), consumer->RecordCost(r),
        [&part, consumer, generation = part.generation, r] {
          if (part.generation != generation || !consumer->host().running()) return;
          // Committed once handled: at once, or when a held partition is released.
          consumer->host().DeliverRecord(r, [&part, generation, offset = r.offset] {
            if (part.generation == generation) part.log.Commit(offset);
          });
        },
        HeldFor(leader, *consumer));
  });
}

uint64_t KafkaModel::Lag(const std::string& topic) const {
  uint64_t lag = 0;
  for (const auto& [key, part] : log_) {
    if (key.first == topic) lag += part.log.unhandled().size();
  }
  return lag;
}

std::vector<std::string> KafkaModel::Topics() const {
  std::vector<std::string> topics;
  for (const auto& [key, part] : log_) {
    if (topics.empty() || topics.back() != key.first) topics.push_back(key.first);
  }
  return topics;
}

}  // namespace msgbed::sim
