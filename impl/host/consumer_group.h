// ConsumerGroup: a Kafka consumer group's membership and partition
// assignment, as the simulator's bus and the unit-test cluster keep it
// (the live runtime has Kafka's own). Assignment is Kafka's range
// assignor: for each topic, the members in address order take contiguous
// ranges of its partitions, the first (partitions % members) one more.
// A rebalance moves only what the new ranges move, and says what each
// member loses and gains (as the cooperative protocol does).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/service.h"

namespace msgbed {

class ConsumerGroup {
 public:
  ConsumerGroup(std::vector<std::string> topics, uint32_t partitions)
      : topics_(std::move(topics)), partitions_(partitions) {}

  // A member joins; joining again (a restart) voids what it had.
  void Join(const Address& member);
  void Leave(const Address& member);
  bool IsMember(const Address& member) const { return members_.contains(member); }

  struct Change {
    Address member;
    std::vector<Service::Partition> partitions;
  };
  struct Moves {
    std::vector<Change> revoked;   // apply these first
    std::vector<Change> assigned;  // then these
  };
  // Assigns the partitions over the members now; what moved, by member in
  // address order. Partitions of a member that left are not revoked from
  // it (it is gone), only assigned elsewhere.
  Moves Rebalance();
  // The member consuming (topic, partition) now; nullptr if none.
  const Address* Owner(const std::string& topic, uint32_t partition) const;
  const std::vector<std::string>& topics() const { return topics_; }

 private:
  using Key = std::pair<std::string, uint32_t>;
  static std::vector<Change> Moved(const std::map<Key, Address>& from, const std::map<Key, Address>& to);
  std::vector<std::string> topics_;
  uint32_t partitions_;
  std::set<Address, AddressLess> members_;
  std::map<Key, Address> owner_;
};

}  // namespace msgbed
