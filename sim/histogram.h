// Histogram: latencies in log-spaced buckets, 16 per doubling (each bucket
// 4.4 % wide), from 1 us up. Fixed bucket bounds make histograms mergeable
// (add the counts) across flows, runs and sweep points; a quantile read
// from one (its bucket's geometric middle) is within 2.2 % of the exact one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace msgbed::sim {

class Histogram {
 public:
  static constexpr int kPerDoubling = 16;

  void Add(double seconds);
  void Merge(const Histogram& other);
  uint64_t count() const { return count_; }
  // The middle (seconds) of the bucket holding quantile q in (0, 1]; 0
  // when empty.
  double Quantile(double q) const;
  // Lower bound in seconds of bucket i.
  static double LowerBound(size_t i);
  // {"buckets_per_doubling": 16, "buckets": [[lower_bound_us, count], ...]},
  // non-empty buckets only.
  nlohmann::ordered_json Json() const;

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
};

}  // namespace msgbed::sim
