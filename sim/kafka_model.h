// KafkaModel: the simulated event bus. Brokers are nodes on the scenario's
// broker hosts. Partition p has topology.kafka.replication replicas, on
// brokers p, p+1, ... (mod brokers); its leader is the first of them that
// is up. Producers send batches of records to leaders (KafkaProducer);
// the leader appends each record (charged broker.append per request and
// broker.record per record) with the partition's next offset and, with
// replicas, sends it to every follower that is up (charged the same
// there), which acknowledges it: with acks=all a record is committed once
// every in-sync follower has it. Committed records are pushed, in offset
// order, to the one service instance its consumer group assigned the
// partition (a consumer's long poll). Per-partition order holds because every hop is
// FIFO, leaders append in arrival order, and the high watermark advances
// in offset order.
//
// Consumer groups (one per topic: its role's): the group coordinator
// assigns partitions by ranges (ConsumerGroup) and rebalances
// topology.kafka.rebalance_time after a member joins, leaves in an orderly
// way, or is found crashed: topology.kafka.session_timeout after its
// crash. A member back from a crash before that joins then too: the
// coordinator waits for its former self, as Kafka's waits for every member
// it knows. A crashed member's partitions are consumed by nobody until
// that rebalance.
//
// Each partition keeps its records from the group's committed offset on
// (PartitionLog); a record is committed once the consumer's core handled
// it. A partition's new consumer is sent every committed record not yet
// handled, in order; records still on their way to a former consumer are
// dropped on arrival (each assignment has a generation). The lag of a
// topic is its records not yet handled.
//
// Faults: a crashed broker appends, replicates and pushes nothing, and a
// follower that is down is dropped from the in-sync set (the leader does
// not wait for it). A crashed leader's partitions have no leader until the
// controller fences it, topology.kafka.failover_after later (KRaft's
// broker session timeout), and a replica that is up takes over; or until
// the broker starts again, if that is sooner. What producers send to a
// partition without a leader waits (a producer retries) and is appended,
// in arrival order, when it has one; a batch reaching a broker that no
// longer leads goes again to the one that does. The partition's log is
// one logical log: a record the old leader had appended is not lost
// (acks=all, and the producer retries what was not acknowledged). A hop
// that a network partition cuts leaves when the partition heals (a Kafka
// connection retries; nothing is lost, order kept).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "host/consumer_group.h"
#include "host/partition_log.h"
#include "node.h"
#include "scenario.h"

namespace msgbed::sim {

class ServiceNode;

// Wire and log bytes of a record: key, value and Kafka's per-record
// overhead (batch header amortised, lengths, offsets).
size_t RecordBytes(const std::string& key, size_t wire_bytes);

class KafkaModel {
 public:
  struct Record {
    std::string topic;
    uint32_t partition;
    std::string key;
    std::shared_ptr<const Envelope> envelope;  // carried decoded (BusRecord::decoded)
    size_t wire_bytes = 0;                     // its size as an rpc.Wire
    bool traced = false;                       // of the traced message
  };

  KafkaModel(World* world, std::vector<std::unique_ptr<Node>> brokers, const KafkaSpec& spec);

  // consumer joins (or, after a restart, joins again) group over topics.
  void JoinGroup(ServiceNode* consumer, const std::string& group, const std::vector<std::string>& topics);
  // consumer leaves every group: now if orderly; else the coordinator
  // notices after the session timeout.
  void LeaveGroup(ServiceNode* consumer, bool orderly);
  uint64_t rebalances() const { return rebalances_; }
  // The broker leading partition p now: its first replica at the start;
  // when the leader crashes, the next replica that is up (none up: it
  // stays, down, until one starts).
  size_t LeaderOf(uint32_t p) const { return leader_[p]; }
  // Sends one produce request with `records` from producer to `broker`.
  void ProduceBatch(Node& producer, size_t broker, std::vector<Record> records);
  // The fault timeline: broker b crashes, or starts again.
  void CrashBroker(size_t b);
  void StartBroker(size_t b);
  const std::vector<std::unique_ptr<Node>>& brokers() const { return brokers_; }
  uint32_t partitions() const { return partitions_; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t requests() const { return requests_; }
  // Records waiting for a partition to have a leader.
  uint64_t held() const {
    uint64_t n = 0;
    for (const auto& [p, records] : held_) n += records.size();
    return n;
  }
  // Records appended to `topic` and not yet handled by its consumers.
  uint64_t Lag(const std::string& topic) const;
  // The topics records were appended to, in name order.
  std::vector<std::string> Topics() const;

 private:
  struct Partition {
    PartitionLog log;
    ServiceNode* consumer = nullptr;
    uint64_t generation = 0;               // bumps at every (un)subscribe
    int64_t high_watermark = 0;            // offsets below it are committed (on every in-sync replica)
    std::map<int64_t, uint32_t> awaiting;  // offset -> follower acknowledgements still due
  };
  // The produce request's records arrive at broker b.
  void Arrive(Node& producer, size_t b, std::vector<Record> records);
  void Append(Record r);
  // A follower acknowledged offset `offset` of partition p (or was dropped).
  void Acknowledged(const std::pair<std::string, uint32_t>& key, int64_t offset);
  // Moves the high watermark over every fully acknowledged record, pushing each.
  void Advance(Partition& part, uint32_t p);
  // Sends r from the partition's leader to its consumer.
  void Push(Partition& part, uint32_t p, const BusRecord& r);

  // Partition p of topic is consumed by consumer from now on (nullptr: by nobody).
  void Assign(const std::string& topic, uint32_t p, ServiceNode* consumer);
  // A rebalance of group, rebalance_time after `from` (>= now); one due
  // later replaces one due earlier, as members still to come delay it.
  void ScheduleRebalance(const std::string& group, double from);
  void Rebalance(const std::string& group);

  // The controller fences crashed broker b: a replica that is up leads its partitions.
  void Elect(size_t b);
  // Broker b leads partition p from now on.
  void Lead(uint32_t p, size_t b);
  size_t Replica(uint32_t p, uint32_t i) const { return (p + i) % brokers_.size(); }
  bool IsReplica(uint32_t p, size_t b) const;
  // Pushes the partition's committed records its consumer has not handled,
  // if it has a consumer and a leader that is up.
  void PushCommitted(Partition& part, uint32_t p);
  // Extra time a hop from a to b waits for the network to heal.
  double HeldFor(const Node& a, const Node& b);

  World* world_;
  std::vector<std::unique_ptr<Node>> brokers_;
  std::vector<bool> down_;                        // per broker
  std::vector<size_t> leader_;                    // per partition; changes when it crashes
  std::map<uint32_t, std::vector<Record>> held_;  // per partition without a leader: records waiting for one
  const uint32_t partitions_;
  const uint32_t replication_;
  const double failover_after_, session_timeout_, rebalance_time_;
  struct Group {
    ConsumerGroup members;
    double rebalance_at = -1;  // the rebalance due, -1 if none
  };
  std::map<std::string, Group> groups_;
  uint64_t rebalances_ = 0;
  std::map<ServiceNode*, double> session_ends_;  // crashed members: when the coordinator gives up on them
  std::map<std::pair<std::string, uint32_t>, Partition> log_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  uint64_t requests_ = 0;
  std::set<std::tuple<std::string, uint32_t, int64_t>> traced_;  // records of the traced message
};

}  // namespace msgbed::sim
