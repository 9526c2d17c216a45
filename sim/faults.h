// Faults: the scenario's windowed faults (link, partition, disk) as the
// simulated network, bus and disks meet them at a given time. Crashes and
// starts are events, run by the timeline (sim/simulation.cc). Chance
// (drops, duplicates, jitter) comes from the run's "faults" stream, so a
// seed replays exactly. What was done is counted for the summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"
#include "scenario.h"

namespace msgbed::sim {

class Faults {
 public:
  struct Counts {
    uint64_t dropped = 0;       // envelopes lost to a link fault or a partition
    uint64_t duplicated = 0;    // extra copies sent
    uint64_t delayed = 0;       // envelopes held back
    uint64_t bus_held = 0;      // bus hops that waited for a partition to heal
    uint64_t disk_failed = 0;   // storage writes refused by a full disk
    uint64_t disk_slowed = 0;   // storage writes slowed
    uint64_t records_lost = 0;  // bus records lost in a producer's crash, before they left
  };
  // What happens to one envelope: `copies` of it (0: lost) leave after `delay`.
  struct Effect {
    int copies = 1;
    double delay = 0;
  };

  Faults(const Scenario& sc, uint64_t seed);

  // An envelope from host a to host b, sent at `now`.
  Effect OnEnvelope(const std::string& a, const std::string& b, double now);
  // When the network between a and b is whole again: `now` unless a
  // partition separates them then (counted as a held bus hop).
  double HealTime(const std::string& a, const std::string& b, double now);
  // A storage write of `instance` at `now`: false if the disk is full;
  // else *slowdown is the factor on its I/O time.
  bool DiskWrite(const std::string& instance, double now, double* slowdown);

  void CountLostRecord() { ++counts_.records_lost; }
  const Counts& counts() const { return counts_; }

 private:
  std::vector<const FaultSpec*> windows_;  // link, partition and disk faults
  Rng rng_;
  Counts counts_;
};

}  // namespace msgbed::sim
