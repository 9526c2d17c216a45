#include "kafka_producer.h"

#include <algorithm>

#include "core/cluster.h"
#include "host/wire.h"
#include "world.h"

namespace msgbed::sim {

void KafkaProducer::Publish(const std::string& topic, const std::string& key, std::shared_ptr<const Envelope> e) {
  KafkaModel& kafka = *world_->kafka;
  const uint32_t p = PartitionOfKey(key, kafka.partitions());
  const size_t broker = kafka.LeaderOf(p);
  Batch& batch = open_[broker];
  const size_t wire_bytes = WireSize(*e);
  batch.bytes += RecordBytes(key, wire_bytes);
  batch.records.push_back({topic, p, key, std::move(e), wire_bytes, self_->tracing()});
  if (batch.records.size() == 1) {
    batch.id = next_id_++;
    self_->Defer(world_->Now() + world_->scenario.kafka.linger, [this, broker, id = batch.id] {
      auto it = open_.find(broker);
      if (it != open_.end() && it->second.id == id) Flush(broker);
    });
  }
  if (batch.bytes >= world_->scenario.kafka.batch_bytes) Flush(broker);
}

void KafkaProducer::Flush(size_t broker) {
  auto it = open_.find(broker);
  std::vector<KafkaModel::Record> records = std::move(it->second.records);
  open_.erase(it);
  // The request is traced if it carries the traced message's record.
  const bool traced = std::any_of(records.begin(), records.end(), [](const KafkaModel::Record& r) { return r.traced; });
  self_->WithTracing(traced, [&] { world_->kafka->ProduceBatch(*self_, broker, std::move(records)); });
}

void KafkaProducer::Crash() {
  for (const auto& [broker, batch] : open_) {
    for (size_t i = 0; i < batch.records.size(); ++i) world_->faults.CountLostRecord();
  }
  open_.clear();
}

}  // namespace msgbed::sim
