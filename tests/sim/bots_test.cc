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
  const std::string text =
      WithBots("{broadcast: {recipients: 150, at: 1s, connections: 8}}", "botapi: {messages_per_second: 100000}\n");
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
  const std::string text = WithBots(
      "{echo: {count: 2, messages_per_second: 20}, "
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

// Found by a hostile review: the bots' own hosts were named "bots-<n>",
// so a deployment whose botapi hosts were named bots-1 and bots-2 (as the
// docs named theirs) aborted in SimGrid.
TEST(SimulatedBots, BotApiHostsMayBeNamedAnythingButTheSimulatorsOwnNames) {
  std::string text = WithBots("{echo: {count: 4, messages_per_second: 20}}");
  text = testing::Replaced(text, "    - {name: kafka-1,",
                           "    - {name: bots-1, cores: 2, speed: 1Gf}\n"
                           "    - {name: bots-2, cores: 2, speed: 1Gf}\n"
                           "    - {name: kafka-1,");
  text = testing::Replaced(text, "    botapi: [app-2]\n", "    botapi: [bots-1, bots-2]\n");
  const auto s = Simulated(text, "two-botapi");
  EXPECT_EQ(s["bots"]["echo"]["replies"], s["bots"]["echo"]["messages_to_bots"]);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
  ExpectError(testing::Replaced(text, "{name: bots-2,", "{name: clients-0,"),
              "key 'topology.hosts[6].name': 'clients-0' is reserved");
}

// Echo bots that stop answering (their server gone for good) leave the run
// unsettled, with a warning, instead of exit 0.
TEST(SimulatedBots, EchoMessagesLeftUnansweredUnsettleTheRun) {
  const auto s = Simulated(
      WithBots("{echo: {count: 2, messages_per_second: 30}}", "faults:\n  - {at: 2s, crash: botapi/0}\n"), "echo-gone");
  EXPECT_GT(s["at_end"]["bot_messages_unanswered"].get<uint64_t>(), 0u);
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>());
  EXPECT_NE(s["warnings"].dump().find("were not answered"), std::string::npos) << s["warnings"];
}

// A messages instance down for a second mid-broadcast: the server answers
// 5xx, the bot tries again as the Bot API tells it to, and every recipient
// gets the message once on its phone (a retried send that had gone
// through is a duplicate, counted apart).
TEST(SimulatedBots, ABroadcastRetriesServerErrorsAndReachesEveryone) {
  const auto s = Simulated(WithBots("{broadcast: {recipients: 150, at: 1s}}",
                                    "faults:\n  - {at: 1500ms, for: 1s, crash: messages/1}\n", "9s"),
                           "broadcast-5xx");
  const auto& b = s["bots"]["broadcast"];
  EXPECT_GT(b["retried_5xx"].get<uint64_t>(), 0u) << "the crash was felt";
  EXPECT_EQ(b["failed"], 0);
  EXPECT_EQ(b["delivery_ms"]["count"], 150) << "every recipient, once";
  EXPECT_GE(b["sent"].get<uint64_t>(), 150u);
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
  ExpectError(WithBots("{broadcast: {recipients: 10, connections: 101}}"), "key 'workload.bots.broadcast.connections'");
  ExpectError(WithBots("{spam: 1}"), "key 'workload.bots.spam': unknown key");
  // More connections than the server takes from one address: refused at
  // once, not a run stalled on reconnects.
  ExpectError(WithBots("{broadcast: {recipients: 10, connections: 9}}", "botapi: {max_connections_per_source: 8}\n"),
              "key 'workload.bots.broadcast.connections': more than botapi.max_connections_per_source (8)");
  ExpectError(
      WithBots("{echo: {count: 1}}", "botapi: {max_connections_per_source: 2}\n"),
      "key 'workload.bots.echo': an echo bot takes 3 connections, more than botapi.max_connections_per_source (2)");
  // A flag is 0 or 1 (0, the default, was refused; 2 gave "expected at most ").
  ExpectError(WithBots("{echo: {count: 1}}", "botapi: {webhook_any_port: 2}\n"),
              "key 'botapi.webhook_any_port': expected");
  EXPECT_NO_THROW(ParseScenario(WithBots("{echo: {count: 1}}", "botapi: {webhook_any_port: 0}\n"), "flag.yaml"));
  // The broadcast's default time, the end of connect_ramp, is checked too.
  ExpectError(testing::Replaced(WithBots("{broadcast: {recipients: 10}}"), "connect_ramp: 500ms", "connect_ramp: 5s"),
              "key 'workload.bots.broadcast': starts at 5 s (connect_ramp), not before the end of the loaded period");
}

}  // namespace
}  // namespace msgbed::sim
