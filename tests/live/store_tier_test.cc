// The message store's tier live (docs/storage.md): three storage nodes in
// processes of their own on loopback, two replicas a box. A storage node
// stopped mid-run costs no message; a messages instance whose store is
// wiped gets every box back from the nodes before it serves.
#include <gtest/gtest.h>

#include <filesystem>

#include "live/live_fixture.h"

namespace msgbed::testing {
namespace {

struct LiveStoreTier : Split {
  LiveStoreTier() : Split("messages: {store_replicas: 2, store_quorum: 1, store_scrub: 1s}\n", "", 3) {}
};

TEST_F(LiveStoreTier, NoAcknowledgedMessageIsLostToAStorageNodeOrAWipedMessagesStore) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  for (uint64_t k = 1; k <= 5; ++k) alice->device().SendText(2, "before " + std::to_string(k), k);
  ASSERT_TRUE(Run([&] { return a.sent.size() == 5 && b.delivered.size() == 5; }));

  deploy_.Stop("store/1");  // a storage node lost mid-run
  for (uint64_t k = 6; k <= 10; ++k) alice->device().SendText(2, "during " + std::to_string(k), k);
  ASSERT_TRUE(Run([&] { return a.sent.size() == 10 && b.delivered.size() == 10; }))
      << "the other replicas are a quorum";

  // The messages instance loses its store; the storage node is back.
  deploy_.Stop("messages");
  std::filesystem::remove_all(deploy_.dir() / "messages-0");
  deploy_.Start("store/1");
  deploy_.Start("messages");

  Seen fresh;  // a device of bob's that never saw anything: it reads the whole box
  auto again = Online(2, &fresh, 2);
  ASSERT_TRUE(Run([&] { return fresh.delivered.size() == 10; })) << fresh.delivered.size() << " of 10";
  for (uint64_t k = 1; k <= 10; ++k) EXPECT_EQ(fresh.delivered[k - 1].first, k) << "in order";
  alice->device().SendText(2, "after", 11);
  ASSERT_TRUE(Run([&] { return a.sent.size() == 11 && fresh.delivered.size() == 11; }));
}

}  // namespace
}  // namespace msgbed::testing
