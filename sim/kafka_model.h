// KafkaModel: the simulated event bus. Brokers are nodes on the scenario's
// broker hosts; partition p's leader is broker p % brokers. A publish waits
// the producer's linger (lost if the producer crashes meanwhile), travels to the leader, is appended there (charged
// broker.append) with the partition's next offset, and is pushed to the one
// service instance assigned that partition (a consumer's long poll).
// Per-partition order holds because every hop is FIFO and the leader
// appends in arrival order.
//
// Each partition keeps its records from the consumer's committed offset on
// (PartitionLog); a record is committed once the consumer's core handled
// it. A consumer that subscribes again (after a crash) is sent every
// record it had not handled, in order; records still on their way to its
// former self are dropped on arrival (each subscription has a generation).
//
// Faults: a crashed broker appends nothing and pushes nothing; what
// producers send it waits (as a producer retries) and is appended, in
// arrival order, when it starts again, which then pushes its partitions'
// unhandled records anew (its log is on disk). No replication: a crashed
// leader's partitions wait for it. A hop that a network partition cuts
// leaves when the partition heals (a Kafka connection retries; nothing is
// lost, order kept). Replication grows here later.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/partition_log.h"
#include "node.h"

namespace msgbed::sim {

class ServiceNode;

class KafkaModel {
 public:
  KafkaModel(World* world, std::vector<std::unique_ptr<Node>> brokers, uint32_t partitions);

  void Subscribe(const std::string& topic, uint32_t partition, ServiceNode* consumer);
  // Records of consumer's partitions wait in the log for its next Subscribe.
  void Unsubscribe(ServiceNode* consumer);
  // Sends a record from producer to its partition's leader now (the
  // producer's linger is the caller's: ServiceNode::Publish).
  void Produce(Node& producer, const std::string& topic, const std::string& key, std::string payload);
  // The fault timeline: broker b crashes, or starts again.
  void CrashBroker(size_t b);
  void StartBroker(size_t b);
  const std::vector<std::unique_ptr<Node>>& brokers() const { return brokers_; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Partition {
    PartitionLog log;
    ServiceNode* consumer = nullptr;
    uint64_t generation = 0;  // bumps at every (un)subscribe
  };
  void Append(const std::string& topic, uint32_t p, const std::string& key, std::string payload);
  // Sends r from the partition's leader to its consumer.
  void Push(Partition& part, uint32_t p, const BusRecord& r);

  Node& Leader(uint32_t p) { return *brokers_[p % brokers_.size()]; }
  bool LeaderDown(uint32_t p) const { return down_[p % brokers_.size()]; }
  // Extra time a hop from a to b waits for the network to heal.
  double HeldFor(const Node& a, const Node& b);

  World* world_;
  std::vector<std::unique_ptr<Node>> brokers_;
  std::vector<bool> down_;                                // per broker
  std::vector<std::vector<std::function<void()>>> held_;  // per broker: appends waiting for its start
  const uint32_t partitions_;
  std::map<std::pair<std::string, uint32_t>, Partition> log_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace msgbed::sim
