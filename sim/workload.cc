#include "workload.h"

#include <algorithm>

#include "world.h"

namespace msgbed::sim {

Workload::Workload(World* world, const std::vector<Population*>& populations, uint64_t seed)
    : world_(world), rng_(seed), sign_ins_(DeriveSeed(world->scenario.seed, "sign_ins")) {
  const WorkloadSpec& wl = world->scenario.workload;
  weighted_ = !wl.Uniform();
  max_factor_ = wl.MaxRateFactor();
  varies_ = wl.diurnal_period > 0;
  for (const RatePoint& p : wl.rate) varies_ |= p.factor != max_factor_;
  for (Population* p : populations) {
    for (size_t i = 0; i < p->devices().size(); ++i) {
      const uint64_t user = p->devices()[i]->user;
      const double rate = wl.classes.empty() ? 1 : wl.classes[world->users.ClassOf(user)].rate;
      const auto weight = static_cast<float>(rate / static_cast<double>(world->users.DevicesOf(user)));
      max_weight_ = std::max(max_weight_, weight);
      by_connect_.push_back({p->devices()[i]->connect_at, p, static_cast<uint32_t>(i), weight});
    }
  }
  // Ties keep population order: stable, so the draw is the same every run.
  std::stable_sort(by_connect_.begin(), by_connect_.end(),
                   [](const DeviceRef& a, const DeviceRef& b) { return a.connect_at < b.connect_at; });
}

void Workload::Begin(Node* clock) {
  clock_ = clock;
  ScheduleNext(0);
  ScheduleSignIn(world_->scenario.workload.connect_ramp);
}

void Workload::ScheduleSignIn(double after) {
  const double rate = world_->scenario.workload.sign_ins_per_hour / 3600;
  if (rate <= 0 || by_connect_.empty()) return;
  const double at = after + sign_ins_.Exponential(rate);
  if (at >= world_->scenario.duration) return;
  clock_->Post(at, 0, [this, at] {
    const DeviceRef& d = by_connect_[sign_ins_.Below(by_connect_.size())];
    if (d.connect_at <= at) d.population->Relogin(d.index);
    ScheduleSignIn(at);
  });
}

void Workload::ScheduleNext(double after) {
  const WorkloadSpec& wl = world_->scenario.workload;
  const double rate = wl.messages_per_second * max_factor_;
  if (rate <= 0) return;
  double at = after + rng_.Exponential(rate);
  // Thinning: a candidate at t stays with probability factor(t) / max.
  // A factor that never changes needs no thinning, and draws nothing more.
  while (varies_ && at < world_->scenario.duration && rng_.Uniform() * max_factor_ >= wl.RateFactor(at)) {
    at += rng_.Exponential(rate);
  }
  if (at >= world_->scenario.duration) return;
  clock_->Post(at, 0, [this] { Arrive(); });
}

std::optional<Recorder::Action> Workload::PickAction() {
  const WorkloadSpec& wl = world_->scenario.workload;
  if (wl.ActionShares() <= 0) return std::nullopt;  // draws nothing
  double u = rng_.Uniform();
  for (auto [share, action] :
       {std::pair{wl.edit_share, Recorder::Action::kEdit}, std::pair{wl.delete_share, Recorder::Action::kDelete},
        std::pair{wl.read_share, Recorder::Action::kRead}, std::pair{wl.forward_share, Recorder::Action::kForward}}) {
    if (u < share) return action;
    u -= share;
  }
  return std::nullopt;
}

const Workload::DeviceRef* Workload::PickSender(uint64_t connected) {
  const bool sessions = world_->scenario.workload.session_online > 0;
  // Rejection: cheap while most devices are online and weights are close.
  for (int tries = 0; tries < 10000; ++tries) {
    const DeviceRef& d = by_connect_[rng_.Below(connected)];
    if (sessions && d.population->devices()[d.index]->away) continue;
    if (weighted_ && rng_.Uniform() * max_weight_ >= d.weight) continue;
    return &d;
  }
  return nullptr;
}

uint64_t Workload::PickPeer(uint64_t sender) {
  uint64_t peer = 1 + rng_.Below(world_->scenario.workload.users - 1);
  if (peer >= sender) ++peer;  // any user but the sender
  // A member writes to its group instead (drawn only when there are groups).
  if (const GroupLoad& g = world_->scenario.workload.groups; g.count > 0) {
    const int64_t k = world_->group_layout.GroupOf(sender);
    if (rng_.Uniform() < g.share && k >= 0) peer = world_->groups[k];
  }
  return peer;
}

void Workload::Arrive() {
  const double now = world_->Now();
  const auto connected = std::upper_bound(by_connect_.begin(), by_connect_.end(), now,
                                          [](double t, const DeviceRef& d) { return t < d.connect_at; }) -
                         by_connect_.begin();
  const DeviceRef* picked = connected > 0 ? PickSender(static_cast<uint64_t>(connected)) : nullptr;
  if (connected > 0 && picked == nullptr) world_->recorder.NobodyOnline();
  const std::optional<Recorder::Action> action = picked != nullptr ? PickAction() : std::nullopt;
  if (action == Recorder::Action::kForward) {
    const uint64_t to = PickPeer(picked->population->devices()[picked->index]->user);
    picked->population->Act(picked->index, *action, to, rng_.Next() | 1);
  } else if (action) {
    picked->population->Act(picked->index, *action, 0, 0);
  } else if (picked != nullptr) {
    const DeviceRef& from = *picked;
    const Population::SimDevice& device = *from.population->devices()[from.index];
    const uint64_t sender = device.user;
    const uint64_t peer = PickPeer(sender);
    if (world_->IsGroup(peer)) world_->recorder.OfferedToGroup();
    const uint64_t random_id = rng_.Next() | 1;  // never 0
    world_->recorder.Offered(now, sender, device.first_device, peer, random_id);
    if (!world_->scenario.workload.classes.empty()) world_->recorder.OfferedByClass(world_->users.ClassOf(sender));
    from.population->Offer(from.index, peer, random_id);
  }
  ScheduleNext(now);
}

}  // namespace msgbed::sim
