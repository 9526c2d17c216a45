// Placement by rendezvous hashing: one more instance moves only what it
// wins, about its share, and the owners spread evenly.
#include "auth/placement.h"

#include <gtest/gtest.h>

#include <vector>

#include "messages/placement.h"

namespace msgbed {
namespace {

constexpr uint64_t kKeys = 20000;

TEST(Placement, OneMoreInstanceMovesOnlyTheKeysItWinsAboutItsShare) {
  for (uint32_t n = 1; n <= 16; ++n) {
    uint64_t moved = 0;
    for (uint64_t key = 1; key <= kKeys; ++key) {
      const uint32_t before = RendezvousOwner(StableHash(key), n);
      const uint32_t after = RendezvousOwner(StableHash(key), n + 1);
      if (before == after) continue;
      ASSERT_EQ(after, n) << "key " << key << " moved between two old instances (" << n << " to " << n + 1 << ")";
      ++moved;
    }
    const double share = 1.0 / (n + 1);
    EXPECT_NEAR(static_cast<double>(moved) / kKeys, share, 0.15 * share) << n << " to " << n + 1;
  }
}

TEST(Placement, KeysSpreadEvenlyOverTheInstances) {
  for (uint32_t n : {3u, 8u, 13u}) {
    std::vector<uint64_t> owned(n);
    for (uint64_t key = 1; key <= kKeys; ++key) ++owned[RendezvousOwner(StableHash(key), n)];
    for (uint32_t i = 0; i < n; ++i) EXPECT_NEAR(static_cast<double>(owned[i]), double(kKeys) / n, 0.1 * kKeys / n);
  }
}

// Every role's placement uses it: boxes, groups and channels on messages,
// accounts and phones on auth.
TEST(Placement, BoxesAndAccountsMoveOnlyToTheNewInstance) {
  const ClusterShape before = ClusterShape::Of(1, 4, 1, 8, 4), after = ClusterShape::Of(1, 5, 1, 8, 5);
  for (uint64_t id = 1; id <= 2000; ++id) {
    const auto box_before = BoxOwner(before, id), box_after = BoxOwner(after, id);
    if (box_before.index() != box_after.index()) {
      EXPECT_EQ(box_after.index(), 4u);
    }
    const auto account_before = AuthOfUser(before, id), account_after = AuthOfUser(after, id);
    if (account_before.index() != account_after.index()) {
      EXPECT_EQ(account_after.index(), 4u);
    }
    const std::string phone = "4479" + std::to_string(1000000 + id);
    if (AuthOfPhone(before, phone).index() != AuthOfPhone(after, phone).index()) {
      EXPECT_EQ(AuthOfPhone(after, phone).index(), 4u);
    }
  }
}

}  // namespace
}  // namespace msgbed
