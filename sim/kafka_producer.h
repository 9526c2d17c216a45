// KafkaProducer: one service instance's producer, batching as librdkafka
// does. A record joins the open batch for its partition's leader broker;
// the first record of a batch starts its linger (topology.kafka.linger),
// and the batch leaves as one produce request when the linger ends or
// when it reaches topology.kafka.batch_bytes, whichever comes first. The
// broker charges broker.append per request and broker.record per record.
//
// Records still in a batch when the instance crashes are lost with it, as
// a killed process loses its producer's queue (counted by the faults as
// bus_records_lost_in_crashes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kafka_model.h"

namespace msgbed::sim {

class KafkaProducer {
 public:
  // `self` is the producing instance's node (it sends the requests).
  KafkaProducer(World* world, Node* self) : world_(world), self_(self) {}

  void Publish(const std::string& topic, const std::string& key, std::shared_ptr<const Envelope> e);
  // The instance crashed: open batches are lost.
  void Crash();

 private:
  struct Batch {
    std::vector<KafkaModel::Record> records;
    size_t bytes = 0;
    uint64_t id = 0;  // tells a batch's linger timer whether it is still the one open
  };
  void Flush(size_t broker);

  World* world_;
  Node* self_;
  std::map<size_t, Batch> open_;  // by leader broker
  uint64_t next_id_ = 1;
};

}  // namespace msgbed::sim
