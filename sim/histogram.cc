#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace msgbed::sim {

namespace {
constexpr double kFirst = 1e-6;  // the first bucket holds everything below 1 us
}

double Histogram::LowerBound(size_t i) { return i == 0 ? 0 : kFirst * std::exp2((i - 1.0) / kPerDoubling); }

void Histogram::Add(double seconds) {
  size_t i = 0;
  if (seconds >= kFirst) i = 1 + static_cast<size_t>(std::floor(std::log2(seconds / kFirst) * kPerDoubling));
  if (i >= counts_.size()) counts_.resize(i + 1, 0);
  ++counts_[i];
  ++count_;
}

void Histogram::Merge(const Histogram& other) {
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
}

double Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return i == 0 ? kFirst / 2 : LowerBound(i) * std::exp2(0.5 / kPerDoubling);
  }
  return 0;  // not reached: the counts add up to count_
}

nlohmann::ordered_json Histogram::Json() const {
  nlohmann::ordered_json buckets = nlohmann::ordered_json::array();
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] > 0) buckets.push_back({std::round(LowerBound(i) * 1e9) / 1e3, counts_[i]});
  }
  return {{"buckets_per_doubling", kPerDoubling}, {"buckets", buckets}};
}

}  // namespace msgbed::sim
