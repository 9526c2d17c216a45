// PartitionLog: one bus partition as the simulator and the unit-test
// cluster keep it, from its consumer's committed offset on. A consumer
// commits a record once its core has handled it, so one that crashes and
// comes back reads, in order, every record it had not handled: at least
// once, as a Kafka consumer that commits after handling does.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "core/env.h"

namespace msgbed {

class PartitionLog {
 public:
  // Appends r as the partition's next offset; returns it.
  const BusRecord& Append(BusRecord r) {
    r.offset = next_++;
    records_.push_back(std::move(r));
    return records_.back();
  }
  // The consumer handled every record up to `offset`: they are let go.
  void Commit(int64_t offset) {
    while (!records_.empty() && records_.front().offset <= offset) records_.pop_front();
  }
  // Records not yet handled, oldest first.
  const std::deque<BusRecord>& unhandled() const { return records_; }
  // Records ever appended.
  int64_t end() const { return next_; }

 private:
  std::deque<BusRecord> records_;
  int64_t next_ = 0;
};

}  // namespace msgbed
