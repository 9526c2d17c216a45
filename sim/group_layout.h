// GroupLayout: which users are in which basic group of workload.groups.
// Groups are consecutive blocks of users from user 1 on, group k from
// first(k) to first(k + 1) - 1, its first member the creator; a user is in
// at most one group. Sizes are all workload.groups.members, or drawn per
// group from its power law (seeded, so a run is reproducible).
#pragma once

#include <cstdint>
#include <vector>

#include "workload_spec.h"

namespace msgbed::sim {

class GroupLayout {
 public:
  GroupLayout() = default;
  GroupLayout(const GroupLoad& load, uint64_t seed);

  uint64_t count() const { return first_.empty() ? 0 : first_.size() - 1; }
  // How many users the groups take (the scenario reader checks they exist).
  uint64_t users() const { return first_.empty() ? 0 : first_.back() - 1; }
  uint64_t FirstMember(uint64_t k) const { return first_[k]; }
  uint64_t Size(uint64_t k) const { return first_[k + 1] - first_[k]; }
  // The group (from 0) user is in, or -1.
  int64_t GroupOf(uint64_t user) const;

 private:
  std::vector<uint64_t> first_;  // count + 1 entries: the last is one past the last member
};

// A size from the truncated power law for a uniform u in [0, 1): the
// continuous density ~ x^-alpha on [min, max + 1), rounded down.
uint64_t PowerLawSize(const GroupSizeLaw& law, double u);

}  // namespace msgbed::sim
