// The whole flow through the real cores, in one thread: gateway -> messages
// -> bus -> sync -> gateway -> device, and getDifference for offline devices.
#include <gtest/gtest.h>

#include "messages/message_service.h"
#include "messages/placement.h"
#include "proto/gateway.pb.h"
#include "sync/sync_service.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

std::vector<uint64_t> RandomIds(const std::vector<api::Message>& ms) {
  std::vector<uint64_t> out;
  for (const auto& m : ms) out.push_back(m.random_id());
  return out;
}

// Two users whose boxes live on different message instances.
std::pair<uint64_t, uint64_t> UsersOnDifferentOwners(const ClusterShape& shape) {
  for (uint64_t b = 2;; ++b) {
    if (!SameAddress(BoxOwner(shape, 1), BoxOwner(shape, b))) return {1, b};
  }
}

TEST(MessageFlow, DeliversToEveryOtherOnlineDeviceExactlyOnce) {
  ClusterShape shape = Shape(2, 2, 2, 4);
  TestCluster c(shape);
  auto [a, b] = UsersOnDifferentOwners(shape);
  TestDevice& a1 = c.AddDevice(a, 1, 0);
  TestDevice& a2 = c.AddDevice(a, 2, 1);
  TestDevice& b1 = c.AddDevice(b, 1, 1);
  TestDevice& b2 = c.AddDevice(b, 2, 0);
  for (TestDevice* d : {&a1, &a2, &b1, &b2}) c.Connect(*d);
  c.Run();

  for (uint64_t i = 1; i <= 5; ++i) a1.core.SendText(b, "m" + std::to_string(i), 1000 + i);
  c.Run();

  const std::vector<uint64_t> want = {1001, 1002, 1003, 1004, 1005};
  EXPECT_EQ(RandomIds(b1.delivered), want);
  EXPECT_EQ(RandomIds(b2.delivered), want);
  EXPECT_EQ(RandomIds(a2.delivered), want);
  EXPECT_TRUE(a1.delivered.empty()) << "the sender's device already has its messages";
  ASSERT_EQ(a1.sent.size(), 5u);
  EXPECT_EQ(a1.sent.back().pts(), 5u);
  for (TestDevice* d : {&a1, &a2, &b1, &b2}) EXPECT_EQ(d->core.pts(), 5u);
  EXPECT_EQ(b1.delivered[0].from_user(), a);
  EXPECT_EQ(b1.delivered[0].peer_user(), a) << "in B's box the chat is with A";
}

TEST(MessageFlow, RepeatedRandomIdIsOneMessage) {
  TestCluster c(Shape(1, 2, 1, 2));
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  c.Connect(a);
  c.Connect(b);
  c.Run();
  a.core.SendText(2, "once", 42);
  a.core.SendText(2, "once", 42);
  c.Run();
  std::vector<api::SentMessage> answers;  // what the server said to each request
  for (const auto& f : a.frames) {
    if (f.has_sent_message()) answers.push_back(f.sent_message());
  }
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].pts(), answers[1].pts());
  EXPECT_EQ(answers[0].message_id(), answers[1].message_id());
  EXPECT_EQ(a.sent.size(), 1u) << "the device reports one message once";
  EXPECT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.core.pts(), 1u);
}

TEST(MessageFlow, OfflineDeviceCatchesUpInPtsOrderAcrossSlices) {
  TestCluster c(Shape(1, 1, 1, 2));
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b_online = c.AddDevice(2, 1);
  TestDevice& b_offline = c.AddDevice(2, 2);
  c.Connect(a);
  c.Connect(b_online);
  c.Run();
  const int n = 250;  // more than one getDifference slice (100)
  for (int i = 0; i < n; ++i) {
    a.core.SendText(2, "x", 5000 + i);
    if (i % 50 == 49) c.Run();  // fewer in flight than the gateway allows
  }
  c.Run();
  EXPECT_TRUE(b_offline.delivered.empty());

  c.Connect(b_offline);
  c.Run();
  ASSERT_EQ(b_offline.delivered.size(), size_t(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(b_offline.delivered[i].random_id(), uint64_t(5000 + i));
  EXPECT_EQ(b_offline.core.pts(), uint64_t(n));
  EXPECT_EQ(RandomIds(b_online.delivered), RandomIds(b_offline.delivered));
}

TEST(MessageFlow, LostPushIsRecoveredThroughGetDifference) {
  TestCluster c(Shape(1, 1, 1, 1));
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  c.Connect(a);
  c.Connect(b);
  c.Run();
  int dropped = 0;
  c.drop = [&](const Envelope& m) {
    const auto* push = BodyAs<gateway::Push>(m);
    const bool push_to_b = push && push->client().user() == 2 && push->frame().has_update();
    if (push_to_b && dropped == 0) {
      ++dropped;
      return true;
    }
    return false;
  };
  for (uint64_t i = 1; i <= 3; ++i) a.core.SendText(2, "m", i);
  c.Run();
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(RandomIds(b.delivered), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(b.core.pts(), 3u);
}

// Users ua and ub, each with one online device, whose boxes live on
// different messages instances.
struct TwoOwners : ::testing::Test {
  TwoOwners() {
    c.Connect(a);
    c.Connect(b);
    c.Run();
  }
  const ClusterShape shape = Shape(1, 2, 1, 2);
  TestCluster c{shape};
  const uint64_t ua = UsersOnDifferentOwners(shape).first;
  const uint64_t ub = UsersOnDifferentOwners(shape).second;
  TestDevice& a = c.AddDevice(ua, 1);
  TestDevice& b = c.AddDevice(ub, 1);
};

TEST_F(TwoOwners, UnreachablePeerBoxFailsTheSendThenTheServiceFinishesIt) {
  c.drop = [](const Envelope& m) { return BodyAs<messages::ApplyToBox>(m) != nullptr; };
  a.core.SendText(ub, "hello", 77);
  c.Run();
  EXPECT_TRUE(a.sent.empty());
  c.Advance(kPeerAppendTimeout);
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code(), api::INTERNAL);
  EXPECT_EQ(a.errors[0].message(), "the service failed; retry") << "what failed inside is not the client's to read";
  EXPECT_EQ(c.host(MakeAddress(role::kGateway, 0)).Stats().Get("gateway.internal_errors"), 1);
  EXPECT_TRUE(b.delivered.empty());

  c.drop = nullptr;
  c.Advance(kMaxPeerRetry);
  EXPECT_EQ(RandomIds(b.delivered), (std::vector<uint64_t>{77})) << "the service tried again by itself";
  c.Advance(kSecond);  // the device's own retry, with the same random_id
  ASSERT_EQ(a.sent.size(), 1u);
  EXPECT_EQ(a.sent[0].pts(), 1u) << "the retry gets the first append's result";
  EXPECT_EQ(RandomIds(b.delivered), (std::vector<uint64_t>{77}));
}

// Found by the first fault campaign: a failed peer append let the chat's
// next message overtake it in the peer's box.
TEST_F(TwoOwners, AChatKeepsOneOrderInBothBoxesWhenAPeerAppendFails) {
  int drops = 1;
  c.drop = [&drops](const Envelope& m) { return BodyAs<messages::ApplyToBox>(m) != nullptr && drops-- > 0; };
  a.core.SendText(ub, "first", 1);
  c.Run();
  a.core.SendText(ub, "second", 2);
  c.Advance(kPeerAppendTimeout + kMaxPeerRetry + 2 * kSecond);
  EXPECT_EQ(RandomIds(b.delivered), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(a.sent.size(), 2u);
}

TEST_F(TwoOwners, ASendLeftHalfDoneByACrashIsFinishedAfterTheRestart) {
  c.drop = [](const Envelope& m) { return BodyAs<messages::ApplyToBox>(m) != nullptr; };
  a.core.SendText(ub, "hello", 77);
  c.Run();  // in A's box; the append to B's is lost
  const Address owner = BoxOwner(shape, ua);
  c.Crash(owner);
  c.drop = nullptr;
  c.Start(owner);
  c.Run();
  EXPECT_EQ(RandomIds(b.delivered), (std::vector<uint64_t>{77})) << "recovered from A's outbox, no client involved";
}

TEST(MessageFlow, RejectsBadRequestsWithProtocolErrors) {
  TestCluster c(Shape());
  TestDevice& a = c.AddDevice(1, 1);
  c.Connect(a);
  c.Run();
  a.core.SendText(0, "x", 1);
  a.core.SendText(2, "", 2);
  a.core.SendText(2, std::string(kMaxMessageChars + 1, 'x'), 3);
  c.Run();
  ASSERT_EQ(a.errors.size(), 3u);
  EXPECT_EQ(a.errors[0].code(), api::PEER_ID_INVALID);
  EXPECT_EQ(a.errors[1].code(), api::MESSAGE_EMPTY);
  EXPECT_EQ(a.errors[2].code(), api::MESSAGE_TOO_LONG);
  EXPECT_EQ(a.core.pts(), 0u);
}

TEST(MessageFlow, RequestsBeforeSignInAreRefused) {
  TestCluster c(Shape());
  TestDevice& a = c.AddDevice(1, 1);
  c.Attach(a);  // connected, never signed in
  a.core.SendText(2, "x", 1);
  c.Run();
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code(), api::AUTH_KEY_UNREGISTERED);
  EXPECT_EQ(c.As<MessageService>(role::kMessages, 0).pending_sends(), 0u);
}

TEST(MessageFlow, SyncForgetsOnlyTheConnectionThatClosed) {
  TestCluster c(Shape());
  TestDevice& b = c.AddDevice(2, 1);
  c.Connect(b);
  c.Run();
  const ConnId old_conn = b.conn;
  c.Connect(b);  // same device, new connection (reconnect raced the close)
  c.Run();
  auto& gw = c.service(MakeAddress(role::kGateway, 0));
  gw.OnClientClosed(old_conn);
  c.Run();
  EXPECT_EQ(c.As<SyncService>(role::kSync, 0).online_devices(), 1u);
}

}  // namespace
}  // namespace msgbed::testing
