#include "group_layout.h"

#include <algorithm>
#include <cmath>

#include "core/rng.h"

namespace msgbed::sim {

uint64_t PowerLawSize(const GroupSizeLaw& law, double u) {
  // The continuous law on [min, max + 1), inverted, then floored: each
  // integer n takes the mass of [n, n + 1).
  const double lo = static_cast<double>(law.min), hi = static_cast<double>(law.max) + 1;
  double x;
  if (std::abs(law.alpha - 1) < 1e-9) {
    x = lo * std::pow(hi / lo, u);
  } else {
    const double e = 1 - law.alpha;
    x = std::pow(std::pow(lo, e) + u * (std::pow(hi, e) - std::pow(lo, e)), 1 / e);
  }
  return std::clamp(static_cast<uint64_t>(x), law.min, law.max);
}

GroupLayout::GroupLayout(const GroupLoad& load, uint64_t seed) {
  Rng draw(DeriveSeed(seed, "groups"));
  first_.reserve(load.count + 1);
  uint64_t next = 1;
  for (uint64_t k = 0; k < load.count; ++k) {
    first_.push_back(next);
    next += load.drawn() ? PowerLawSize(load.sizes, draw.Uniform()) : load.members;
  }
  first_.push_back(next);
}

int64_t GroupLayout::GroupOf(uint64_t user) const {
  if (first_.size() < 2 || user < first_.front() || user >= first_.back()) return -1;
  return std::upper_bound(first_.begin(), first_.end(), user) - first_.begin() - 1;
}

}  // namespace msgbed::sim
