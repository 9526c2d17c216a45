// Log-bucketed latency histograms: quantiles within 2.2 % of the exact
// ones, and merging is adding.
#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/rng.h"

namespace msgbed::sim {
namespace {

TEST(Histogram, QuantilesAreWithinHalfABucketOfTheExactOnes) {
  Rng rng(5);
  Histogram h;
  std::vector<double> exact;
  for (int i = 0; i < 100000; ++i) {
    const double v = rng.Exponential(1 / 0.02);  // mean 20 ms
    h.Add(v);
    exact.push_back(v);
  }
  std::sort(exact.begin(), exact.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = exact[static_cast<size_t>(q * exact.size()) - 1];
    EXPECT_NEAR(h.Quantile(q), want, 0.022 * want) << q;
  }
  EXPECT_EQ(h.count(), 100000u);
}

TEST(Histogram, MergingAddsTheCounts) {
  Histogram a, b, both;
  for (double v : {1e-6, 3e-3, 0.2}) {
    a.Add(v);
    both.Add(v);
  }
  for (double v : {5e-7, 3e-3, 40.0}) {
    b.Add(v);
    both.Add(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.Json(), both.Json());
  EXPECT_EQ(a.count(), 6u);
  EXPECT_EQ(a.Json()["buckets"][0][0], 0.0) << "below 1 us: the first bucket";
}

}  // namespace
}  // namespace msgbed::sim
