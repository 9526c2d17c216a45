#include "faults.h"

#include <algorithm>

namespace msgbed::sim {

namespace {

bool Active(const FaultSpec& f, double now) { return f.at <= now && now < f.until; }

}  // namespace

Faults::Faults(const Scenario& sc, uint64_t seed) : rng_(seed) {
  for (const FaultSpec& f : sc.faults) {
    if (f.kind != FaultSpec::Kind::kCrash && f.kind != FaultSpec::Kind::kStart) windows_.push_back(&f);
  }
}

Faults::Effect Faults::OnEnvelope(const std::string& a, const std::string& b, double now) {
  Effect fx;
  for (const FaultSpec* f : windows_) {
    if (f->kind == FaultSpec::Kind::kDisk || !Active(*f, now) || !f->Separates(a, b)) continue;
    const FaultSpec::Fate fate = f->FateOf([this] { return rng_.Uniform(); });
    if (fate.lost) {
      ++counts_.dropped;
      return Effect{0, 0};
    }
    if (fate.duplicated) ++fx.copies, ++counts_.duplicated;
    if (fate.delay > 0) fx.delay += fate.delay, ++counts_.delayed;
  }
  return fx;
}

double Faults::HealTime(const std::string& a, const std::string& b, double now) {
  double t = now;
  for (bool moved = true; moved;) {  // a partition may begin as another heals
    moved = false;
    for (const FaultSpec* f : windows_) {
      if (f->kind != FaultSpec::Kind::kPartition || !Active(*f, t) || !f->Separates(a, b)) continue;
      t = f->until;
      moved = true;
    }
  }
  if (t > now) ++counts_.bus_held;
  return t;
}

bool Faults::DiskWrite(const std::string& instance, double now, double* slowdown) {
  *slowdown = 1;
  for (const FaultSpec* f : windows_) {
    if (f->kind != FaultSpec::Kind::kDisk || f->instance != instance || !Active(*f, now)) continue;
    if (f->full) {
      ++counts_.disk_failed;
      return false;
    }
    *slowdown = std::max(*slowdown, f->slow);
  }
  if (*slowdown > 1) ++counts_.disk_slowed;
  return true;
}

}  // namespace msgbed::sim
