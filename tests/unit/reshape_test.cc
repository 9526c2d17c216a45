// Adding a messages instance to a running cluster (box_handoff.h): only
// the boxes, groups and channels the new instance wins move, nothing
// accepted is lost, and requests that race the move are served once.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "messages/box_handoff.h"
#include "messages/box_store.h"
#include "messages/placement.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

constexpr uint64_t kUsers = 12;

struct Reshape : ::testing::Test {
  TestCluster c{Shape(1, 2, 1, 4)};
  std::map<uint64_t, TestDevice*> dev;  // user -> device
  uint64_t group = 0, channel = 0;
  uint64_t next_random = 1;

  void SetUp() override {
    for (uint64_t user = 1; user <= kUsers; ++user) {
      dev[user] = &c.AddDevice(user, 1);
      c.Connect(*dev[user]);
    }
    c.Run();
    api::ClientFrame f;
    f.mutable_create_chat()->set_title("friends");
    f.mutable_create_chat()->set_random_id(next_random++);
    for (uint64_t u : {2, 3}) f.mutable_create_chat()->add_users(u);
    dev[1]->core.Request(f);
    api::ClientFrame ch;
    ch.mutable_create_channel()->set_title("town square");
    ch.mutable_create_channel()->set_random_id(next_random++);
    dev[4]->core.Request(ch);
    c.Run();
    for (const api::ServerFrame& fr : dev[1]->frames) {
      if (fr.has_chat()) group = fr.chat().id();
    }
    for (const api::ServerFrame& fr : dev[4]->frames) {
      if (fr.has_channel()) channel = fr.channel().id();
    }
    ASSERT_NE(group, 0u);
    ASSERT_NE(channel, 0u);
    for (uint64_t u : {5, 6}) {
      api::ClientFrame join;
      join.mutable_join_channel()->set_channel_id(channel);
      dev[u]->core.Request(join);
    }
    c.Run();
  }

  // Every user writes to the next, user 2 to the group, user 5 in the channel.
  void Round(const std::string& tag) {
    for (uint64_t u = 1; u <= kUsers; ++u)
      dev[u]->core.SendText(u % kUsers + 1, tag + "-" + std::to_string(u), next_random++);
    dev[2]->core.SendToChat(group, tag + "-group", next_random++);
    dev[5]->core.SendToChannel(channel, tag + "-channel", next_random++);
  }

  // id -> the messages instances whose store has keys of it.
  std::map<uint64_t, std::set<uint32_t>> Placement() {
    std::map<uint64_t, std::set<uint32_t>> where;
    for (uint32_t i = 0; i < c.shape().Count(role::kMessages); ++i) {
      KvStore::Entries entries;
      EXPECT_TRUE(c.substrate(MakeAddress(role::kMessages, i)).Store().Scan("", "~", SIZE_MAX, &entries).ok());
      for (const auto& [key, value] : entries) {
        const auto id = PlacementIdOfKey(key);
        EXPECT_TRUE(id.has_value()) << "a key of no id";
        if (id) where[*id].insert(i);
      }
    }
    return where;
  }

  // Every device has each text of the rounds exactly once.
  void ExpectEveryTextOnce(const std::vector<std::string>& tags) {
    for (uint64_t u = 1; u <= kUsers; ++u) {
      std::multiset<std::string> got;
      for (const api::Message& m : dev[u]->delivered) got.insert(m.text());
      for (const std::string& tag : tags) {
        const uint64_t from = (u + kUsers - 2) % kUsers + 1;
        EXPECT_EQ(got.count(tag + "-" + std::to_string(from)), 1u) << "user " << u << " tag " << tag;
        if (u == 1 || u == 3) {
          EXPECT_EQ(got.count(tag + "-group"), 1u) << "user " << u;
        }
        if (u == 4 || u == 6) {
          EXPECT_EQ(got.count(tag + "-channel"), 1u) << "user " << u;
        }
      }
      EXPECT_EQ(got.size(), std::set<std::string>(got.begin(), got.end()).size()) << "a duplicate at user " << u;
      EXPECT_TRUE(dev[u]->errors.empty()) << "user " << u << ": " << dev[u]->errors[0].ShortDebugString();
    }
  }

  // Lets the handoff's status questions and retries run out.
  void Settle() {
    for (int i = 0; i < 20; ++i) c.Advance(kHandoffRetry);
    c.Run();
  }
};

TEST_F(Reshape, AnAddedInstanceTakesOnlyWhatItWinsAndNothingIsLost) {
  Round("a");
  c.Run();
  const auto before = Placement();
  c.Grow(role::kMessages);
  Settle();
  const auto after = Placement();
  size_t moved = 0;
  for (const auto& [id, was] : before) {
    ASSERT_EQ(was.size(), 1u) << "id " << id << " was in two places";
    const uint32_t owner = OwnerIndex(id, 3);
    EXPECT_EQ(after.at(id), std::set<uint32_t>{owner}) << "id " << id;
    if (owner != *was.begin()) {
      EXPECT_EQ(owner, 2u) << "moved between two old instances";
      ++moved;
    }
  }
  EXPECT_GT(moved, 0u) << "the test moved nothing";
  EXPECT_GT(c.host(MakeAddress(role::kMessages, 2)).Stats().Get("messages.handoff_keys_in"), 0);

  Round("b");
  c.Run();
  ExpectEveryTextOnce({"a", "b"});
  for (uint64_t u = 1; u <= kUsers; ++u) {
    storage::BoxHead head;
    ASSERT_TRUE(BoxStore(&c.substrate(BoxOwner(c.shape(), u)).Store()).Head(u, &head).ok());
    EXPECT_EQ(dev[u]->core.pts(), head.pts()) << "user " << u << " has a gap or an extra update";
  }
}

TEST_F(Reshape, RequestsRacingTheMoveArePassedOnHeldAndServedOnce) {
  const ClusterShape old = c.shape();
  Round("a");  // queued, not yet delivered: they reach the boxes mid-move
  c.Grow(role::kMessages);
  c.host(MakeAddress(role::kGateway, 0)).Reshape(old);  // a gateway that has not heard yet
  Round("b");
  c.Run();
  Settle();
  ExpectEveryTextOnce({"a", "b"});
  int64_t passed = 0;
  for (uint32_t i = 0; i < 2; ++i) passed += c.host(MakeAddress(role::kMessages, i)).Stats().Get("messages.passed_on");
  EXPECT_GT(passed, 0) << "nothing took the old route";
  EXPECT_GT(c.host(MakeAddress(role::kMessages, 2)).Stats().Get("messages.held"), 0) << "nothing waited for its box";
}

TEST_F(Reshape, AnOldOwnerThatCrashesMidMoveFinishesItAfterItsRestart) {
  Round("a");
  c.Run();
  c.Grow(role::kMessages);
  c.Crash(MakeAddress(role::kMessages, 0));  // before its first chunk is written
  c.Crash(MakeAddress(role::kMessages, 2));
  c.Run();
  c.Start(MakeAddress(role::kMessages, 2));
  c.Start(MakeAddress(role::kMessages, 0));
  Settle();
  for (const auto& [id, where] : Placement()) EXPECT_EQ(where, std::set<uint32_t>{OwnerIndex(id, 3)}) << "id " << id;
  Round("b");
  c.Run();
  Settle();
  ExpectEveryTextOnce({"a", "b"});
}

// A second reshape before the first is done, then a third that takes the
// new instance away again: each id ends at its owner under the last count.
TEST_F(Reshape, ReshapesInARowBeforeAMoveIsDoneLoseNothing) {
  Round("a");
  c.Run();
  const auto before = Placement();
  c.Grow(role::kMessages);
  Round("b");
  c.Grow(role::kMessages);  // before anything of the first move was delivered
  c.Run();
  c.Shrink(role::kMessages);
  Round("c");
  c.Run();
  Settle();
  for (const auto& [id, where] : Placement()) {
    if (where.size() == 1 && *where.begin() == 3) {
      ADD_FAILURE() << "id " << id << " stayed on the instance that left";
      continue;
    }
    EXPECT_EQ(where, std::set<uint32_t>{OwnerIndex(id, 3)}) << "id " << id;
  }
  for (const auto& [id, was] : before) EXPECT_TRUE(Placement().contains(id)) << "id " << id << " is gone";
  Round("d");
  c.Run();
  ExpectEveryTextOnce({"a", "b", "c", "d"});
  for (uint64_t u = 1; u <= kUsers; ++u) {
    storage::BoxHead head;
    ASSERT_TRUE(BoxStore(&c.substrate(BoxOwner(c.shape(), u)).Store()).Head(u, &head).ok());
    EXPECT_EQ(dev[u]->core.pts(), head.pts()) << "user " << u;
  }
}

}  // namespace
}  // namespace msgbed::testing
