// Sweeps: a scenario's sweep: section expands to one scenario per point,
// the first key varying slowest; bad sweeps are refused before any run.
#include "sweep.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "scenario.h"
#include "support/expect_input_error.h"

namespace msgbed::sim {
namespace {

std::string Small() {
  std::ifstream in(std::string(MSGBED_TEST_DIR) + "/sim/small.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<SweepPoint> Expand(const std::string& sweep) {
  SweepSpec spec;
  spec.base_yaml = Small() + sweep;
  spec.base_path = "sweep.yaml";
  return ExpandSweep(spec).points;
}

TEST(Sweep, ListsAndRangesExpandToEveryCombination) {
  const auto points = Expand(
      "sweep:\n  workload.messages_per_second: [100, 200]\n  instances.messages.workers: {from: 1, to: 5, step: 2}\n");
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].name, "small-1");
  EXPECT_EQ(points[1].set, (std::vector<std::pair<std::string, std::string>>{{"workload.messages_per_second", "100"},
                                                                             {"instances.messages.workers", "3"}}));
  EXPECT_EQ(points[5].set[0].second, "200");
  EXPECT_EQ(points[5].set[1].second, "5");
  const Scenario last = ParseScenario(points[5].yaml, "p.yaml");
  EXPECT_EQ(last.name, "small-6");
  EXPECT_EQ(last.workload.messages_per_second, 200);
  EXPECT_EQ(last.instances.at("messages").workers, 5) << "a map the base did not have is created";
  EXPECT_EQ(last.workload.users, 150u) << "the rest is the base scenario";
}

void ExpectRefused(const std::string& sweep, const std::string& what) {
  testing::ExpectInputError([](const std::string& s) { Expand(s); }, sweep, what);
}

TEST(Sweep, BadSweepsAreRefusedBeforeAnyRun) {
  ExpectRefused("sweep: {}\n", "key 'sweep': missing");
  ExpectRefused("sweep:\n  name: [a, b]\n", "key 'sweep.name': cannot be swept");
  ExpectRefused("sweep:\n  workload.users: 5\n", "key 'sweep.workload.users': expected a list");
  ExpectRefused("sweep:\n  workload.users: {from: 9, to: 2}\n", "key 'sweep.workload.users.to': must not be below");
  ExpectRefused("sweep:\n  workload.users: {from: 1, to: 1e9}\n", "more than 10,000 values");
  // Found by a hostile tester: a step below from's precision looped forever,
  // and a name or key that is not a single value aborted msgbed.
  ExpectRefused("sweep:\n  seed: {from: 20000000, to: 20000000, step: 1e-9}\n", "key 'sweep.seed.step': too small");
  ExpectRefused("sweep:\n  ? [a, b]\n  : [1, 2]\n", "key 'sweep'");
  testing::ExpectInputError(
      [](const std::string& s) {
        SweepSpec spec;
        spec.base_yaml = s;
        ExpandSweep(spec);
      },
      testing::Replaced(Small(), "name: small", "name: [x, y]") + "sweep:\n  seed: [1, 2]\n", "key 'name'");
  ExpectRefused(
      "sweep:\n  workload.userz: [2, 3]\n",
      "sweep.yaml: sweep point small-1 (workload.userz=2): small-1.yaml:28: key 'workload.userz': unknown key");
}

// Found by a hostile tester: cost keys have a dot of their own, and a
// range could drop its last value to rounding.
TEST(Sweep, CostsAndWholeRangesCanBeSwept) {
  const auto costs = Expand("sweep:\n  costs.messages.SendMessage: [10us, 1ms]\n");
  EXPECT_DOUBLE_EQ(ParseScenario(costs[1].yaml, "p.yaml").costs.at("messages.SendMessage").mean(), 1e-3);
  const auto range = Expand("sweep:\n  workload.messages_per_second: {from: 100, to: 119.57, step: 0.01}\n");
  ASSERT_EQ(range.size(), 1958u);
  EXPECT_EQ(range.back().set[0].second, "119.57");
}

// Values with commas are quoted in sweep.csv (RFC 4180).
TEST(Sweep, TheCsvQuotesWhatNeedsIt) {
  std::vector<SweepPoint> points(1);
  points[0].name = "p-1";
  points[0].set = {{"topology.services.gateway", "[gw-1, gw-2]"}};
  const std::string csv = SweepCsv(points);
  EXPECT_NE(csv.find("p-1,\"[gw-1, gw-2]\",false"), std::string::npos) << csv;
}

}  // namespace
}  // namespace msgbed::sim
