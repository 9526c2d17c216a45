// KafkaModel: the simulated event bus. Brokers are nodes on the scenario's
// broker hosts; partition p's leader is broker p % brokers. A publish waits
// the producer's linger, travels to the leader, is appended there (charged
// broker.append) with the partition's next offset, and is pushed to the one
// service instance assigned that partition (a consumer's long poll).
// Per-partition order holds because every hop is FIFO and the leader
// appends in arrival order. Replication and consumer lag grow here later.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "node.h"

namespace msgbed::sim {

class ServiceNode;

class KafkaModel {
 public:
  KafkaModel(World* world, std::vector<std::unique_ptr<Node>> brokers, uint32_t partitions);

  void Subscribe(const std::string& topic, uint32_t partition, ServiceNode* consumer);
  // Records of consumer's partitions published from now on reach no one
  // (the model keeps no log to resume from yet).
  void Unsubscribe(ServiceNode* consumer);
  void Produce(Node& producer, const std::string& topic, const std::string& key, std::string payload);

  void Start();
  const std::vector<std::unique_ptr<Node>>& brokers() const { return brokers_; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Partition {
    int64_t next_offset = 0;
    ServiceNode* consumer = nullptr;
  };
  void Append(Node& leader, const std::string& topic, uint32_t p, const std::string& key, std::string payload);

  World* world_;
  std::vector<std::unique_ptr<Node>> brokers_;
  const uint32_t partitions_;
  std::map<std::pair<std::string, uint32_t>, Partition> log_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace msgbed::sim
