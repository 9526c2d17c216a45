// Faults injected into a running live deployment (`msgbed fault`, one
// process per role, on loopback): each does what it says while it lasts,
// and once it ends nothing acknowledged is lost and nothing shows twice.
// Faults are ended by clearing them, never by waiting out their `for`.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/address.h"
#include "live/fault_board.h"
#include "live/live_fixture.h"

namespace msgbed::testing {
namespace {

class Faults : public Split {
 protected:
  // Calls time out quickly, so a lost request is noticed in the test's time.
  Faults() : Split("gateway: {request_timeout: 500ms}\n") {}

  // Posts fault and waits until the process of `where` applies it.
  void Inject(const std::string& fault, const std::string& where) {
    const uint64_t before = deploy_.process(where).faults_applied();
    std::string id;
    const Status s = live::PostFault(deploy_.config(), fault, &id);
    ASSERT_TRUE(s.ok()) << s.message();
    last_ = id;
    where_ = where;
    ASSERT_TRUE(Run([&] { return deploy_.process(where).faults_applied() > before; })) << where << " never applied it";
  }
  // Clears the fault and waits until the process that applied it stops:
  // what the test does next must not race the process's next look.
  void Clear() {
    const uint64_t before = deploy_.process(where_).faults_ended();
    size_t removed = 0;
    ASSERT_TRUE(live::ClearFaults(deploy_.config(), &removed).ok());
    EXPECT_EQ(removed, 1u);
    ASSERT_TRUE(Run([&] { return deploy_.process(where_).faults_ended() > before; })) << where_ << " never ended it";
  }
  const std::string& LastFault() const { return last_; }
  std::string last_, where_;
  static bool Has(const Seen& s, api::ErrorCode code) {
    return std::any_of(s.errors.begin(), s.errors.end(), [&](const api::Error& e) { return e.code() == code; });
  }
};

TEST_F(Faults, APartitionTimesSendsOutUntilItHealsThenTheRetryGoesThrough) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  Inject("{for: 600s, partition: [[gateway/0], [messages/0]]}", "gateway");
  alice->device().SendText(2, "across a partition", 41);
  ASSERT_TRUE(Run([&] { return Has(a, api::TIMEOUT); })) << "the gateway's call to messages is lost";
  EXPECT_TRUE(b.delivered.empty());
  Clear();
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; })) << "the device's retry goes through once healed";
  EXPECT_EQ(a.sent, std::vector<uint64_t>{41});
  EXPECT_GE(alice->device().retries(), 1u);
}

// Pushes from sync to the gateway lost, duplicated and reordered: the
// device fills every gap with getDifference and ignores what it has seen.
TEST_F(Faults, ALossyDuplicatingReorderingLinkLosesNothingAndShowsNothingTwice) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  Inject("{for: 600s, link: [sync/0, gateway/0], drop: 0.3, duplicate: 0.3, jitter: 30ms}", "sync");
  constexpr uint64_t kMessages = 30;
  for (uint64_t i = 1; i <= kMessages; ++i) alice->device().SendText(2, "lossy " + std::to_string(i), 100 + i);
  ASSERT_TRUE(Run([&] { return a.sent.size() == kMessages; }));
  Clear();
  alice->device().SendText(2, "after the link healed", 200);  // reveals any gap left at the end
  ASSERT_TRUE(Run([&] { return b.delivered.size() == kMessages + 1; }));
  for (size_t i = 0; i < b.delivered.size(); ++i) {
    EXPECT_EQ(b.delivered[i].first, i < kMessages ? 101 + i : 200) << "in send order, each once";
  }
}

TEST_F(Faults, AFullDiskRefusesSendsUntilItIsFreedAndTheRetryStoresThemOnce) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  Inject("{for: 600s, disk: messages/0, full: true}", "messages");
  alice->device().SendText(2, "onto a full disk", 51);
  ASSERT_TRUE(Run([&] { return Has(a, api::INTERNAL); })) << "the write fails and the sender hears of it";
  Clear();
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  EXPECT_EQ(a.sent, std::vector<uint64_t>{51});
}

TEST_F(Faults, AnInjectedGatewayCrashDropsItsDevicesWhoComeBackAfterIt) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  Inject("{for: 600s, crash: gateway/0}", "gateway");
  ASSERT_TRUE(Run([&] { return !a.closed.empty() && !b.closed.empty(); })) << "their connections drop";
  Clear();
  ASSERT_TRUE(Run([&] { return deploy_.process("gateway").client_port(0) != 0; }));
  a.closed.clear();
  alice->Connect("127.0.0.1", deploy_.client_port(), [&a](const std::string& why) { a.closed = why; });
  bob->Connect("127.0.0.1", deploy_.client_port());
  ASSERT_TRUE(Run([&] { return a.synced == 2 && b.synced == 2; })) << "the restarted gateway serves them";
  alice->device().SendText(2, "after the crash", 61);
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
}

// The only broker of the mock bus down: sends are stored and acked, their
// updates wait in the producer, and reach the other device once it is back.
TEST_F(Faults, UpdatesSentWhileTheBrokerIsDownArriveOnceItIsBack) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  Inject("{for: 600s, crash: broker/0}", "bus");
  alice->device().SendText(2, "while the broker is down", 71);
  ASSERT_TRUE(Run([&] { return a.sent.size() == 1; })) << "stored and acked all the same";
  Clear();
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  EXPECT_EQ(b.delivered[0].first, 71u);
}

// Found by a hostile review: a process restarted while a fault was in
// effect looked at it before its instances existed, decided it concerned
// no one here, and never applied it.
TEST_F(Faults, AProcessRestartedDuringAFaultAppliesIt) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  Inject("{for: 600s, disk: messages/0, full: true}", "messages");
  EXPECT_GE(live::ProcessesThatSaw(deploy_.config(), LastFault()), 1u) << "processes say they saw it";
  deploy_.Stop("messages");
  deploy_.Start("messages");
  ASSERT_TRUE(Run([&] { return deploy_.process("messages").faults_applied() == 1; })) << "the new process applies it";
  alice->device().SendText(2, "onto the full disk of a restarted process", 81);
  ASSERT_TRUE(Run([&] { return Has(a, api::INTERNAL); }));
  Clear();
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
}

// A board alone, fed posted faults: overlapping crashes of one instance
// keep it down until the last ends (found by a hostile review: the first
// to end started it again).
TEST(FaultBoard, OverlappingCrashesOfAnInstanceEndWithTheLast) {
  TempDir dir("board");
  const live::LiveConfig cfg = live::ParseConfig("storage: {data_dir: " + dir.path().string() +
                                                     "}\ninstances:\n  gateway/0: {client: 127.0.0.1:0, rpc: "
                                                     "127.0.0.1:0}\n  messages/0: {rpc: 127.0.0.1:0}\n  sync/0: "
                                                     "{rpc: 127.0.0.1:0}\n  auth/0: {rpc: 127.0.0.1:0}\n",
                                                 "deploy.yaml");
  live::asio::io_context io;
  std::vector<std::string> calls;
  live::FaultBoard::Actions act;
  act.serves = [](const Address&) { return true; };
  act.crash = [&](const Address& a) { calls.push_back("crash " + ToString(a)); };
  act.start = [&](const Address& a) { calls.push_back("start " + ToString(a)); };
  live::FaultBoard board(io, cfg, act);
  std::string longer, shorter;
  ASSERT_TRUE(live::PostFault(cfg, "{for: 600s, crash: gateway/0}", &longer).ok());
  ASSERT_TRUE(live::PostFault(cfg, "{for: 600s, crash: gateway/0}", &shorter).ok());
  board.Watch();  // looks at once
  EXPECT_EQ(calls, (std::vector<std::string>{"crash gateway/0", "crash gateway/0"}));
  std::filesystem::remove(dir.path() / "faults" / (shorter + ".yaml"));  // ends one
  io.run_one();                                                          // the next look
  EXPECT_EQ(calls.size(), 2u) << "still down: the other crash lasts";
  std::filesystem::remove(dir.path() / "faults" / (longer + ".yaml"));
  io.run_one();
  EXPECT_EQ(calls.back(), "start gateway/0");
  EXPECT_EQ(live::ProcessesThatSaw(cfg, longer), 1u);
}

TEST(LiveFaults, BadFaultsAreRefusedNamingWhatIsWrong) {
  const live::LiveConfig cfg = live::ParseConfig(
      "bus: {mode: mock, mock_brokers: 2}\ninstances:\n  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
      "  messages/0: {rpc: 127.0.0.1:0}\n  sync/0: {rpc: 127.0.0.1:0}\n  auth/0: {rpc: 127.0.0.1:0}\n",
      "deploy.yaml");
  auto error = [&](const std::string& text) {
    std::vector<FaultSpec> out;
    const Status s = live::ParseLiveFault(cfg, text, "fault", &out);
    EXPECT_FALSE(s.ok()) << text;
    return s.message();
  };
  EXPECT_NE(
      error("{for: 1s, link: [gateway/0, messages/7], drop: 0.5}").find("no instance 'messages/7' in deploy.yaml"),
      std::string::npos);
  EXPECT_NE(error("{crash: messages/0}").find("fault.for"), std::string::npos);
  EXPECT_NE(error("{start: messages/0}").find("starts again after its `for`"), std::string::npos);
  EXPECT_NE(error("{for: 1s, crash: broker/2}").find("no instance 'broker/2'"), std::string::npos);
  EXPECT_NE(error("{at: 1s, for: 1s, disk: sync/0, full: true}").find("key 'fault.at': unknown key"),
            std::string::npos);
  EXPECT_NE(error("{for: 1s, partition: [[sync/0], [sync/0]]}").find("in two groups"), std::string::npos);
  EXPECT_NE(error("{for: 1s, link: [sync/0, gateway/0], drop: 2}").find("fault.drop"), std::string::npos);
  EXPECT_NE(error("{for: 1s, link: [sync/0").find("fault"), std::string::npos);
  // Found by a hostile review: extra text was silently ignored, and a huge
  // `for` overflowed into a fault that never began.
  EXPECT_NE(error("{for: 10s, crash: gateway/0}\n{for: 10s, crash: sync/0}").find("expected one fault"),
            std::string::npos);
  EXPECT_NE(error("{for: 10s, crash: gateway/0} trailing").find("expected one fault"), std::string::npos);
  EXPECT_NE(error("").find("expected one fault"), std::string::npos);
  EXPECT_NE(error("{for: 1e17s, disk: messages/0, full: true}").find("at most 100d"), std::string::npos);
  EXPECT_NE(error("{for: 1s, link: [sync/0, gateway/0], jitter: 2h}").find("at most 1h"), std::string::npos);
  EXPECT_NE(error("{for: 1s, disk: messages/0, slow: 1}").find("above 1"), std::string::npos);
  std::vector<FaultSpec> ok;
  EXPECT_TRUE(live::ParseLiveFault(cfg, "{for: 1s, crash: broker/1}", "fault", &ok).ok());
}

}  // namespace
}  // namespace msgbed::testing
