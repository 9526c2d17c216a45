#include "kafka_model.h"

#include "core/cluster.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {

// Record overhead on the wire and in the log (Kafka's record batch header
// amortised, key/value lengths, offsets): about this many bytes per record.
constexpr size_t kRecordOverheadBytes = 70;

size_t RecordBytes(const std::string& key, const std::string& payload) {
  return key.size() + payload.size() + kRecordOverheadBytes;
}

KafkaModel::KafkaModel(World* world, std::vector<std::unique_ptr<Node>> brokers, uint32_t partitions)
    : world_(world),
      brokers_(std::move(brokers)),
      down_(brokers_.size(), false),
      held_(brokers_.size()),
      partitions_(partitions) {}

void KafkaModel::Subscribe(const std::string& topic, uint32_t partition, ServiceNode* consumer) {
  Partition& part = log_[{topic, partition}];
  part.consumer = consumer;
  ++part.generation;
  if (LeaderDown(partition)) return;  // its start pushes them
  for (const BusRecord& r : part.log.unhandled()) Push(part, partition, r);
}

void KafkaModel::CrashBroker(size_t b) {
  down_[b] = true;
  for (auto& [key, part] : log_) {
    if (key.second % brokers_.size() == b) ++part.generation;  // what it was pushing is lost with it
  }
}

void KafkaModel::StartBroker(size_t b) {
  down_[b] = false;
  for (auto& [key, part] : log_) {
    if (key.second % brokers_.size() != b || part.consumer == nullptr) continue;
    for (const BusRecord& r : part.log.unhandled()) Push(part, key.second, r);
  }
  std::vector<std::function<void()>> held;
  held.swap(held_[b]);
  for (auto& append : held) append();
}

double KafkaModel::HeldFor(const Node& a, const Node& b) {
  const double now = world_->Now();
  return world_->faults.HealTime(a.host()->get_name(), b.host()->get_name(), now) - now;
}

void KafkaModel::Unsubscribe(ServiceNode* consumer) {
  for (auto& [key, part] : log_) {
    if (part.consumer != consumer) continue;
    part.consumer = nullptr;
    ++part.generation;
  }
}

void KafkaModel::Produce(Node& producer, const std::string& topic, const std::string& key, std::string payload) {
  const uint32_t p = PartitionOfKey(key, partitions_);
  Node& leader = Leader(p);
  const size_t bytes = RecordBytes(key, payload);
  producer.Transmit(
      leader, "produce", bytes, world_->DrawCost("broker.append"),
      [this, topic, p, key, payload = std::move(payload)]() mutable {
        if (!LeaderDown(p)) return Append(topic, p, key, std::move(payload));
        held_[p % brokers_.size()].push_back([this, topic, p, key, payload = std::move(payload)]() mutable {
          Append(topic, p, key, std::move(payload));
        });
      },
      HeldFor(producer, leader));
}

void KafkaModel::Append(const std::string& topic, uint32_t p, const std::string& key, std::string payload) {
  Partition& part = log_[{topic, p}];
  const BusRecord& record = part.log.Append(topic, p, key, std::move(payload));
  ++records_;
  bytes_ += RecordBytes(record.key, record.payload);
  if (part.consumer != nullptr) Push(part, p, record);
}

void KafkaModel::Push(Partition& part, uint32_t p, const BusRecord& r) {
  ServiceNode* consumer = part.consumer;
  Node& leader = Leader(p);
  leader.Transmit(
      *consumer, "record", RecordBytes(r.key, r.payload), world_->DrawCost(consumer->role().name + ".record"),
      [&part, consumer, generation = part.generation, r] {
        if (part.generation != generation || !consumer->host().running()) return;
        consumer->host().DeliverRecord(r);
        part.log.Commit(r.offset);
      },
      HeldFor(leader, *consumer));
}

}  // namespace msgbed::sim
