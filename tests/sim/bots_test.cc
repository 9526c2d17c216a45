// workload.bots in the simulator: bots speaking the Bot API's HTTP calls
// to the real BotApiService, users writing to them through gateways, and
// the boxes of both sides checked at the end.
#include <gtest/gtest.h>

#include "scenario.h"
#include "simulation.h"
#include "support/expect_input_error.h"
#include "support/simulate_in_child.h"

namespace msgbed::sim {
namespace {

const std::string kSmall = std::string(MSGBED_TEST_DIR) + "/sim/small.yaml";

// The small deployment with a Bot API server on app-2, every device online,
// for `duration`; `more` is appended.
std::string WithBots(const std::string& bots, const std::string& more = "", const std::string& duration = "4s") {
  std::string text =
      testing::Replaced(ReadFile(kSmall), "    auth: [app-1]\n", "    auth: [app-1]\n    botapi: [app-2]\n");
  text = testing::Replaced(text, "duration: 4s\n", "duration: " + duration + "\n");
  text = testing::Replaced(text, "  online_share: 0.7\n", "  online_share: 1\n");
  return testing::Replaced(text, "  connect_ramp: 500ms\n", "  connect_ramp: 500ms\n  bots: " + bots + "\n") + more;
}

nlohmann::json Simulated(const std::string& text, const std::string& tag) {
  return SummaryOf(ParseScenario(text, tag + ".yaml"), tag);
}

TEST(SimulatedBots, EchoBotsAnswerEveryMessageOnTheDeviceThatSentIt) {
  const auto s = Simulated(WithBots("{echo: {count: 3, messages_per_second: 40}}"), "echo");
  const auto& e = s["bots"]["echo"];
  EXPECT_GT(e["messages_to_bots"].get<uint64_t>(), 80u) << "40/s over 3.5 s";
  EXPECT_EQ(e["stored"], e["messages_to_bots"]);
  EXPECT_EQ(e["replies"], e["messages_to_bots"]) << "each answered by sendMessage";
  EXPECT_EQ(e["round_trip_ms"]["count"], e["messages_to_bots"]) << "each echo reached the device that wrote";
  // user -> gateway -> messages -> sync -> botapi -> long poll answered,
  // then sendMessage back the same way: several of the 20 ms client hops.
  EXPECT_GT(e["round_trip_ms"]["p50"].get<double>(), 80.0);
  EXPECT_GT(s["bots"]["requests"]["getUpdates"]["200"].get<uint64_t>(), 3u) << "the bots long-poll";
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// 150 recipients at the Bot API's 30 messages a second per bot: the bot is
// refused with 429 and retry_after, waits, and gets through at about the
// limit; the last recipient waits about 5 s for its message.
TEST(SimulatedBots, ABroadcastIsHeldToThePerBotLimitAndQueues) {
  const std::string text = WithBots("{broadcast: {recipients: 150, at: 1s, connections: 8}}", "", "9s");
  const auto s = Simulated(text, "broadcast");
  const auto& b = s["bots"]["broadcast"];
  EXPECT_EQ(b["started_by"], 150) << "every recipient wrote /start first";
  EXPECT_EQ(b["sent"], 150);
  EXPECT_EQ(b["forbidden_403"], 0);
  EXPECT_GT(b["refused_429"].get<uint64_t>(), 0u);
  EXPECT_GT(b["retry_after_waited_s"].get<double>(), 0.0);
  // A full bucket lets the first 30 through at once, the other 120 at 30/s.
  EXPECT_GE(b["sending_s"].get<double>(), 3.9) << "faster than the limit lets";
  EXPECT_LE(b["sending_s"].get<double>(), 5.0) << "the bot did not keep up with the limit";
  EXPECT_EQ(b["delivery_ms"]["count"], 150);
  EXPECT_GT(b["delivery_ms"]["max"].get<double>(), 4000.0) << "the last recipient queued behind the others";
  EXPECT_LT(b["delivery_ms"]["p50"].get<double>(), b["delivery_ms"]["max"].get<double>() * 0.7);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// The limit is the server's setting: lifted, the same broadcast goes out
// in a fraction of the time with no 429.
TEST(SimulatedBots, TheBroadcastRateIsTheBotApiServersSetting) {
  const std::string text = WithBots("{broadcast: {recipients: 150, at: 1s, connections: 8}}",
                                    "botapi: {messages_per_second: 100000}\n");
  const auto s = Simulated(text, "fast-broadcast");
  const auto& b = s["bots"]["broadcast"];
  EXPECT_EQ(b["sent"], 150);
  EXPECT_EQ(b["refused_429"], 0);
  EXPECT_GT(b["sent_per_s"].get<double>(), 100.0);
}

// A broadcast longer than the run says so, and the run is not settled.
TEST(SimulatedBots, ABroadcastUnfinishedAtTheEndUnsettlesTheRun) {
  const auto s = Simulated(WithBots("{broadcast: {recipients: 150, at: 3s}}"), "late-broadcast");
  EXPECT_GT(s["at_end"]["bot_broadcast_unsent"].get<uint64_t>(), 0u);
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>());
  ASSERT_FALSE(s["warnings"].empty());
  EXPECT_NE(s["warnings"].dump().find("workload.bots.broadcast"), std::string::npos) << s["warnings"];
}

// The Bot API server crashes mid-broadcast: the bot's connections close,
// it connects again once the instance is back, and every recipient still
// gets the message; the queue of updates survives (it is in the store).
TEST(SimulatedBots, ABroadcastOutlivesACrashOfTheBotApiServer) {
  const std::string text = WithBots("{echo: {count: 2, messages_per_second: 20}, "
                                    "broadcast: {recipients: 120, at: 1s}}",
                                    "faults:\n  - {at: 2s, for: 1s, crash: botapi/0}\n", "10s");
  const auto s = Simulated(text, "crash");
  EXPECT_EQ(s["bots"]["reconnects"], 2 * 3 + 8) << "every connection, once";
  const auto& b = s["bots"]["broadcast"];
  EXPECT_EQ(b["sent"], 120);
  EXPECT_EQ(b["delivery_ms"]["count"], 120);
  EXPECT_EQ(s["bots"]["echo"]["stored"], s["bots"]["echo"]["messages_to_bots"]) << "users' messages are the box's";
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

TEST(SimulatedBots, SameScenarioAndSeedGiveTheSameBytes) {
  const Scenario sc = ParseScenario(
      WithBots("{echo: {count: 2, messages_per_second: 30}, broadcast: {recipients: 100, at: 1s}}"), "det.yaml");
  const std::string first = SimulateInChild(sc, "bots-det1");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, SimulateInChild(sc, "bots-det2"));
}

TEST(SimulatedBots, BadBotWorkloadsAreRefused) {
  ExpectError(testing::Replaced(WithBots("{echo: {count: 1}}"), "    botapi: [app-2]\n", ""),
              "key 'workload.bots': needs a Bot API server");
  ExpectError(WithBots("{echo: {}}"), "key 'workload.bots.echo.count'");
  ExpectError(WithBots("{echo: {count: 1, rate: 5}}"), "key 'workload.bots.echo.rate': unknown key");
  ExpectError(WithBots("{broadcast: {recipients: 151}}"), "key 'workload.bots.broadcast.recipients': at most");
  ExpectError(WithBots("{broadcast: {recipients: 10, at: 9s}}"), "key 'workload.bots.broadcast.at'");
  ExpectError(WithBots("{broadcast: {recipients: 10, connections: 101}}"),
              "key 'workload.bots.broadcast.connections'");
  ExpectError(WithBots("{spam: 1}"), "key 'workload.bots.spam': unknown key");
}

}  // namespace
}  // namespace msgbed::sim
