// A messages instance added to a running live deployment (msgbed reshape):
// every process learns it, the process serving messages starts it, the
// boxes placement gives it move there, and devices keep getting every
// message exactly once.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include "live/live_fixture.h"
#include "live/reshape_board.h"
#include "messages/placement.h"
#include "support/expect_input_error.h"

namespace msgbed::testing {
namespace {

constexpr uint64_t kUsers = 8;

std::string ReadText(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct LiveReshape : Split {
  std::map<uint64_t, Seen> seen;
  std::map<uint64_t, std::unique_ptr<live::DeviceConnection>> conn;
  uint64_t next_random = 1;

  // Every user writes to the next; true once every message arrived.
  bool Round() {
    std::map<uint64_t, size_t> want;
    for (uint64_t u = 1; u <= kUsers; ++u) want[u % kUsers + 1] = seen[u % kUsers + 1].delivered.size() + 1;
    for (uint64_t u = 1; u <= kUsers; ++u) conn[u]->device().SendText(u % kUsers + 1, "hi", next_random++);
    return Run([&] {
      for (const auto& [u, n] : want) {
        if (seen[u].delivered.size() < n) return false;
      }
      return true;
    });
  }

  live::LiveConfig WriteConfig(const std::string& yaml, const std::string& name = "grown.yaml") {
    const auto file = deploy_.dir() / name;
    std::ofstream(file) << yaml;
    return live::LoadConfig(file.string());
  }
};

TEST_F(LiveReshape, AnAddedMessagesInstanceTakesItsBoxesAndNoMessageIsLostOrShownTwice) {
  size_t moving = 0;
  for (uint64_t u = 1; u <= kUsers; ++u) moving += OwnerIndex(u, 2) == 1;
  ASSERT_GT(moving, 0u) << "no box of these users would move";
  for (uint64_t u = 1; u <= kUsers; ++u) conn[u] = Online(u, &seen[u]);
  ASSERT_TRUE(Round()) << "before the reshape";

  const auto port = FreePorts(1)[0];
  const live::LiveConfig grown =
      WriteConfig(deploy_.yaml() + "  messages/1: {rpc: 127.0.0.1:" + std::to_string(port) + "}\n");
  deploy_.Start("messages/1", &grown);  // its own process, as docs/deploy.md says
  ASSERT_TRUE(live::PostReshape(grown).ok());
  ASSERT_TRUE(Run([&] { return live::ReshapeAcks(grown).size() == 6; }))
      << "gateway, messages, messages/1, sync, auth, media";
  for (const std::string& ack : live::ReshapeAcks(grown)) EXPECT_NE(ack.find("applied"), std::string::npos) << ack;
  EXPECT_EQ(live::UnservedInstances(grown, live::ReshapeAcks(grown)), std::vector<std::string>{});
  const Address added = MakeAddress(role::kMessages, 1);
  ASSERT_TRUE(Run([&] { return deploy_.process("messages/1").StatsOf(added).Get("messages.handoff_keys_in") > 0; }));

  ASSERT_TRUE(Round()) << "after the reshape";
  ASSERT_TRUE(Round()) << "and again";
  for (uint64_t u = 1; u <= kUsers; ++u) {
    std::set<uint64_t> ids;
    uint64_t last_pts = 0;
    for (const auto& [random_id, pts] : seen[u].delivered) {
      EXPECT_TRUE(ids.insert(random_id).second) << "user " << u << " saw " << random_id << " twice";
      EXPECT_GT(pts, last_pts) << "user " << u;
      last_pts = pts;
    }
    EXPECT_EQ(ids.size(), 3u) << "user " << u;
  }
  const Metrics old_owner = deploy_.process("messages").StatsOf(MakeAddress(role::kMessages, 0));
  EXPECT_EQ(old_owner.Get("messages.handoff_keys_out"),
            deploy_.process("messages/1").StatsOf(added).Get("messages.handoff_keys_in"));

  // Found by hostile testers: the process of a second joining instance
  // was refused as if its config were stale...
  const auto port2 = FreePorts(1)[0];
  const live::LiveConfig grown2 = WriteConfig(
      ReadText(deploy_.dir() / "grown.yaml") + "  messages/2: {rpc: 127.0.0.1:" + std::to_string(port2) + "}\n",
      "grown2.yaml");
  EXPECT_EQ(live::UnservedInstances(grown2, live::ReshapeAcks(grown)), std::vector<std::string>{"messages/2"});
  // ... a refused post (another change) lifted the guard below, and one
  // the joining process accepted (its own config) rewrote the applied list.
  const auto applied = deploy_.dir() / "reshape.applied.yaml";
  const std::string applied_before = ReadText(applied);
  EXPECT_FALSE(applied_before.empty());
  const live::LiveConfig refused = WriteConfig(
      testing::Replaced(ReadText(deploy_.dir() / "grown2.yaml"), "sync: false", "sync: true"), "refused.yaml");
  deploy_.Start("messages/2", &refused);  // as step 2 says
  ASSERT_TRUE(live::PostReshape(refused).ok());
  ASSERT_TRUE(Run([&] { return live::ReshapeAcks(refused).size() == 7; }));
  EXPECT_EQ(ReadText(applied), applied_before) << "a refused list became the applied one";
  deploy_.Stop("messages/2");
  // A process restarted with the config from before the reshape served,
  // and the moved users' requests went nowhere.
  std::unique_ptr<live::Process> stale;
  const Status s = live::Process::Start(deploy_.config(), "auth", &stale);
  EXPECT_TRUE(s.IsInvalid()) << s.message();
  EXPECT_NE(s.message().find("differs from the one `msgbed reshape` gave this deployment"), std::string::npos)
      << s.message();
}

TEST_F(LiveReshape, AChangeBeyondMessagesInstancesIsRefusedByEveryProcess) {
  const auto port = FreePorts(1)[0];
  const live::LiveConfig bad =
      WriteConfig(deploy_.yaml() + "  sync/1: {rpc: 127.0.0.1:" + std::to_string(port) + "}\n");
  ASSERT_TRUE(live::PostReshape(bad).ok());
  ASSERT_TRUE(Run([&] { return live::ReshapeAcks(bad).size() == 5; }));
  for (const std::string& ack : live::ReshapeAcks(bad)) {
    EXPECT_NE(ack.find("refused: sync/1 is new (only messages instances may join"), std::string::npos) << ack;
  }
  EXPECT_EQ(live::ReshapeRefusal(deploy_.config(), deploy_.config()), "");
  // Found by a hostile tester: other changes were "applied", and none took effect.
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string yaml = deploy_.yaml();
    const size_t at = yaml.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return live::ReshapeRefusal(deploy_.config(), live::ParseConfig(yaml.replace(at, from.size(), to), "x.yaml"));
  };
  EXPECT_NE(changed("sync: false", "sync: true").find("storage.sync differs"), std::string::npos);
  EXPECT_NE(changed("sync: false", "sync: false, backend: postgres, postgres: {servers: ['host=db1']}")
                .find("storage.backend or storage.postgres differs"),
            std::string::npos);
  EXPECT_NE(changed("mock_brokers: 1", "mock_brokers: 3").find("bus differs"), std::string::npos);
  EXPECT_NE(changed("instances:", "gateway: {request_timeout: 1s}\ninstances:").find("settings section differs"),
            std::string::npos);
}

}  // namespace
}  // namespace msgbed::testing
