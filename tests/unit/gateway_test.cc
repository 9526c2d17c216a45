// The connection layer's promises: a frame reaches only the connection of
// the user and device it is for, across gateway restarts; every request is
// answered (or the connection closed with a reason); connections that never
// sign in, or that flood, are bounded.
#include <gtest/gtest.h>

#include "gateway/bus_backpressure.h"
#include "gateway/gateway_service.h"
#include "messages/message_service.h"
#include "proto/gateway.pb.h"
#include "sync/sync_service.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

const Address kGateway0 = MakeAddress(role::kGateway, 0);

// True when some frame on d's connection carried any message at all.
bool SawAMessage(const TestDevice& d) {
  for (const auto& f : d.frames) {
    if (f.has_update() || f.difference().updates_size() > 0) return true;
  }
  return false;
}

std::vector<api::ErrorCode> Codes(const TestDevice& d) {
  std::vector<api::ErrorCode> out;
  for (const auto& e : d.errors) out.push_back(e.code());
  return out;
}

TEST(Gateway, AfterARestartPushesForOldConnectionsReachNoOtherUser) {
  TestCluster c(Shape(1, 1, 1, 2));
  TestDevice& sender = c.AddDevice(1, 1);
  std::vector<TestDevice*> before;
  for (uint64_t u = 2; u <= 6; ++u) before.push_back(&c.AddDevice(u, 1));
  for (TestDevice* d : before) c.Connect(*d);  // connections 1..5
  c.Run();

  c.Restart(kGateway0);  // connection ids start again at 1
  std::vector<TestDevice*> after;
  for (uint64_t u = 12; u <= 16; ++u) after.push_back(&c.AddDevice(u, 1));
  for (TestDevice* d : after) c.Connect(*d);  // reuse connections 1..5
  c.Connect(sender);
  c.Run();

  for (uint64_t u = 2; u <= 6; ++u) sender.core.SendText(u, "private to " + std::to_string(u), 100 + u);
  c.Run();
  ASSERT_EQ(sender.sent.size(), 5u);
  for (TestDevice* d : after) {  // nobody wrote to them
    EXPECT_FALSE(SawAMessage(*d)) << "user " << d->core.user() << " saw someone else's message";
  }
}

TEST(Gateway, StaleRegistrationsAreForgottenAfterTheFirstRefusedPush) {
  TestCluster c(Shape(1, 1, 1, 1));
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  c.Connect(b);
  c.Run();
  c.Restart(kGateway0);
  c.Connect(a);
  c.Run();
  auto& sync = c.As<SyncService>(role::kSync, 0);
  EXPECT_EQ(sync.online_devices(), 2u) << "b's registration from before the restart is still there";
  a.core.SendText(2, "are you there?", 1);
  c.Run();
  EXPECT_EQ(sync.online_devices(), 1u) << "the gateway told sync that b's old connection is gone";
}

TEST(Gateway, ACredentialNamingDeviceZeroIsRefused) {
  TestCluster c(Shape());
  TestDevice& d = c.AddDevice(1, 0);
  c.Connect(d);
  c.Run();
  EXPECT_EQ(Codes(d), std::vector<api::ErrorCode>{api::AUTH_KEY_UNREGISTERED});
  EXPECT_NE(d.core.state(), Device::State::kReady);
  EXPECT_EQ(c.As<SyncService>(role::kSync, 0).online_devices(), 0u);
}

TEST(Gateway, SignInWhileSyncIsDownIsAnsweredWithTimeout) {
  TestCluster c(Shape());
  c.Crash(MakeAddress(role::kSync, 0));
  TestDevice& d = c.AddDevice(1, 1);
  c.Connect(d);
  c.Run();
  EXPECT_TRUE(d.errors.empty());
  c.Advance(GatewayLimits().request_timeout);
  EXPECT_EQ(Codes(d), std::vector<api::ErrorCode>{api::TIMEOUT});

  c.Start(MakeAddress(role::kSync, 0));  // sync is back: signing in again works
  d.core.Connected();
  c.Run();
  EXPECT_EQ(d.core.state(), Device::State::kReady);
}

// A sign-in still under way (sync is taking over the user's partition) is
// not "silent": the sign-in timeout waits for its answer.
TEST(Gateway, ASignInUnderWayIsNotCutOffByTheSignInTimeout) {
  TestCluster c(Shape(), RoleRegistry::Global(), {{role::kGateway, {{"sign_in_timeout", 1}}}});
  c.Crash(MakeAddress(role::kSync, 0));
  TestDevice& d = c.AddDevice(1, 1);
  c.Connect(d);
  c.Run();
  c.Advance(2 * kSecond);
  EXPECT_TRUE(d.open) << "closed while its sign-in was under way";
  c.Start(MakeAddress(role::kSync, 0));
  c.Run();
  EXPECT_EQ(d.core.state(), Device::State::kReady);
}

TEST(Gateway, RequestsToAServiceThatIsDownAreAnsweredWithTimeout) {
  TestCluster c(Shape());
  TestDevice& d = c.AddDevice(1, 1);
  c.Connect(d);
  c.Run();
  c.drop = [](const Envelope& m) { return m.to.role() == role::kMessages; };
  d.core.SendText(2, "hello?", 5);
  c.Run();
  EXPECT_TRUE(d.errors.empty());
  c.Advance(GatewayLimits().request_timeout);
  EXPECT_EQ(Codes(d), std::vector<api::ErrorCode>{api::TIMEOUT});
}

TEST(Gateway, ConnectionsThatNeverSignInAreClosed) {
  TestCluster c(Shape());
  TestDevice& idle = c.AddDevice(1, 1);
  c.Attach(idle);
  c.Run();
  c.Advance(GatewayLimits().sign_in_timeout - 1);
  EXPECT_TRUE(idle.open);
  c.Advance(1);
  EXPECT_FALSE(idle.open);
  EXPECT_EQ(c.As<GatewayService>(role::kGateway, 0).connections(), 0u);
}

TEST(Gateway, SignedInConnectionsIdleForTheIdleTimeoutAreClosedAndPingsKeepThemOpen) {
  TestCluster c(Shape());
  DeviceRetryPolicy silent;
  silent.quiet_resync = 0;  // it sends nothing at all
  TestDevice& quiet = c.AddDevice(1, 1, 0, silent);
  TestDevice& pinging = c.AddDevice(2, 1, 0, silent);
  c.Connect(quiet);
  c.Connect(pinging);
  c.Run();
  const Micros idle = GatewayLimits().idle_timeout;
  for (Micros t = 0; t < 2 * idle; t += idle / 4) {
    api::ClientFrame ping;
    ping.mutable_ping()->set_ping_id(t + 1);
    c.SendRaw(pinging, ping);
    c.Run();
    c.Advance(idle / 4);
  }
  EXPECT_FALSE(quiet.open);
  EXPECT_TRUE(pinging.open);
  EXPECT_TRUE(pinging.frames.back().has_pong());
}

TEST(Gateway, ConnectionsBeyondTheCapAreRefusedWithAReason) {
  ClusterShape shape = Shape();
  TestCluster c(shape);
  const uint32_t cap = GatewayLimits().max_connections;
  std::vector<TestDevice*> devices;
  for (uint32_t i = 0; i <= cap; ++i) devices.push_back(&c.AddDevice(1 + i, 1));
  for (TestDevice* d : devices) c.Attach(*d);
  c.Run();
  EXPECT_TRUE(devices[cap - 1]->open);
  EXPECT_FALSE(devices[cap]->open);
  EXPECT_EQ(Codes(*devices[cap]), std::vector<api::ErrorCode>{api::UNAVAILABLE});
}

TEST(Gateway, AFrameWithoutABodyGetsOneErrorAndTheConnectionCloses) {
  TestCluster c(Shape());
  TestDevice& d = c.AddDevice(1, 1);
  c.Connect(d);
  c.Run();
  for (int i = 0; i < 3; ++i) c.SendRaw(d, api::ClientFrame());
  c.Run();
  EXPECT_EQ(Codes(d), std::vector<api::ErrorCode>{api::BAD_REQUEST});
  EXPECT_FALSE(d.open);
}

TEST(Gateway, RequestsInFlightPerConnectionAreBounded) {
  TestCluster c(Shape());
  TestDevice& d = c.AddDevice(1, 1);
  c.Connect(d);
  c.Run();
  c.drop = [](const Envelope& m) { return m.to.role() == role::kMessages; };
  const uint32_t cap = GatewayLimits().max_in_flight;
  for (uint32_t i = 0; i <= cap; ++i) d.core.SendText(2, "x", 1 + i);
  c.Run();
  ASSERT_EQ(Codes(d), std::vector<api::ErrorCode>{api::FLOOD_WAIT});
  EXPECT_GT(d.errors[0].retry_after_s(), 0u);
}

// Per source: a connection that sends requests faster than request_rate
// (after a burst of request_burst) is told to wait, then served again.
TEST(Gateway, RequestsBeyondTheRatePerConnectionGetFloodWait) {
  TestCluster c(Shape(), RoleRegistry::Global(), {{role::kGateway, {{"request_rate", 10}, {"request_burst", 20}}}});
  TestDevice& d = c.AddDevice(1, 1);
  TestDevice& other = c.AddDevice(3, 1);
  c.Connect(d);
  c.Connect(other);
  c.Run();  // the sign-in and first catch-up took 2 of d's 20
  for (uint64_t i = 1; i <= 25; ++i) {
    d.core.SendText(2, "x", i);
    c.Run();
  }
  EXPECT_EQ(d.sent.size(), 9u) << "each send, and the ack of its pts, took a token";
  ASSERT_FALSE(d.errors.empty());
  EXPECT_EQ(d.errors[0].code(), api::FLOOD_WAIT);
  EXPECT_GE(d.errors[0].retry_after_s(), 1u);
  other.core.SendText(2, "another connection has its own budget", 100);
  c.Run();
  EXPECT_EQ(other.sent.size(), 1u);
  c.Advance(kSecond);  // 10 more; the device's own retries use them
  EXPECT_GT(d.sent.size(), 9u);
  api::ClientFrame ack;
  ack.mutable_updates_ack()->set_pts(1);
  for (int i = 0; i < 30; ++i) c.SendRaw(other, ack);
  c.Run();
  EXPECT_GT(c.host(MakeAddress(role::kGateway, 0)).Stats().Get("gateway.acks_dropped"), 0)
      << "a flood of acks is refused like any flood";
}

// Users 1..n, each connecting one device from the same address.
std::vector<TestDevice*> ConnectCrowd(TestCluster& c, uint64_t n) {
  std::vector<TestDevice*> crowd;
  for (uint64_t u = 1; u <= n; ++u) {
    crowd.push_back(&c.AddDevice(u, 1));
    crowd.back()->source = "203.0.113.7";
    c.Connect(*crowd.back());
  }
  return crowd;
}

// Found by a hostile tester: each connection had its own budget, so one
// address could open thousands of connections and multiply its rate.
TEST(Gateway, ConnectionsFromOneAddressBeyondItsCapAreRefusedAndOthersStillConnect) {
  TestCluster c(Shape(), RoleRegistry::Global(), {{role::kGateway, {{"max_connections_per_source", 3}}}});
  const std::vector<TestDevice*> crowd = ConnectCrowd(c, 4);
  TestDevice& elsewhere = c.AddDevice(9, 1);
  c.Connect(elsewhere);
  c.Run();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(crowd[i]->core.state(), Device::State::kReady) << i;
  EXPECT_FALSE(crowd[3]->open);
  EXPECT_EQ(Codes(*crowd[3]), std::vector<api::ErrorCode>{api::UNAVAILABLE});
  EXPECT_EQ(elsewhere.core.state(), Device::State::kReady) << "another address is not affected";
  c.Disconnect(*crowd[0]);
  c.Run();
  crowd[3]->errors.clear();
  c.Connect(*crowd[3]);
  c.Run();
  EXPECT_EQ(crowd[3]->core.state(), Device::State::kReady) << "a place freed by a close is taken again";
}

TEST(Gateway, ConnectionsFromOneAddressShareOneRequestBudget) {
  TestCluster c(Shape(), RoleRegistry::Global(),
                {{role::kGateway, {{"source_request_rate", 10}, {"source_request_burst", 20}}}});
  const std::vector<TestDevice*> crowd = ConnectCrowd(c, 4);
  TestDevice& elsewhere = c.AddDevice(9, 1);
  c.Connect(elsewhere);
  c.Run();  // each sign-in and first catch-up took 2 of the address's 20
  size_t sent = 0;
  for (uint64_t i = 1; i <= 5; ++i) {
    for (TestDevice* d : crowd) d->core.SendText(9, "x", 100 * d->core.user() + i);
    c.Run();
  }
  for (TestDevice* d : crowd) sent += d->sent.size();
  EXPECT_LE(sent, 12u) << "four connections, one budget: 20 less 8, and each send's ack takes one too";
  EXPECT_TRUE(std::any_of(crowd.begin(), crowd.end(),
                          [](TestDevice* d) { return !d->errors.empty() && d->errors[0].code() == api::FLOOD_WAIT; }));
  EXPECT_GT(c.host(MakeAddress(role::kGateway, 0)).Stats().Get("gateway.rate_limited_per_source"), 0);
  elsewhere.core.SendText(1, "another address has its own budget", 1);
  c.Run();
  EXPECT_EQ(elsewhere.sent.size(), 1u);
}

TEST(Gateway, ASecondSignInOfTheSameDeviceClosesTheFirstWithAReason) {
  TestCluster c(Shape());
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& first = c.AddDevice(2, 1);
  TestDevice& second = c.AddDevice(2, 1);
  c.Connect(a);
  c.Connect(first);
  c.Run();
  c.Connect(second);
  c.Run();
  EXPECT_FALSE(first.open);
  EXPECT_EQ(Codes(first), std::vector<api::ErrorCode>{api::AUTH_KEY_DUPLICATED});
  a.core.SendText(2, "to the new one", 9);
  c.Run();
  ASSERT_EQ(second.delivered.size(), 1u);
  EXPECT_EQ(second.delivered[0].random_id(), 9u);
}

TEST(Gateway, AForgedReplyForAnotherUsersConnectionIsDropped) {
  TestCluster c(Shape());
  TestDevice& victim = c.AddDevice(2, 1);
  c.Connect(victim);
  c.Run();
  const size_t frames = victim.frames.size();
  // A reply naming the victim's connection but another user, as a confused
  // or malicious service would send it.
  auto push = NewBody<gateway::Push>();
  push->mutable_client()->set_conn(victim.conn);
  push->mutable_client()->set_user(3);
  push->mutable_client()->set_device(1);
  push->mutable_frame()->mutable_update()->set_pts(1);
  push->mutable_frame()->mutable_update()->set_pts_count(1);
  c.Inject(Envelope{MakeAddress(role::kSync, 0), kGateway0, Envelope::Kind::kOneWay, 0, rpc::CALL_OK, push});
  c.Run();
  EXPECT_EQ(victim.frames.size(), frames);
}

// Alone: a partition is shed while reported at least shed_behind behind,
// for as many seconds (1 to 30), until its report is kHold old.
TEST(BusBackpressure, ShedsWhileAReportSaysThePartitionIsTooFarBehind) {
  BusBackpressure never(0);
  never.Report(1, 60 * kSecond, 0);
  EXPECT_EQ(never.WaitFor(1, 0), 0u);
  BusBackpressure b(5 * kSecond);
  b.Report(1, 4 * kSecond, 0);
  EXPECT_EQ(b.WaitFor(1, 0), 0u) << "behind, not too far";
  b.Report(2, 12'500'000, 0);
  EXPECT_EQ(b.WaitFor(2, kSecond), 13u);
  EXPECT_EQ(b.WaitFor(3, kSecond), 0u) << "never reported";
  EXPECT_EQ(b.WaitForAny(kSecond), 13u) << "a channel reaches every partition";
  EXPECT_EQ(b.WaitFor(2, BusBackpressure::kHold), 0u) << "no report since: caught up";
  b.Report(3, 600 * kSecond, 0);
  EXPECT_EQ(b.WaitFor(3, 0), BusBackpressure::kMaxWaitS);
}

}  // namespace
}  // namespace msgbed::testing
