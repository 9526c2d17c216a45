// The message store's tier: boxes replicated on store nodes by the
// messages instances that own them (messages/replicator.h), through the
// real cores. Nothing acknowledged is lost when a store node or a messages
// instance loses its disk, and a lost replica is rebuilt.
#include <gtest/gtest.h>

#include "store/box_keys.h"
#include "store/placement.h"
#include "unit/chat_cluster.h"

namespace msgbed::testing {
namespace {

constexpr uint32_t kNodes = 3;

ClusterShape WithStore() {
  ClusterShape shape = Shape(2, 3, 2, 4);
  shape.instances[kStoreRole] = kNodes;
  return shape;
}

// Two replicas a box, a write on one before its outputs leave, a scrub every 5 s.
struct StoreTier : Groups {
  StoreTier() : Groups({{"messages", {{"store_replicas", 2}, {"store_quorum", 1}, {"store_scrub", 5}}}}, WithStore()) {}

  MemKvStore& Local(uint64_t id) { return c.substrate(BoxOwner(c.shape(), id)).kv_; }
  MemKvStore& Node(uint32_t node) { return c.substrate(StoreNode(node)).kv_; }
  static KvStore::Entries BoxOf(KvStore& kv, uint64_t id) {
    KvStore::Entries entries;
    EXPECT_TRUE(ReadBoxKeys(kv, id, &entries).ok());
    return entries;
  }
  // Every replica of box id holds it as its owner does.
  void ExpectReplicated(uint64_t id) {
    const KvStore::Entries local = BoxOf(Local(id), id);
    ASSERT_FALSE(local.empty()) << "box " << id;
    for (uint32_t node : ReplicasOf(id, kNodes, 2))
      EXPECT_EQ(BoxOf(Node(node), id), local) << "box " << id << " node " << node;
  }
  // The messages instance owning user's box loses its store and starts
  // again: the box must come back, byte for byte.
  void ExpectBoxBackAfterItsStoreIsLost(uint64_t user) {
    const Address owner = BoxOwner(c.shape(), user);
    const KvStore::Entries before = BoxOf(Local(user), user);
    c.Crash(owner);
    Local(user) = MemKvStore();
    c.Start(owner);
    c.Advance(5 * kSecond);
    EXPECT_EQ(BoxOf(Local(user), user), before) << "box " << user;
  }
  // The node holding no replica of box id, and one of its replicas.
  uint32_t Replica(uint64_t id, size_t k) { return ReplicasOf(id, kNodes, 2)[k]; }
  void SendRound(const std::string& tag) {
    for (uint64_t from = 1; from <= 4; ++from) {
      dev(from).core.SendText(from % 4 + 1, tag + " from " + std::to_string(from), ++random_id);
    }
    c.Run();
  }
  // Texts user's first device was delivered, in order.
  size_t Delivered(uint64_t user) { return dev(user).delivered.size(); }
  size_t Acked(uint64_t user) { return dev(user).sent.size(); }
  int64_t Stat(const Address& a, const std::string& name) { return c.host(a).Stats().Get(name); }
  uint64_t random_id = 5000;
};

TEST_F(StoreTier, EveryBoxIsOnItsReplicasAsItsOwnerHasIt) {
  SendRound("one");
  SendRound("two");
  for (uint64_t user = 1; user <= 4; ++user) ExpectReplicated(user);
  for (uint64_t user = 1; user <= 4; ++user) EXPECT_EQ(Acked(user), 2u);
  size_t copies = 0;
  for (uint32_t node = 0; node < kNodes; ++node) copies += Node(node).size() > 0;
  EXPECT_GE(copies, 2u) << "boxes spread over the nodes";
}

// A box is found by one scan per known tag (messages/placement.h): a key
// of another tag would be left out of its replicas.
TEST_F(StoreTier, EveryKeyOfAMessagesStoreHasAKnownTag) {
  SendRound("one");
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  dev(2).core.SendToChat(chat, "to the group", ++random_id);
  api::ClientFrame create;
  create.mutable_create_channel()->set_title("news");
  create.mutable_create_channel()->set_random_id(9);
  const uint64_t channel = Ask(dev(1), create).channel().id();
  dev(1).core.SendToChannel(channel, "a post", ++random_id);
  c.Run();
  api::ClientFrame read;
  read.mutable_read_history()->set_peer_user(1);
  Ask(dev(2), read);
  api::ClientFrame del;
  del.mutable_delete_messages()->add_ids(1);
  del.mutable_delete_messages()->set_revoke(true);
  Ask(dev(1), del);
  size_t keys = 0;
  for (uint32_t m = 0; m < 3; ++m) {
    KvStore::Entries all;
    ASSERT_TRUE(c.substrate(MakeAddress(role::kMessages, m)).kv_.Scan("", "~", SIZE_MAX, &all).ok());
    for (const auto& [key, value] : all) {
      const bool channel_box = key[0] == 'C';
      const std::string_view tags = channel_box ? kChannelBoxTags : kIdTags;
      EXPECT_NE(tags.find(key[channel_box ? 1 : 0]), std::string_view::npos)
          << "a key tagged '" << key.substr(0, 2) << "'";
      ++keys;
    }
  }
  EXPECT_GT(keys, 50u);
  for (uint64_t id : {uint64_t{1}, uint64_t{2}, chat, channel}) ExpectReplicated(id);
}

TEST_F(StoreTier, NothingLeavesAnInstanceBeforeItsWriteIsOnAQuorum) {
  for (uint32_t node = 0; node < kNodes; ++node) c.Crash(StoreNode(node));
  dev(1).core.SendText(2, "held", ++random_id);
  c.Run();
  c.Advance(2 * kSecond);
  EXPECT_EQ(Acked(1), 0u) << "acknowledged with no replica";
  EXPECT_EQ(Delivered(2), 0u) << "delivered with no replica";
  for (uint32_t node = 0; node < kNodes; ++node) c.Start(StoreNode(node));
  c.Advance(2 * kSecond);
  EXPECT_EQ(Acked(1), 1u);
  ASSERT_EQ(Delivered(2), 1u);
  EXPECT_EQ(dev(2).delivered[0].text(), "held");
  ExpectReplicated(1);
  ExpectReplicated(2);
}

TEST_F(StoreTier, AStoreNodeDownMidRunLosesNothingAndCatchesUpWhenBack) {
  SendRound("before");
  const uint32_t down = Replica(1, 0);
  c.Crash(StoreNode(down));
  SendRound("while down");
  for (uint64_t user = 1; user <= 4; ++user) EXPECT_EQ(Acked(user), 2u) << "the other replica is a quorum";
  c.Start(StoreNode(down));
  SendRound("after");       // a write finds it behind: it gets the whole box
  c.Advance(12 * kSecond);  // and the scrub finds the boxes not written since
  for (uint64_t user = 1; user <= 4; ++user) ExpectReplicated(user);
  EXPECT_EQ(Acked(1), 3u);
}

TEST_F(StoreTier, AStoreNodeThatLostItsDiskIsRebuilt) {
  SendRound("one");
  const uint32_t lost = Replica(3, 0);
  c.Crash(StoreNode(lost));
  Node(lost) = MemKvStore();
  c.Start(StoreNode(lost));
  c.Advance(12 * kSecond);  // two scrubs: no write needed
  for (uint64_t user = 1; user <= 4; ++user) ExpectReplicated(user);
  int64_t rebuilt = 0;
  for (uint32_t m = 0; m < 3; ++m) rebuilt += Stat(MakeAddress(role::kMessages, m), "messages.replicas_rebuilt");
  EXPECT_GT(rebuilt, 0);
}

TEST_F(StoreTier, AMessagesInstanceThatLostItsDiskGetsEveryBoxBackBeforeServing) {
  SendRound("one");
  SendRound("two");
  ExpectBoxBackAfterItsStoreIsLost(1);
  EXPECT_GT(Stat(BoxOwner(c.shape(), 1), "messages.boxes_recovered"), 0);
  // And it serves: a device's difference and new messages.
  TestDevice& fresh = c.AddDevice(1, 7);
  c.Connect(fresh);
  c.Run();
  EXPECT_EQ(fresh.core.pts(), Head(1).pts());
  EXPECT_EQ(fresh.delivered.size(), 4u) << "two sent, two received";
  SendRound("three");
  EXPECT_EQ(Acked(1), 3u);
  ExpectReplicated(1);
}

// Found by a hostile tester: boxes written before the store nodes were
// deployed reached them only when written again, so a messages store lost
// later lost them. The first start with the tier sends every box whole.
TEST_F(StoreTier, BoxesFromBeforeTheTierReachItsNodesAtTheNextStart) {
  SendRound("before the tier");
  // As a deployment without store nodes leaves its stores: no versions,
  // no mark of completeness; and the nodes empty.
  for (uint32_t m = 0; m < 3; ++m) {
    KvStore& raw = c.substrate(MakeAddress(role::kMessages, m)).kv_;
    KvStore::Entries versions;
    ASSERT_TRUE(raw.Scan("V", "W", SIZE_MAX, &versions).ok());
    WriteBatch untiered;
    for (const auto& [key, value] : versions) untiered.Delete(key);
    untiered.Delete("~tiered");
    ASSERT_TRUE(raw.Write(untiered).ok());
  }
  for (uint32_t node = 0; node < kNodes; ++node) {
    c.Crash(StoreNode(node));
    Node(node) = MemKvStore();
    c.Start(StoreNode(node));
  }
  for (uint32_t m = 0; m < 3; ++m) c.Crash(MakeAddress(role::kMessages, m));
  for (uint32_t m = 0; m < 3; ++m) c.Start(MakeAddress(role::kMessages, m));
  c.Advance(kSecond);
  for (uint64_t user = 1; user <= 4; ++user) ExpectReplicated(user);
  ExpectBoxBackAfterItsStoreIsLost(3);  // so a messages store lost now loses nothing
}

TEST_F(StoreTier, WritesACrashLeftUnreplicatedAreSentBeforeAnythingElse) {
  for (uint32_t node = 0; node < kNodes; ++node) c.Crash(StoreNode(node));
  dev(1).core.SendText(2, "written, not replicated", ++random_id);
  c.Run();
  const Address owner = BoxOwner(c.shape(), 1);
  KvStore::Entries dirty;
  ASSERT_TRUE(Local(1).Scan("~d", "~e", 10, &dirty).ok());
  EXPECT_FALSE(dirty.empty()) << "the unreplicated box is marked";
  c.Crash(owner);
  for (uint32_t node = 0; node < kNodes; ++node) c.Start(StoreNode(node));
  c.Start(owner);
  c.Advance(3 * kSecond);
  ASSERT_TRUE(Local(1).Scan("~d", "~e", 10, &dirty).ok());
  EXPECT_TRUE(dirty.empty());
  for (uint32_t node : ReplicasOf(1, kNodes, 2)) {
    Status s;
    EXPECT_EQ(BoxVersion(Node(node), 1, &s), BoxVersion(Local(1), 1, &s)) << "node " << node;
  }
}

}  // namespace
}  // namespace msgbed::testing
