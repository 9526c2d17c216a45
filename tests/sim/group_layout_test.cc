// GroupLayout: workload.groups' members, all alike or of power-law sizes.
#include "sim/group_layout.h"

#include <gtest/gtest.h>

#include <cmath>

namespace msgbed::sim {
namespace {

TEST(GroupLayout, GroupsOfOneSizeAreConsecutiveBlocksFromUserOne) {
  const GroupLayout g(GroupLoad{3, 4, {}, 0.5}, 1);
  EXPECT_EQ(g.users(), 12u);
  ASSERT_EQ(g.count(), 3u);
  EXPECT_EQ(g.FirstMember(2), 9u);
  EXPECT_EQ(g.Size(1), 4u);
  EXPECT_EQ(g.GroupOf(1), 0);
  EXPECT_EQ(g.GroupOf(4), 0);
  EXPECT_EQ(g.GroupOf(5), 1);
  EXPECT_EQ(g.GroupOf(12), 2);
  EXPECT_EQ(g.GroupOf(13), -1);
  EXPECT_EQ(g.GroupOf(0), -1);
  EXPECT_EQ(GroupLayout().GroupOf(1), -1);
}

// The discrete law's probabilities, n^-alpha summed over [n, n + 1), are
// what the draw gives: checked on its mean and its share of the smallest.
TEST(GroupLayout, PowerLawSizesFollowTheLawWithinItsBounds) {
  const GroupSizeLaw law{3, 200, 2.0};
  const GroupLayout g(GroupLoad{20000, 0, law, 0.5}, 7);
  double sum = 0;
  uint64_t smallest = 0, largest = 0;
  for (uint64_t k = 0; k < g.count(); ++k) {
    ASSERT_GE(g.Size(k), 3u);
    ASSERT_LE(g.Size(k), 200u);
    sum += static_cast<double>(g.Size(k));
    smallest += g.Size(k) == 3;
    largest = std::max(largest, g.Size(k));
  }
  // Continuous density ~ x^-2 on [3, 201): P(size 3) = P(x < 4) and the mean of floor(x).
  const double norm = 1.0 / 3 - 1.0 / 201;
  const double p3 = (1.0 / 3 - 1.0 / 4) / norm;
  double mean = 0;
  for (int n = 3; n <= 200; ++n) mean += n * (1.0 / n - 1.0 / (n + 1)) / norm;
  EXPECT_NEAR(static_cast<double>(smallest) / 20000, p3, 0.02);
  EXPECT_NEAR(sum / 20000, mean, 0.05 * mean);
  EXPECT_GT(largest, 150u);  // a heavy tail: some groups are large
  EXPECT_EQ(static_cast<double>(g.users()), sum);
  // Every user of a group maps back to it.
  for (uint64_t k = 0; k < g.count(); k += 997) {
    EXPECT_EQ(g.GroupOf(g.FirstMember(k)), static_cast<int64_t>(k));
    EXPECT_EQ(g.GroupOf(g.FirstMember(k) + g.Size(k) - 1), static_cast<int64_t>(k));
  }
}

TEST(GroupLayout, TheSameSeedDrawsTheSameSizes) {
  const GroupLoad load{50, 0, {2, 200, 1.5}, 0.5};
  const GroupLayout a(load, 3), b(load, 3), c(load, 4);
  bool differs = false;
  for (uint64_t k = 0; k < 50; ++k) {
    EXPECT_EQ(a.Size(k), b.Size(k));
    differs |= a.Size(k) != c.Size(k);
  }
  EXPECT_TRUE(differs);
}

TEST(GroupLayout, AnExponentOfOneIsLogUniform) {
  const GroupSizeLaw law{2, 200, 1.0};
  EXPECT_EQ(PowerLawSize(law, 0), 2u);
  EXPECT_EQ(PowerLawSize(law, 0.999999), 200u);
  // the median of a log-uniform on [2, 201) is sqrt(2 * 201)
  EXPECT_EQ(PowerLawSize(law, 0.5), static_cast<uint64_t>(std::sqrt(2.0 * 201)));
}

}  // namespace
}  // namespace msgbed::sim
