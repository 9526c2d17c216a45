// The sync service's promise: every online device hears of every update of
// its box, across restarts of sync itself.
#include <gtest/gtest.h>

#include "proto/sync.pb.h"
#include "sync/sync_service.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

TEST(Sync, ARestartedSyncStillPushesToDevicesThatStayedConnected) {
  TestCluster c(Shape(1, 1, 1, 2));
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  c.Connect(a);
  c.Connect(b);
  c.Run();
  c.Restart(MakeAddress(role::kSync, 0));
  a.core.SendText(2, "after the restart", 1);
  c.Run();
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.frames.back().update().message().random_id(), 1u) << "pushed, not fetched";
}

TEST(Sync, ADeviceThatWentOfflineWhileSyncWasDownIsNotPushedToForever) {
  TestCluster c(Shape(1, 1, 1, 1));
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  c.Connect(a);
  c.Connect(b);
  c.Run();
  c.drop = [](const Envelope& m) { return BodyAs<sync::DeviceOffline>(m) != nullptr; };  // sync is down when b leaves
  c.Disconnect(b);
  c.Run();
  c.drop = nullptr;
  auto& sync = c.As<SyncService>(role::kSync, 0);
  EXPECT_EQ(sync.online_devices(), 2u);
  a.core.SendText(2, "m", 1);
  c.Run();
  EXPECT_EQ(sync.online_devices(), 1u);
}

}  // namespace
}  // namespace msgbed::testing
