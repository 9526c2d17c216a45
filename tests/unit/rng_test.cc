// Random streams: the same seed and purpose give the same numbers on any
// standard library (the values below were produced by this code on
// libstdc++; the generator's output is fixed by the C++ standard and the
// distributions are the project's own), and the distributions are what
// they claim.
#include "core/rng.h"

#include <gtest/gtest.h>

#include <set>

namespace msgbed {
namespace {

TEST(Rng, AStreamIsFixedBySeedAndPurpose) {
  EXPECT_EQ(DeriveSeed(42, "workload"), 15910650055074618520ull);
  Rng r(DeriveSeed(42, "workload"));
  EXPECT_EQ(r.Next(), 4317399443689445198ull);
  EXPECT_EQ(r.Below(1000), 643u);
  EXPECT_DOUBLE_EQ(r.Uniform(), 0.016984559855816705);
  EXPECT_DOUBLE_EQ(r.Exponential(2.0), 0.10420081540704142);
}

TEST(Rng, PurposesAndSeedsGiveDifferentStreams) {
  std::set<uint64_t> seeds;
  for (const char* p : {"workload", "placement", "instance/gateway/0", "instance/gateway/1", "faults"}) {
    seeds.insert(DeriveSeed(42, p));
    seeds.insert(DeriveSeed(43, p));
  }
  EXPECT_EQ(seeds.size(), 10u);
}

TEST(Rng, DistributionsHaveTheirShape) {
  Rng r(1);
  const int n = 200000;
  double sum_u = 0, sum_e = 0;
  std::vector<int> buckets(10);
  for (int i = 0; i < n; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum_u += u;
    sum_e += r.Exponential(4.0);
    ++buckets[r.Below(10)];
  }
  EXPECT_NEAR(sum_u / n, 0.5, 0.005);
  EXPECT_NEAR(sum_e / n, 0.25, 0.005);
  for (int b : buckets) EXPECT_NEAR(b, n / 10, n / 100);
}

}  // namespace
}  // namespace msgbed
