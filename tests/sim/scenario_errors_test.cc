// Scenario files that cannot run: each refused up front with its file,
// line and key, and the memory a run needs checked before it starts.
#include <gtest/gtest.h>

#include <filesystem>

#include "memory_estimate.h"
#include "scenario.h"
#include "support/expect_input_error.h"
#include "support/simulate_in_child.h"
#include "sweep.h"

namespace msgbed::sim {
namespace {

const std::string kSmall = std::string(MSGBED_TEST_DIR) + "/sim/small.yaml";

// Every scenario the project ships (scenarios/, bench/) reads: a change to
// the scenario format that breaks one fails here, not in a user's hands.
TEST(ScenarioErrors, EveryShippedScenarioReads) {
  int read = 0;
  for (const char* dir : {"scenarios", "bench"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(MSGBED_SOURCE_DIR) + "/" + dir)) {
      if (entry.path().extension() != ".yaml") continue;
      const std::string text = ReadFile(entry.path().string());
      if (text.find("\nsweep:") != std::string::npos) {  // a sweep: each point a scenario
        EXPECT_NO_THROW(ExpandSweep({text, entry.path().string()})) << entry.path();
      } else {
        EXPECT_NO_THROW(LoadScenario(entry.path().string())) << entry.path();
      }
      ++read;
    }
  }
  EXPECT_GE(read, 10);
}

TEST(ScenarioErrors, NameFileLineAndKey) {
  const std::string base = ReadFile(kSmall);
  auto with = [&](const std::string& from, const std::string& to) { return testing::Replaced(base, from, to); };
  ExpectError(with("cores: 2, speed: 1Gf}\n    - {name: gw-2", "cores: two, speed: 1Gf}\n    - {name: gw-2"),
              "bad.yaml:9: key 'topology.hosts[0].cores': expected a positive integer");
  ExpectError(with("duration: 4s", "duration: soon"), "bad.yaml:5: key 'duration'");
  ExpectError(base + "messages: {retention: 7s}\n",
              "key 'messages.retention': must be 0 or longer than the run (duration + drain, 7s)");
  EXPECT_NO_THROW(ParseScenario(base + "messages: {retention: 8s}\n", "long.yaml"));
  // The store tier's settings against its nodes (found by a hostile tester).
  ExpectError(base + "messages: {store_quorum: 1}\n", "key 'messages.store_quorum': no store nodes are deployed");
  const std::string tier = with("    auth: [app-1]\n", "    auth: [app-1]\n    store: [app-2, app-3]\n");
  ExpectError(tier + "messages: {store_replicas: 3}\n",
              "key 'messages.store_replicas': at most the store nodes deployed (2)");
  ExpectError(tier + "messages: {store_replicas: 2, store_quorum: 3}\n",
              "key 'messages.store_quorum': at most store_replicas (2)");
  EXPECT_NO_THROW(ParseScenario(tier + "messages: {store_quorum: 2}\n", "tier.yaml"));
  ExpectError(with("gateway: [gw-1, gw-2]", "gateway: [gw-1, gw-9]"),
              "key 'topology.services.gateway': unknown host 'gw-9'");
  ExpectError(with("users: 150", "userz: 150"), "key 'workload.userz': unknown key");
  ExpectError(with("connect_ramp: 500ms", "connect_ramp: 500ms\n  text_bytes: 4097"),
              "bad.yaml:29: key 'workload.text_bytes': at most 4096 (the message service refuses longer texts)");
  // An empty value is named at its own line, not the next one (found by a
  // hostile tester).
  ExpectError(with("connect_ramp: 500ms", "connect_ramp: 500ms\n  quiet_resync:"),
              "bad.yaml:29: key 'workload.quiet_resync': empty value");
  ExpectError(with("connect_ramp: 500ms", "connect_ramp:"), "bad.yaml:28: key 'workload.connect_ramp': empty value");
  ExpectError(with("connect_ramp: 500ms", "connect_ramp: 500ms\n  quiet_resync: 1ns"),
              "bad.yaml:29: key 'workload.quiet_resync': at least 100ms, or 0 (never)");
  ExpectError(with("connect_ramp: 500ms", "connect_ramp: 500ms\n  ui_tick: 2s"),
              "bad.yaml:29: key 'workload.ui_tick': at most 1s");
  ExpectError(with("connect_ramp: 500ms", "connect_ramp: 500ms\n  ui_tick: -1s"), "key 'workload.ui_tick'");
  ExpectError(with("linger: 2ms}", "linger: 2ms, rebalance_time: 1h}"),
              "key 'topology.kafka.rebalance_time': at most 60s");
  ExpectError(with("linger: 2ms}", "linger: 2ms, session_timeout: 1000d}"),
              "key 'topology.kafka.session_timeout': at most 300s");
  ExpectError(base + "push: {providers: []}\n", "key 'push.providers': a list of one or more providers");
  ExpectError(base + "push: {providers: [{loss: 2}]}\n", "key 'push.providers[0].loss'");
  ExpectError(base + "push: {providers: [{apns: 1}]}\n", "key 'push.providers[0].apns': unknown key");
  ExpectError(with("latency: 20ms", "latency: fast"), "key 'clients.link.latency'");
  ExpectError(with("online_share: 0.7", "online_share: 1.5"), "key 'workload.online_share'");
  ExpectError("name: x\ntopology: [", "bad.yaml:");
  ExpectError("seed: 3\n", "key 'name'");
}

// What a hostile tester got through: numbers that are not numbers, and
// fault timelines that cannot happen.
TEST(ScenarioErrors, NotANumberIsRefusedEverywhere) {
  const std::string base = ReadFile(kSmall);
  auto with = [&](const std::string& from, const std::string& to) { return testing::Replaced(base, from, to); };
  ExpectError(with("duration: 4s", "duration: nans"), "bad.yaml:5: key 'duration'");
  ExpectError(with("duration: 4s", "duration: infs"), "bad.yaml:5: key 'duration'");
  ExpectError(with("latency: 20ms", "latency: nanms"), "key 'clients.link.latency'");
  ExpectError(with("bandwidth: 100Mbps", "bandwidth: nanGbps"), "key 'clients.link.bandwidth'");
  ExpectError(with("messages_per_second: 150", "messages_per_second: nan"), "key 'workload.messages_per_second'");
  ExpectError(with("duration: 4s", "duration: 1e308h"), "bad.yaml:5: key 'duration'");
  ExpectError(base + "costs: {messages.SendMessage: nans}\n", "key 'costs.messages.SendMessage'");
  ExpectError(base + "gateway: {request_timeout: nans}\n", "key 'gateway.request_timeout'");
  // Found by a hostile tester: too small for a double read as 0, which
  // means "never" for these.
  ExpectError(base + "gateway: {shed_behind: 1e-400s}\n", "key 'gateway.shed_behind'");
  ExpectError(base + "gateway: {idle_timeout: 1e-320ns}\n", "key 'gateway.idle_timeout'");
}

// Found by the scenario fuzzer: a topology without hosts aborted msgbed
// (yaml-cpp's InvalidNode escaped the reader).
// Found by the simulator issue: yaml-cpp keeps both copies of a key and
// answers the first, so the second was silently ignored.
TEST(ScenarioErrors, AKeyGivenTwiceIsRefused) {
  ExpectError(ReadFile(kSmall) + "seed: 9\n", "key 'seed': given twice (first on line 4)");
  ExpectError(testing::Replaced(ReadFile(kSmall), "users: 150", "users: 150\n  users: 2"),
              "key 'workload.users': given twice");
}

TEST(ScenarioErrors, WarmupAndObjectivesAreChecked) {
  const std::string base = ReadFile(kSmall);
  ExpectError(base + "warmup: 4s\n", "key 'warmup': must end before the load does");
  ExpectError(base + "slo: {send_to_lunch: {p99: 1s}}\n", "key 'slo.send_to_lunch': unknown key");
  ExpectError(base + "slo: {send_to_ack: {p95: 1s}}\n", "key 'slo.send_to_ack.p95': unknown key");
  ExpectError(base + "slo: {send_to_ack: {p99: soon}}\n", "key 'slo.send_to_ack.p99'");
}

// Found by a hostile tester: an empty value read as 0 (a free service, a
// limit nothing meets) or as the default, silently.
TEST(ScenarioErrors, AnEmptyValueIsRefused) {
  const std::string base = ReadFile(kSmall);
  ExpectError(base + "slo: {send_to_ack: {p99: }}\n", "key 'slo.send_to_ack.p99': empty value");
  ExpectError(base + "costs: {messages.SendMessage: }\n", "key 'costs.messages.SendMessage': empty value");
  ExpectError(base + "costs: {messages.SendMessage: {distribution: exponential, mean: }}\n",
              "key 'costs.messages.SendMessage.mean': empty value");
}

TEST(ScenarioErrors, InstancesNameDeployedRolesWithWorkersAndQueueLimits) {
  const std::string base = ReadFile(kSmall);
  const Scenario unbounded = ParseScenario(base + "instances: {messages: {queue_limit: 0}}\n", "ok.yaml");
  EXPECT_EQ(unbounded.instances.at("messages").queue_limit, 0u) << "the documented default can be written";
  ExpectError(base + "instances: {bots: {workers: 2}}\n", "key 'instances.bots': unknown key");
  ExpectError(base + "instances: {messages: {workers: 0}}\n", "key 'instances.messages.workers'");
  ExpectError(base + "instances: {messages: {workers: 5000}}\n", "at most 1024 workers");
  ExpectError(base + "instances: {messages: {threads: 2}}\n", "key 'instances.messages.threads': unknown key");
  ExpectError(base + "instances: {messages: {queue_limit: -1}}\n", "key 'instances.messages.queue_limit'");
  const Scenario sc = ParseScenario(base + "instances: {messages: {workers: 4, queue_limit: 100}}\n", "ok.yaml");
  EXPECT_EQ(sc.instances.at("messages").workers, 4);
  EXPECT_EQ(sc.instances.at("messages").queue_limit, 100u);
  EXPECT_EQ(sc.instances.at("gateway").workers, 1) << "every deployed role has an entry";
}

// Found by the simulator issue: users: 1000000000 passed validation and
// died of std::bad_alloc after 11 s.
TEST(ScenarioErrors, AWorkloadThatCannotFitInMemoryIsRefusedWithAnEstimate) {
  Scenario sc = LoadScenario(kSmall);
  EXPECT_NO_THROW(CheckMemory(sc, 8e9));
  sc.workload.users = 1000000000;
  EXPECT_GT(EstimateMemoryBytes(sc), 1e12);
  testing::ExpectInputError([&](const std::string&) { CheckMemory(sc, 8e9); }, "",
                            "key 'workload': this run needs an estimated");
  sc.workload.users = 1000;
  sc.workload.messages_per_second = 1e9;
  EXPECT_THROW(CheckMemory(sc, 8e9), ScenarioError) << "messages count too";
}

// Each replica of the message store's tier holds every box write again.
TEST(ScenarioErrors, TheMemoryEstimateCountsTheStoreTiersReplicas) {
  Scenario sc = LoadScenario(kSmall);
  const double alone = EstimateMemoryBytes(sc);
  sc.services["store"] = {"app-1", "app-2", "app-3"};
  const double two = EstimateMemoryBytes(sc);
  sc.role_settings["messages"]["store_replicas"] = 3;
  const double three = EstimateMemoryBytes(sc);
  EXPECT_GT(two, alone);
  EXPECT_NEAR(three - two, (two - alone) / 2, 1) << "one replica's worth each (two by default)";
  sc.role_settings["messages"]["store_replicas"] = 9;
  EXPECT_EQ(EstimateMemoryBytes(sc), three) << "at most the nodes there are";
}

TEST(ScenarioErrors, ATopologyWithoutHostsIsAnErrorNotAnAbort) {
  ExpectError("name: x\ntopology:\n  link: {bandwidth: 10Gbps, latency: 50us}\n", "key 'topology.hosts'");
}

TEST(ScenarioErrors, FaultTimelinesThatCannotHappen) {
  const std::string base = ReadFile(kSmall);
  ExpectError(base + "faults: [{crash: messages/0}]\n", "key 'faults[0].at': missing");
  ExpectError(base + "faults: [{at: 1s, start: messages/0}]\n", "key 'faults[0].start': messages/0 is running then");
  ExpectError(base + "faults: [{at: 1s, crash: sync/1}, {at: 2s, crash: sync/1}]\n",
              "key 'faults[1].crash': sync/1 is already down then");
  ExpectError(base + "faults: [{at: 1s, crash: sync/01}, {at: 2s, crash: sync/1}]\n",
              "key 'faults[1].crash': sync/1 is already down then");
  ExpectError(base + "faults: [{at: 8s, crash: sync/1}]\n",
              "key 'faults[0].at': after the run ends (duration + drain = 7s)");
}

TEST(ScenarioErrors, WindowedFaultsThatCannotHappen) {
  const std::string base = ReadFile(kSmall) + "faults:\n  - ";
  ExpectError(base + "{at: 1s, link: [gw-1, app-1], drop: 0.1}\n", "key 'faults[0].for': missing");
  ExpectError(base + "{at: 1s, for: 7s, link: [gw-1, app-1], drop: 0.1}\n",
              "key 'faults[0].for': the fault outlasts the run");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, gw-1], drop: 0.1}\n", "host 'gw-1' is on both sides of the link");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, app-9], drop: 0.1}\n", "key 'faults[0].link[1]': no host 'app-9'");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, app-1]}\n", "needs drop, duplicate, delay or jitter");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, app-1], drop: 1.5}\n", "key 'faults[0].drop'");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, app-1], drop: 0.1, slow: 2}\n", "slow");
  ExpectError(base + "{at: 1s, for: 1s, partition: [[gw-1, app-1], [app-1]]}\n", "host 'app-1' is in two groups");
  ExpectError(base + "{at: 1s, for: 1s, partition: [[gw-1]]}\n", "two or more groups");
  ExpectError(base + "{at: 1s, for: 1s, disk: messages/0, slow: 2, full: true}\n", "one of slow");
  ExpectError(base + "{at: 1s, for: 1s, disk: messages/0, slow: 1}\n", "key 'faults[0].slow': a factor above 1");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, app-1], jitter: 1d}\n", "at most 1h");
  ExpectError(base + "{at: 1s, for: 1s, link: [gw-1, app-1], jitter: 5500ms}\n", "would arrive after the run ends");
  ExpectError(base + "{at: 1s, for: 1s, disk: broker/0, full: true}\n", "no instance 'broker/0'");
  ExpectError(base + "{at: 1s, crash: broker/1}\n", "no instance 'broker/1'");
  ExpectError(base + "{at: 1s, crash: messages/0, disk: messages/1, full: true}\n", "one fault per entry");
  ExpectError(base + "{at: 1s, for: 1s, crash: broker/0}\n  - {at: 1.5s, start: broker/0}\n",
              "key 'faults[0].for': broker/0 is running then");
}

TEST(Scenario, ABareZeroIsADurationAndDaysAreAUnit) {
  const std::string base = ReadFile(kSmall);
  const Scenario sc = ParseScenario(
      testing::Replaced(base, "drain: 3s", "drain: 0") + "gateway: {idle_timeout: 0, request_timeout: 1d}\n",
      "zero.yaml");
  EXPECT_EQ(sc.drain, 0);
  EXPECT_EQ(sc.role_settings.at("gateway").at("request_timeout"), 86400);
}

}  // namespace
}  // namespace msgbed::sim
