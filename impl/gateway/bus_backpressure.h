// BusBackpressure: what a gateway knows of how far behind the sync
// instances are, partition by partition (sync.Behind, sent about once a
// second while a partition's box updates reach sync at least a second after
// they were published), and whether a new message must be shed for it.
//
// Shedding new messages where the bus is behind is what keeps a
// deployment's memory and push delay bounded when sync cannot keep up:
// every message adds box updates to the partitions of its chat's users.
// The sender gets FLOOD_WAIT with the seconds to wait; its device retries
// then, with the same random_id. A report holds for kHold: once sync has
// caught up, reports stop and the partition takes messages again.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "core/time.h"

namespace msgbed {

class BusBackpressure {
 public:
  static constexpr Micros kHold = 3 * kSecond;
  static constexpr uint32_t kMaxWaitS = 30;

  // Messages are shed while a partition is at least shed_behind behind; 0: never.
  explicit BusBackpressure(Micros shed_behind) : shed_behind_(shed_behind) {}

  void Report(uint32_t partition, Micros behind, Micros now) { reports_[partition] = {behind, now + kHold}; }

  // Seconds a new message for users of partition must wait; 0: take it now.
  // As long as the partition is behind, 1 to kMaxWaitS.
  uint32_t WaitFor(uint32_t partition, Micros now) const {
    auto it = reports_.find(partition);
    return it == reports_.end() ? 0 : WaitOf(it->second, now);
  }
  // ... for users of any partition (a post to a channel reaches them all).
  uint32_t WaitForAny(Micros now) const {
    uint32_t wait = 0;
    for (const auto& [partition, report] : reports_) wait = std::max(wait, WaitOf(report, now));
    return wait;
  }

 private:
  struct Behind {
    Micros behind, until;
  };
  uint32_t WaitOf(const Behind& b, Micros now) const {
    if (shed_behind_ == 0 || now >= b.until || b.behind < shed_behind_) return 0;
    const Micros seconds = (b.behind + kSecond - 1) / kSecond;
    return static_cast<uint32_t>(std::clamp<Micros>(seconds, 1, kMaxWaitS));
  }

  const Micros shed_behind_;
  std::unordered_map<uint32_t, Behind> reports_;  // at most one per partition
};

}  // namespace msgbed
