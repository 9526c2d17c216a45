// Workload: the offered load of a run, drawn from the run's "workload"
// random stream, so it is the same whatever the topology and however fast
// the system answers: a message arrives (Poisson, at messages_per_second
// times the rate curve and diurnal factor at that moment, by thinning),
// from a device drawn among those whose connect time has passed, to a user
// drawn among the others. A device still signing in or catching up holds
// the message and sends it once it is up to date, as a real client does
// with what its user typed.
//
// With user classes or several device counts, a device is drawn with
// weight (its user's class rate) / (its user's devices): a user's rate
// does not grow with its devices. Devices away between sessions are not
// drawn; an arrival that finds none online is counted and dropped.
#pragma once

#include <optional>
#include <vector>

#include "core/rng.h"
#include "node.h"
#include "population.h"
#include "recorder.h"

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
    uint32_t index;  // in its population
    float weight;    // relative rate of sending
  };
  void ScheduleNext(double after);
  void Arrive();
  // workload.sign_ins: a Poisson stream of re-logins over the loaded
  // period, each of a device drawn uniformly, from the "sign_ins" stream
  // (the messages offered stay the same with or without it).
  void ScheduleSignIn(double after);
  // A sender among the first `connected` devices, or nullptr.
  const DeviceRef* PickSender(uint64_t connected);
  // workload.actions: what an arrival is instead of a new message, if anything.
  std::optional<Recorder::Action> PickAction();
  // Whom sender writes to: any other user, or (workload.groups) its group.
  uint64_t PickPeer(uint64_t sender);

  World* world_;
  Rng rng_;
  Rng sign_ins_;
  Node* clock_ = nullptr;
  std::vector<DeviceRef> by_connect_;  // sorted by connect time
  float max_weight_ = 0;
  bool weighted_ = false;
  double max_factor_ = 1;  // of the rate curve: arrivals are drawn at this rate, then thinned
  bool varies_ = false;    // whether the factor changes over the run (else nothing is thinned)
};

}  // namespace msgbed::sim
