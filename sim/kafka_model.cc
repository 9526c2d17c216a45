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
    : world_(world), brokers_(std::move(brokers)), partitions_(partitions) {}

void KafkaModel::Start() {
  for (auto& b : brokers_) b->Start();
}

void KafkaModel::Subscribe(const std::string& topic, uint32_t partition, ServiceNode* consumer) {
  Partition& part = log_[{topic, partition}];
  part.consumer = consumer;
  ++part.generation;
  for (const BusRecord& r : part.log.unhandled()) Push(part, partition, r);
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
  Node& leader = *brokers_[p % brokers_.size()];
  const size_t bytes = RecordBytes(key, payload);
  producer.Transmit(
      leader, "produce", bytes, world_->scenario.costs.at("broker.append"),
      [this, &leader, topic, p, key, payload = std::move(payload)]() mutable {
        Append(topic, p, key, std::move(payload));
      },
      world_->scenario.kafka.linger);
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
  Node& leader = *brokers_[p % brokers_.size()];
  leader.Transmit(*consumer, "record", RecordBytes(r.key, r.payload),
                  world_->scenario.costs.at(consumer->role().name + ".record"),
                  [&part, consumer, generation = part.generation, r] {
                    if (part.generation != generation || !consumer->host().running()) return;
                    consumer->host().DeliverRecord(r);
                    part.log.Commit(r.offset);
                  });
}

}  // namespace msgbed::sim
