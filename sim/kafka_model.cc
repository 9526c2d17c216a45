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
  log_[{topic, partition}].consumer = consumer;
}

void KafkaModel::Unsubscribe(ServiceNode* consumer) {
  for (auto& [key, part] : log_) {
    if (part.consumer == consumer) part.consumer = nullptr;
  }
}

void KafkaModel::Produce(Node& producer, const std::string& topic, const std::string& key, std::string payload) {
  const uint32_t p = PartitionOfKey(key, partitions_);
  Node& leader = *brokers_[p % brokers_.size()];
  const size_t bytes = RecordBytes(key, payload);
  producer.Transmit(
      leader, "produce", bytes, world_->scenario.costs.at("broker.append"),
      [this, &leader, topic, p, key, payload = std::move(payload)]() mutable {
        Append(leader, topic, p, key, std::move(payload));
      },
      world_->scenario.kafka.linger);
}

void KafkaModel::Append(Node& leader, const std::string& topic, uint32_t p, const std::string& key,
                        std::string payload) {
  Partition& part = log_[{topic, p}];
  BusRecord record{topic, p, part.next_offset++, key, std::move(payload)};
  ++records_;
  const size_t bytes = RecordBytes(record.key, record.payload);
  bytes_ += bytes;
  if (part.consumer == nullptr) return;
  ServiceNode* consumer = part.consumer;
  leader.Transmit(*consumer, "record", bytes, world_->scenario.costs.at(consumer->role().name + ".record"),
                  [consumer, record = std::move(record)] { consumer->host().DeliverRecord(record); });
}

}  // namespace msgbed::sim
