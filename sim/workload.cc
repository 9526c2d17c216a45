#include "workload.h"

#include <algorithm>

#include "world.h"

namespace msgbed::sim {

Workload::Workload(World* world, const std::vector<Population*>& populations, uint64_t seed)
    : world_(world), rng_(seed) {
  for (Population* p : populations) {
    for (size_t i = 0; i < p->devices().size(); ++i) by_connect_.push_back({p->devices()[i]->connect_at, p, i});
  }
  // Ties keep population order: stable, so the draw is the same every run.
  std::stable_sort(by_connect_.begin(), by_connect_.end(),
                   [](const DeviceRef& a, const DeviceRef& b) { return a.connect_at < b.connect_at; });
}

void Workload::Begin(Node* clock) {
  clock_ = clock;
  ScheduleNext(0);
}

void Workload::ScheduleNext(double after) {
  const double rate = world_->scenario.workload.messages_per_second;
  if (rate <= 0) return;
  const double at = after + rng_.Exponential(rate);
  if (at >= world_->scenario.duration) return;
  clock_->Post(at, 0, [this] { Arrive(); });
}

void Workload::Arrive() {
  const double now = world_->Now();
  const auto connected = std::upper_bound(by_connect_.begin(), by_connect_.end(), now,
                                          [](double t, const DeviceRef& d) { return t < d.connect_at; }) -
                         by_connect_.begin();
  if (connected > 0) {
    const DeviceRef& from = by_connect_[rng_.Below(static_cast<uint64_t>(connected))];
    const uint64_t users = world_->scenario.workload.users;
    const Device& device = from.population->devices()[from.index]->core;
    const uint64_t sender = device.user();
    uint64_t peer = 1 + rng_.Below(users - 1);
    if (peer >= sender) ++peer;                  // any user but the sender
    const uint64_t random_id = rng_.Next() | 1;  // never 0
    world_->recorder.Offered(now, sender, device.device(), peer, random_id);
    from.population->Offer(from.index, peer, random_id);
  }
  ScheduleNext(now);
}

}  // namespace msgbed::sim
