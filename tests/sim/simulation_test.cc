// Simulated runs end to end. SimGrid allows one engine per process, so each
// run happens in a forked child that writes summary.json; the test reads it.
#include "simulation.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario.h"
#include "support/expect_input_error.h"
#include "support/simulate_in_child.h"

namespace msgbed::sim {
namespace {

const std::string kSmall = std::string(MSGBED_TEST_DIR) + "/sim/small.yaml";

TEST(Simulation, EveryMessageReachesEveryDeviceAndBoxesAgree) {
  const std::string text = SimulateInChild(LoadScenario(kSmall), "invariants");
  ASSERT_FALSE(text.empty());
  const auto s = nlohmann::json::parse(text);
  const auto& m = s["messages"];
  const auto& d = s["deliveries"];
  EXPECT_GT(m["sent"].get<uint64_t>(), 300u);
  EXPECT_EQ(m["acked"], m["sent"]);
  EXPECT_EQ(m["offered"].get<uint64_t>(), m["sent"].get<uint64_t>() + m["held_unsent"].get<uint64_t>());
  EXPECT_EQ(m["held_unsent"], 0);
  EXPECT_EQ(m["errors"], 0);
  EXPECT_EQ(d["missing"], 0);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>()) << "nothing still under way";
  EXPECT_EQ(d["extra"], 0);
  EXPECT_EQ(d["delivered"], d["expected"]);
  // Every message goes to 3 recipient devices and the sender's 2 others.
  EXPECT_EQ(d["expected"].get<uint64_t>(), 5 * m["acked"].get<uint64_t>());
  EXPECT_GT(d["online"].get<uint64_t>(), 0u);
  EXPECT_GT(d["caught_up"].get<uint64_t>(), 0u) << "late devices must catch up through getDifference";
  EXPECT_EQ(s["devices"]["in_sync_with_box"], s["devices"]["total"]);
  EXPECT_EQ(s["devices"]["total"], 450);
  // Client links are 20 ms each way: nothing is delivered faster than that.
  EXPECT_GE(s["latency_ms"]["send_to_delivered"]["p50"].get<double>(), 40.0);
  EXPECT_GT(s["cpu_utilisation"]["app-1"].get<double>(), 0.0);
  EXPECT_GT(s["kafka"]["records"].get<uint64_t>(), 0u);
}

// The small deployment with each messages instance loaded to about 100 %
// of one worker (50 sends/s at 20 ms each), then given more workers or a
// queue limit.
Scenario Overloaded(const std::string& instances) {
  return ParseScenario(ReadFile(kSmall) + "costs: {messages.SendMessage: 20ms}\n" + instances, "overloaded.yaml");
}

// Found by the simulator issue: an instance used one core however many
// its host had. Four workers take the load one could not.
TEST(Simulation, WorkersShareAnInstancesQueue) {
  const auto one = SummaryOf(Overloaded(""), "one-worker");
  const auto four = SummaryOf(Overloaded("instances: {messages: {workers: 4}}\n"), "four-workers");
  ASSERT_FALSE(one.is_null() || four.is_null());
  // Busy for most of the 4 s of load (utilisation is over all 7 s); the
  // same work on four workers keeps each a quarter as busy.
  const double busy_one = one["instance_utilisation"]["messages/0"].get<double>();
  EXPECT_GT(busy_one, 0.5);
  EXPECT_NEAR(four["instance_utilisation"]["messages/0"].get<double>(), busy_one / 4, busy_one / 20);
  EXPECT_GT(one["latency_ms"]["send_to_ack"]["p99"].get<double>(),
            2 * four["latency_ms"]["send_to_ack"]["p99"].get<double>());
  for (const auto* s : {&one, &four}) EXPECT_TRUE((*s)["invariants"]["ok"].get<bool>());
}

// Found writing docs/capacity-planning.md: work handed to a worker (or a
// host core) ahead of time counted as done, so a backlogged gateway read
// 114 % busy. Only work done within the run counts.
TEST(Simulation, UtilisationCountsOnlyWorkDoneWithinTheRun) {
  const auto s =
      SummaryOf(ParseScenario(ReadFile(kSmall) + "costs: {messages.SendMessage: 100ms}\n", "backlog.yaml"), "backlog");
  ASSERT_FALSE(s.is_null());
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>()) << "five times more work than one worker can do";
  for (const char* i : {"messages/0", "messages/1", "messages/2"}) {
    EXPECT_LE(s["instance_utilisation"][i].get<double>(), 1.0) << i;
    EXPECT_GT(s["instance_utilisation"][i].get<double>(), 0.9) << i;
  }
  for (const auto& [host, u] : s["cpu_utilisation"].items()) EXPECT_LE(u.get<double>(), 1.0) << host;
}

// Found writing docs/capacity-planning.md: devices that heard nothing for
// a quiet period resync in the background, so a long run always had a few
// mid-resync at its end and never counted as settled (exit 3) though every
// device held its whole box. A run with nothing left to do is settled.
TEST(Simulation, BackgroundResyncsAtTheEndDoNotUnsettleACompleteRun) {
  Scenario sc = LoadScenario(kSmall);
  sc.drain = 60;  // ends while two devices are mid quiet-period resync
  const auto s = SummaryOf(sc, "resync-at-end");
  ASSERT_FALSE(s.is_null());
  ASSERT_GT(s["at_end"]["devices_not_ready"].get<uint64_t>(), 0u) << "the case this test is about";
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_EQ(s["devices"]["in_sync_with_box"], s["devices"]["total"]);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
  // Found by a hostile tester: those resyncs were counted as unfinished
  // offline catch-ups, and so hid the catch-up percentiles behind ">run".
  EXPECT_FALSE(s["latency_ms"]["offline_catch_up"].contains("unfinished"));
  EXPECT_FALSE(s["latency_ms"]["offline_catch_up"]["p99"].is_null());
}

// Found by a hostile tester: a message typed on a device that then went
// away for good (sessions end with the load) stays held, as its unanswered
// sends are owed; it kept a complete run from settling whenever background
// resyncs were in flight at the stop, so the exit code followed the drain.
TEST(Simulation, MessagesHeldByDevicesAwayAtTheEndDoNotUnsettleACompleteRun) {
  std::string text = testing::Replaced(ReadFile(kSmall), "drain: 3s", "drain: 20s");
  text = testing::Replaced(text, "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  quiet_resync: 300ms\n  sessions: {online: 2s, offline: 2s}\n");
  const auto s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "away.yaml"), "away-held"));
  ASSERT_GT(s["messages"]["held_unsent"].get<uint64_t>(), 0u) << "the case this test is about";
  ASSERT_GT(s["at_end"]["devices_not_ready"].get<uint64_t>(), 0u) << "resyncs in flight at the stop";
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// workload.actions under churn: devices edit and delete their messages and
// mark chats read while others come and go; every device of every box ends
// at its box's head, having applied each update once, in pts order.
TEST(Simulation, EditsDeletionsAndReadMarksUnderChurnReachEveryDeviceOnce) {
  std::string text = testing::Replaced(ReadFile(kSmall), "drain: 3s", "drain: 20s");
  text = testing::Replaced(text, "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  quiet_resync: 300ms\n  sessions: {online: 2s, offline: 1s}\n"
                           "  actions: {edits: 0.1, deletes: 0.05, reads: 0.3}\n");
  const auto s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "actions.yaml"), "actions"));
  for (const char* kind : {"edits", "deletes", "reads"}) {
    EXPECT_GT(s["actions"][kind]["done"].get<uint64_t>(), 0u) << kind;
    EXPECT_EQ(s["actions"][kind]["failed"], 0) << kind;
  }
  EXPECT_GT(s["devices"]["sessions_ended"].get<uint64_t>(), 0u) << "churn";
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_EQ(s["deliveries"]["extra"], 0);
  EXPECT_EQ(s["devices"]["in_sync_with_box"].get<uint64_t>() + s["at_end"]["devices_away"].get<uint64_t>(),
            s["devices"]["total"].get<uint64_t>())
      << "every device but those away at the end";
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// workload.groups (of power-law sizes) under churn with edits, deletions,
// reads and forwards: messages to basic groups reach every member's
// devices once, in pts order, and only theirs (foreign_deliveries), as
// private ones do; each is in every member's box (invariants).
TEST(Simulation, GroupMessagesAndForwardsUnderChurnReachEveryMemberDeviceOnce) {
  std::string text = testing::Replaced(ReadFile(kSmall), "drain: 3s", "drain: 20s");
  text = testing::Replaced(text, "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  quiet_resync: 300ms\n  sessions: {online: 2s, offline: 1s}\n"
                           "  groups: {count: 8, members: {min: 4, max: 30, alpha: 1.2}, share: 0.5}\n"
                           "  actions: {edits: 0.1, deletes: 0.05, reads: 0.2, forwards: 0.1}\n");
  const auto s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "groups.yaml"), "groups"));
  EXPECT_GT(s["messages"]["to_groups"].get<uint64_t>(), 50u);
  EXPECT_GT(s["actions"]["forwards"]["done"].get<uint64_t>(), 10u);
  EXPECT_EQ(s["actions"]["forwards"]["failed"], 0);
  EXPECT_EQ(s["actions"]["reads"]["failed"], 0);
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_EQ(s["deliveries"]["extra"], 0);
  EXPECT_EQ(s["invariants"]["foreign_deliveries"], 0);
  EXPECT_EQ(s["devices"]["in_sync_with_box"].get<uint64_t>() + s["at_end"]["devices_away"].get<uint64_t>(),
            s["devices"]["total"].get<uint64_t>());
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// workload.sign_ins.new_devices_per_hour: users add devices during the
// run; each signs in by SMS code (and password, for users with one), then
// catches up on its user's box like any device that joins late.
TEST(Simulation, DevicesAddedDuringTheRunSignInAndCatchUp) {
  std::string text = testing::Replaced(ReadFile(kSmall), "drain: 3s", "drain: 30s");
  text = testing::Replaced(text, "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  sign_ins: {new_devices_per_hour: 36000, with_password: 0.3}\n");
  const auto s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "new-devices.yaml"), "new-devices"));
  const uint64_t joined = s["sign_ins"]["new_devices"]["joined"].get<uint64_t>();
  EXPECT_GT(joined, 20u);  // 40 expected in 4 s
  EXPECT_EQ(s["sign_ins"]["new_devices"]["signed_in"], joined);
  EXPECT_EQ(s["sign_ins"]["started"], joined);  // no re-logins asked for
  EXPECT_GT(s["sign_ins"]["passwords_asked"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["devices"]["total"].get<uint64_t>(), 450 + joined);
  EXPECT_EQ(s["devices"]["in_sync_with_box"], s["devices"]["total"]);
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// Found by a hostile tester: with session churn, a device that went away
// mid sign-in kept its user's phone, and the user's other new devices
// waited for it to the end: the run never settled. And a run whose devices
// were all still signing in called itself settled.
TEST(Simulation, NewDevicesUnderSessionChurnAllSignInAndUnfinishedOnesUnsettleTheRun) {
  std::string text = testing::Replaced(ReadFile(kSmall), "drain: 3s", "drain: 30s");
  text = testing::Replaced(text, "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  sessions: {online: 2s, offline: 1s}\n"
                           "  sign_ins: {new_devices_per_hour: 72000}\n");
  auto s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "churn.yaml"), "churn"));
  EXPECT_GT(s["sign_ins"]["new_devices"]["joined"].get<uint64_t>(), 40u);
  EXPECT_EQ(s["sign_ins"]["new_devices"]["signed_in"], s["sign_ins"]["new_devices"]["joined"]);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>()) << s["at_end"].dump();
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();

  text = testing::Replaced(ReadFile(kSmall), "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  sign_ins: {new_devices_per_hour: 36000}\n");
  text = testing::Replaced(text, "drain: 3s", "drain: 1s");  // shorter than an SMS takes
  s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "short.yaml"), "short"));
  EXPECT_GT(s["at_end"]["devices_signing_in"].get<uint64_t>(), 0u);
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>());
}

// Found by a hostile tester: forwards of messages deleted meanwhile fail
// (MESSAGE_ID_INVALID) and were also counted as message errors.
TEST(Simulation, FailedActionsAreNotMessageErrors) {
  std::string text = testing::Replaced(ReadFile(kSmall), "drain: 3s", "drain: 10s");
  text = testing::Replaced(text, "  connect_ramp: 500ms\n",
                           "  connect_ramp: 500ms\n  actions: {deletes: 0.3, forwards: 0.3}\n");
  const auto s = nlohmann::json::parse(SimulateInChild(ParseScenario(text, "actions.yaml"), "actions"));
  EXPECT_GT(s["actions"]["forwards"]["failed"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["messages"]["errors"], 0);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// Found by a hostile tester: with no message measured (a warm-up as long
// as the load), latencies read 0 and every objective was "met".
TEST(Simulation, NoSamplesMeetNoObjective) {
  Scenario sc = ParseScenario(ReadFile(kSmall) + "slo: {send_to_ack: {p99: 1ms}}\n", "none.yaml");
  sc.workload.messages_per_second = 0;
  const auto s = SummaryOf(sc, "no-samples");
  ASSERT_FALSE(s.is_null());
  EXPECT_EQ(s["latency_ms"]["send_to_ack"]["count"], 0);
  EXPECT_TRUE(s["latency_ms"]["send_to_ack"]["p99"].is_null());
  EXPECT_FALSE(s["slo"]["met"].get<bool>());
}

// An instance with a queue limit refuses what would wait beyond it: the
// client hears UNAVAILABLE, retries with backoff, and once the load is
// over (a drain longer than the devices' 30 s longest backoff, and a
// retry or two after it) nothing is lost.
TEST(Simulation, AQueueLimitRefusesWorkAndClientsRetry) {
  Scenario sc = Overloaded("instances: {messages: {queue_limit: 3}}\n");
  sc.drain = 70;
  const auto s = SummaryOf(sc, "queue-limit");
  ASSERT_FALSE(s.is_null());
  EXPECT_GT(s["messages"]["refused_by_admission"].get<uint64_t>(), 0u);
  EXPECT_GT(s["instances"]["messages/0"]["sim.refused"].get<uint64_t>(), 0u);
  EXPECT_GT(s["messages"]["retries"].get<uint64_t>(), 0u);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>()) << "nothing still under way";
}

// Found by the simulator issue: a run whose drain was too short reported
// its unfinished work as missing deliveries (and broken invariants), like a
// lost-message bug; its unanswered sends left the percentiles, biasing them low.
TEST(Simulation, ARunCutShortReportsWorkUnderWayNotLosses) {
  const auto s = SummaryOf(Overloaded("instances: {messages: {queue_limit: 3}}\n"), "cut-short");
  ASSERT_FALSE(s.is_null());
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>());
  EXPECT_GT(s["at_end"]["sends_unanswered"].get<uint64_t>() + s["at_end"]["devices_not_ready"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_GT(s["deliveries"]["not_yet_delivered"].get<uint64_t>(), 0u);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
  const auto& ack = s["latency_ms"]["send_to_ack"];
  EXPECT_EQ(ack["unfinished"].get<uint64_t>(),
            s["messages"]["sent"].get<uint64_t>() - s["messages"]["acked"].get<uint64_t>());
  EXPECT_TRUE(ack["max"].is_null()) << "the slowest send never finished";
}

// A device shows what it was delivered at its next UI tick: send->visible
// is send->delivered plus up to one tick; with no tick they are the same.
TEST(Simulation, MessagesBecomeVisibleAtTheNextUiTickAfterDelivery) {
  auto latency = [](const std::string& tick) {
    const std::string text =
        testing::Replaced(ReadFile(kSmall), "connect_ramp: 500ms", "connect_ramp: 500ms\n  ui_tick: " + tick);
    return nlohmann::json::parse(SimulateInChild(ParseScenario(text, "tick.yaml"), "tick-" + tick))["latency_ms"];
  };
  const auto ticked = latency("100ms");
  const auto& delivered = ticked["send_to_delivered"];
  const auto& visible = ticked["send_to_visible"];
  EXPECT_EQ(visible["count"], delivered["count"]);
  for (const char* p : {"p50", "p90", "p99", "max"}) {
    EXPECT_GE(visible[p].get<double>(), delivered[p].get<double>()) << p;
    EXPECT_LE(visible[p].get<double>(), delivered[p].get<double>() + 100) << p;
  }
  EXPECT_GT(visible["p50"].get<double>(), delivered["p50"].get<double>() + 10) << "about half a tick later";
  const auto untimed = latency("0s");
  EXPECT_EQ(untimed["send_to_visible"], untimed["send_to_delivered"]);
}

// Paired comparisons: a bigger deployment must be offered exactly the same
// messages (workload randomness is its own stream, and does not wait for
// the system), while what the system does with them may differ.
TEST(Simulation, MoreHostsLeaveTheOfferedWorkloadUnchanged) {
  const Scenario sc = LoadScenario(kSmall);
  std::string text = ReadFile(kSmall);
  text = testing::Replaced(text, "    - {name: kafka-1, cores: 2, speed: 1Gf}",
                           "    - {name: kafka-1, cores: 2, speed: 1Gf}\n    - {name: app-4, cores: 8, speed: 4Gf}");
  text = testing::Replaced(text, "gateway: [gw-1, gw-2]", "gateway: [gw-1, gw-2, app-4]");
  text = testing::Replaced(text, "messages: [app-1, app-2, app-3]", "messages: [app-1, app-2, app-3, app-4]");
  const Scenario bigger = ParseScenario(text, kSmall);
  const auto a = nlohmann::json::parse(SimulateInChild(sc, "paired-a"));
  const auto b = nlohmann::json::parse(SimulateInChild(bigger, "paired-b"));
  EXPECT_EQ(a["messages"]["offered"], b["messages"]["offered"]);
  EXPECT_EQ(a["messages"]["offered_digest"], b["messages"]["offered_digest"]);
  EXPECT_GT(a["messages"]["offered"].get<uint64_t>(), 300u);
  EXPECT_NE(a["cpu_utilisation"], b["cpu_utilisation"]) << "the deployments did differ";
}

TEST(Simulation, SameScenarioAndSeedGiveTheSameBytes) {
  const Scenario sc = LoadScenario(kSmall);
  std::string first_csv, second_csv;
  const std::string first = SimulateInChild(sc, "det1", 0, nullptr, &first_csv);
  const std::string second = SimulateInChild(sc, "det2", 0, nullptr, &second_csv);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  EXPECT_EQ(first_csv, second_csv);

  Scenario other = sc;
  other.seed = sc.seed + 1;
  EXPECT_NE(SimulateInChild(other, "det3"), first) << "the seed must matter";
}

// The time series: one row per simulated second whose counts add up to
// the summary's, with a queue and a utilisation column per instance.
TEST(Simulation, TheTimeSeriesAddsUpToTheSummary) {
  std::string csv;
  const auto s = nlohmann::json::parse(SimulateInChild(LoadScenario(kSmall), "series", 0, nullptr, &csv));
  std::istringstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("t_s,sent,acked,delivered,", 0), 0u);
  for (const char* column : {",queue:messages/0,", ",util:messages/0,", ",cpu:app-1,", ",link:app-1>datacenter"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column;
  }
  uint64_t rows = 0, sent = 0, acked = 0, delivered = 0;
  for (std::string line; std::getline(in, line);) {
    ++rows;
    std::istringstream cells(line);
    std::string t, a, b, c;
    std::getline(cells, t, ',');
    std::getline(cells, a, ',');
    std::getline(cells, b, ',');
    std::getline(cells, c, ',');
    EXPECT_EQ(std::stoul(t), rows);
    sent += std::stoul(a);
    acked += std::stoul(b);
    delivered += std::stoul(c);
  }
  EXPECT_EQ(rows, 7u) << "4 s of load and 3 s of drain";
  EXPECT_EQ(sent, s["messages"]["sent"].get<uint64_t>());
  EXPECT_EQ(acked, s["messages"]["acked"].get<uint64_t>());
  EXPECT_EQ(delivered, s["deliveries"]["delivered"].get<uint64_t>());
  EXPECT_EQ(s["latency_histograms"]["send_to_ack"]["buckets_per_doubling"], 16);
}

TEST(Simulation, TracesOneMessageHopByHopWithoutChangingTheRun) {
  const Scenario sc = LoadScenario(kSmall);
  std::string trace;
  const std::string traced = SimulateInChild(sc, "trace", 200, &trace);
  EXPECT_EQ(traced, SimulateInChild(sc, "untraced")) << "tracing must not change the results";
  // Named after the scenario and message, so rendered images do not overwrite each other.
  ASSERT_EQ(trace.rfind("@startuml small-trace-message-200\n", 0), 0u);
  // The path of a message: device -> gateway -> box owner, the ack back,
  // the bus, and pushes to the peer's online devices. (Devices acknowledge
  // updates in batches, workload.ack_delay: no one message causes an ack.)
  std::vector<std::string> lines;
  std::istringstream in(trace);
  for (std::string l; std::getline(in, l);) {
    if (l.find(" -> ") != std::string::npos && l.rfind("p_", 0) == 0) lines.push_back(l);
  }
  ASSERT_GT(lines.size(), 8u);
  EXPECT_NE(lines[0].find("p_clients_"), std::string::npos);
  EXPECT_NE(lines[0].find("send_message"), std::string::npos);
  for (const char* step : {"SendMessage", "ClientAnswer", "sent_message", "produce", "record", "Push", "update ("}) {
    EXPECT_NE(trace.find(step), std::string::npos) << step;
  }
  // Hops are listed by send time.
  double last = 0;
  for (const auto& l : lines) {
    const double sent = std::stod(l.substr(l.find(" : ") + 3));
    EXPECT_GE(sent, last) << l;
    last = sent;
  }
}

// For teaching: the first message whose boxes are on two instances, its
// participants with their hosts and datacenters, the ack path told from
// the push path, and the queue wait and work of every handler run.
TEST(Simulation, TracesTheFirstCrossBoxMessageWithHostsWaitsAndPaths) {
  const Scenario sc = LoadScenario(kSmall);
  TraceChoice choice;
  choice.where = "cross-box";
  std::string trace;
  ASSERT_FALSE(SimulateInChild(sc, "trace-cross-box", choice, &trace).empty());
  ASSERT_EQ(trace.rfind("@startuml small-trace-cross-box\n", 0), 0u);
  EXPECT_NE(trace.find("ApplyToBox"), std::string::npos) << "the peer's box is on another instance";
  EXPECT_NE(trace.find("\\napp-1, datacenter\""), std::string::npos) << "participants name host and datacenter";
  EXPECT_NE(trace.find(" -[#0000CC]> "), std::string::npos) << "the ack path, in blue";
  EXPECT_NE(trace.find(" -[#008800]> "), std::string::npos) << "the push path, in green";
  EXPECT_NE(trace.find(" B) [ack]"), std::string::npos);
  EXPECT_NE(trace.find("update ("), std::string::npos);
  EXPECT_NE(trace.find(") [push]"), std::string::npos);
  EXPECT_NE(trace.find(" : waited "), std::string::npos);
  // Only this message's two records (the sender's box, the peer's), however
  // the producers batched them with others.
  size_t records = 0;
  for (size_t at = trace.find("  record ("); at != std::string::npos; at = trace.find("  record (", at + 1)) ++records;
  EXPECT_EQ(records, 2u);
}

TEST(Simulation, QuickstartIsEmbeddedAndValid) {
  const Scenario sc = ParseScenario(QuickstartYaml(), "quickstart");
  EXPECT_EQ(sc.name, "quickstart");
  EXPECT_EQ(sc.Count("gateway"), 2u);
}

}  // namespace
}  // namespace msgbed::sim
