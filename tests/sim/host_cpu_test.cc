// The host CPU model: work queues per core, the first free core takes it.
#include "host_cpu.h"

#include <gtest/gtest.h>

#include "host_disk.h"

namespace msgbed::sim {
namespace {

TEST(HostCpu, ParallelOnFreeCoresThenQueues) {
  HostCpu cpu(2, 1e9);  // 2 cores of 1 Gflop/s
  EXPECT_DOUBLE_EQ(cpu.Run(0, 0, 1e9), 1.0);
  EXPECT_DOUBLE_EQ(cpu.Run(0, 0, 1e9), 1.0);    // second core
  EXPECT_DOUBLE_EQ(cpu.Run(0, 0, 5e8), 1.5);    // waits for a core
  EXPECT_DOUBLE_EQ(cpu.Run(0, 3.0, 1e9), 4.0);  // idle cores start when ready
}

// Found by the disk model: work booked behind a backlog (ready at 10 s)
// counted the idle time before it as busy, so utilisation came out
// negative once the booked-ahead share was taken off.
TEST(HostCpu, WorkBookedAheadCountsOnlyItsOwnTime) {
  HostCpu cpu(1, 1e9);
  EXPECT_DOUBLE_EQ(cpu.Run(0, 10, 1e9), 11.0);
  EXPECT_DOUBLE_EQ(cpu.FlopsBeyond(0), 1e9);
  EXPECT_DOUBLE_EQ(cpu.FlopsBeyond(10.5), 5e8);
  cpu.Run(0, 11, 1e9);  // back to back: one busy stretch
  EXPECT_DOUBLE_EQ(cpu.FlopsBeyond(0), 2e9);
}

TEST(HostDisk, OperationsQueuePerChannelAndTakeLatencyPlusTransfer) {
  DiskSpec spec;
  spec.read_bandwidth = 100e6;
  spec.write_bandwidth = 50e6;
  spec.latency = 1e-3;
  spec.queue_depth = 2;
  EXPECT_DOUBLE_EQ(spec.WriteTime(50e3), 2e-3);
  EXPECT_DOUBLE_EQ(spec.ReadTime(100e3), 2e-3);
  HostDisk disk(spec);
  EXPECT_DOUBLE_EQ(disk.Run(0, 0, 2e-3), 2e-3);
  EXPECT_DOUBLE_EQ(disk.Run(0, 0, 2e-3), 2e-3);  // the second channel
  EXPECT_DOUBLE_EQ(disk.Run(0, 0, 2e-3), 4e-3);  // queued
  EXPECT_DOUBLE_EQ(disk.busy_seconds(), 6e-3);
  EXPECT_DOUBLE_EQ(disk.BusyBeyond(3e-3), 1e-3);
}

}  // namespace
}  // namespace msgbed::sim
