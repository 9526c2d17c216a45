// Storage on disks: writes and uncached reads queue on the host's disk.
#include <gtest/gtest.h>

#include "scenario.h"
#include "support/expect_input_error.h"
#include "support/simulate_in_child.h"

namespace msgbed::sim {
namespace {

const std::string kSmall = std::string(MSGBED_TEST_DIR) + "/sim/small.yaml";

// small.yaml with `disk` as every host's disk.
Scenario WithDisk(const std::string& disk) {
  return ParseScenario(testing::Replaced(ReadFile(kSmall), "topology:\n", "topology:\n  disk: " + disk + "\n"),
                       "disk.yaml");
}

TEST(Disk, StorageWaitsForTheDiskAndReadsTheCacheMissesOnly) {
  const auto flat = SummaryOf(LoadScenario(kSmall), "flat");
  const auto slow = SummaryOf(WithDisk("{read: 100MBps, write: 100MBps, latency: 1ms, queue_depth: 4}"), "slow");
  const auto cached =
      SummaryOf(WithDisk("{read: 100MBps, write: 100MBps, latency: 1ms, queue_depth: 4, cache_hit: 1}"), "cached");
  for (const auto* s : {&slow, &cached}) {
    EXPECT_TRUE((*s)["invariants"]["ok"].get<bool>());
    EXPECT_TRUE((*s)["at_end"]["settled"].get<bool>());
    EXPECT_EQ((*s)["deliveries"]["missing"], 0);
  }
  EXPECT_TRUE(flat["disk_utilisation"].empty()) << "no disk model unless asked";
  // A send writes the sender's box (a 1 ms write at least) before its ack.
  EXPECT_GT(slow["latency_ms"]["send_to_ack"]["p50"].get<double>(),
            flat["latency_ms"]["send_to_ack"]["p50"].get<double>() + 1);
  const double busy = slow["disk_utilisation"]["app-1"].get<double>();
  EXPECT_GT(busy, 0.0);
  EXPECT_LT(busy, 1.0);
  EXPECT_LT(cached["disk_utilisation"]["app-1"].get<double>(), busy) << "reads from the block cache";
  EXPECT_LT(slow["disk_utilisation"]["gw-1"].get<double>(), busy / 100) << "gateways store next to nothing";
}

TEST(Disk, ASaturatedDiskIsTheBottleneck) {
  // 30 ms an operation, one at a time, for the instances of a host with
  // eight workers each: the disk, not the CPU or the workers, is full.
  Scenario sc = WithDisk("{read: 1GBps, write: 1GBps, latency: 30ms}");
  for (auto& [role, spec] : sc.instances) spec.workers = 8;
  const auto s = SummaryOf(sc, "saturated");
  EXPECT_GT(s["disk_utilisation"]["app-1"].get<double>(), 0.9);
  EXPECT_LT(s["cpu_utilisation"]["app-1"].get<double>(), 0.5);
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>()) << "the backlog outlasts the drain";
}

TEST(Disk, BadDisksNameTheirKey) {
  const std::string base = ReadFile(kSmall);
  ExpectError(testing::Replaced(base, "topology:\n", "topology:\n  disk: {read: 1GBps}\n"),
              "key 'topology.disk.write'");
  ExpectError(testing::Replaced(base, "topology:\n", "topology:\n  disk: {read: 1GBps, write: 1GBps, cache_hit: 2}\n"),
              "key 'topology.disk.cache_hit'");
  ExpectError(testing::Replaced(base, "{name: app-1, cores: 4, speed: 1Gf}",
                                "{name: app-1, cores: 4, speed: 1Gf, disk: {read: 1GBps, write: fast}}"),
              "key 'topology.hosts[2].disk.write'");
  // Found by a hostile tester: a billion channels ran out of memory.
  ExpectError(testing::Replaced(base, "topology:\n",
                                "topology:\n  disk: {read: 1GBps, write: 1GBps, queue_depth: 1000000000}\n"),
              "key 'topology.disk.queue_depth': at most 1024");
}

// Found by a hostile tester: with a disk too slow to write anything, no
// message was ever sent, and the run called itself settled and sound.
TEST(Disk, ARunThatSentNothingOfWhatItWasOfferedIsNotSettled) {
  const auto s = SummaryOf(WithDisk("{read: 1Bps, write: 1Bps}"), "too-slow");
  EXPECT_EQ(s["messages"]["sent"], 0);
  EXPECT_GT(s["messages"]["held_unsent"].get<uint64_t>(), 0u);
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>());
}

}  // namespace
}  // namespace msgbed::sim
