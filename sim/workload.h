// Workload: the offered load of a run, drawn from the run's "workload"
// random stream and nothing else, so it is the same whatever the topology
// and however fast the system answers: a message arrives (Poisson, at
// workload.messages_per_second), from a device drawn among those whose
// connect time has passed, to a user drawn among the others. A device
// still signing in or catching up holds the message and sends it once it
// is up to date, as a real client does with what its user typed.
#pragma once

#include <vector>

#include "core/rng.h"
#include "node.h"
#include "population.h"

namespace msgbed::sim {

class Workload {
 public:
  // REQUIRES: every device has been added to its population.
  Workload(World* world, const std::vector<Population*>& populations, uint64_t seed);
  // Schedules the first arrival on clock's inbox (any node: the workload
  // runs wherever it is posted, and costs no simulated CPU).
  void Begin(Node* clock);

 private:
  struct DeviceRef {
    double connect_at;
    Population* population;
    size_t index;  // in its population
  };
  void ScheduleNext(double after);
  void Arrive();

  World* world_;
  Rng rng_;
  Node* clock_ = nullptr;
  std::vector<DeviceRef> by_connect_;  // sorted by connect time
};

}  // namespace msgbed::sim
