// The host CPU model: work queues per core, the first free core takes it.
#include "host_cpu.h"

#include <gtest/gtest.h>

namespace msgbed::sim {
namespace {

TEST(HostCpu, ParallelOnFreeCoresThenQueues) {
  HostCpu cpu(2, 1e9);  // 2 cores of 1 Gflop/s
  EXPECT_DOUBLE_EQ(cpu.Run(0, 1e9), 1.0);
  EXPECT_DOUBLE_EQ(cpu.Run(0, 1e9), 1.0);    // second core
  EXPECT_DOUBLE_EQ(cpu.Run(0, 5e8), 1.5);    // waits for a core
  EXPECT_DOUBLE_EQ(cpu.Run(3.0, 1e9), 4.0);  // idle cores start when ready
}

}  // namespace
}  // namespace msgbed::sim
