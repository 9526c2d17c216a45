// One contract, three runtimes: the unit-test cluster, the simulator and the
// live runtime each run probe instances (probe_role.h), and every test here
// runs against each of them. A new substrate passes this suite or is not
// done.
#include <gtest/gtest.h>

#include "conformance/probe_role.h"
#include "conformance/worlds.h"

namespace msgbed::probe {
namespace {

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  Observed Run(Plan plan) { return MakeWorld(GetParam())->Run(plan); }
};

TEST_P(Conformance, MessagesBetweenTwoInstancesArriveInSendOrder) {
  const Observed o = Run({.act = 1, .done = [](const Observed& o) {
                            return o[1].Get("probe.received") == static_cast<int64_t>(kOrderCount);
                          }});
  EXPECT_EQ(o[1].Get("probe.received"), static_cast<int64_t>(kOrderCount));
  EXPECT_EQ(o[1].Get("probe.out_of_order"), 0);
}

TEST_P(Conformance, TimersFireInTimeOrderAndCancelledOnesNever) {
  const Observed o = Run({.act = 2, .done = [](const Observed& o) { return o[0].Get("probe.fired") == 5; }});
  EXPECT_EQ(o[0].Get("probe.fired"), 1 | 4) << "the timer cancelled at once must not fire";
  EXPECT_EQ(o[0].Get("probe.order_ok"), 1);
}

TEST_P(Conformance, CallsEndExactlyOnceWithTheReplyOrATypedFailure) {
  const Observed o = Run({.act = 3, .done = [](const Observed& o) {
                            return o[0].Get("probe.echoed") && o[0].Get("probe.deadline") &&
                                   o[0].Get("probe.unavailable") && o[0].Get("probe.unhandled");
                          }});
  EXPECT_EQ(o[0].Get("probe.echoed"), 42) << "the reply's body";
  EXPECT_EQ(o[0].Get("probe.deadline"), 1) << "an unanswered call ends with DEADLINE_EXCEEDED";
  EXPECT_EQ(o[0].Get("probe.unavailable"), 1) << "a call to an unknown instance ends with UNAVAILABLE";
  EXPECT_EQ(o[0].Get("probe.unhandled"), 1) << "a type the callee does not serve ends with UNHANDLED";
  EXPECT_EQ(o[0].Get("probe.early_done"), 0) << "no callback inside the Call that caused it";
  EXPECT_EQ(o[0].Get("probe.extra_done"), 0) << "no callback twice";
  EXPECT_GE(o[0].Get("host.undeliverable"), 1) << "a one-way message to nobody is dropped and counted";
}

TEST_P(Conformance, BusRecordsOfOnePartitionArriveInPublishOrder) {
  const Observed o = Run({.act = 4, .run_for = 10 * kSecond, .done = [](const Observed& o) {
                            return o[1].Get("probe.records") == static_cast<int64_t>(kBusCount);
                          }});
  EXPECT_EQ(o[1].Get("probe.records"), static_cast<int64_t>(kBusCount));
  EXPECT_EQ(o[1].Get("probe.bus_out_of_order"), 0);
}

TEST_P(Conformance, ACrashLosesWhatIsVolatileAndKeepsTheStore) {
  const Observed o = Run({.act = 5,
                          .run_for = 2 * kSecond,
                          .done = [](const Observed& o) { return o[0].Get("probe.timer_boot") == 2; },
                          .crash = 0,
                          .crash_when = [](const Observed& o) { return o[0].Get("probe.boots") >= 1; }});
  EXPECT_EQ(o[0].Get("probe.boots"), 2) << "the store survived the crash";
  EXPECT_EQ(o[0].Get("probe.timer_boot"), 2) << "a timer set before the crash never fires";
}

TEST_P(Conformance, AConsumerBackFromACrashReadsEveryRecordItHadNotHandledInOrder) {
  const Observed o =
      // A bound, not a wait: the run ends once every record is in. Live, a
      // consumer group's join can take seconds on a loaded machine.
      Run({.act = 8,
           .run_for = 30 * kSecond,
           .done = [](const Observed& o) { return o[1].Get("probe.bus_distinct") == static_cast<int64_t>(kBusCount); },
           .crash = 1,
           .crash_when = [](const Observed& o) { return o[1].Get("probe.bus_distinct") >= 10; }});
  EXPECT_EQ(o[1].Get("probe.bus_distinct"), static_cast<int64_t>(kBusCount)) << "none lost";
  EXPECT_EQ(o[1].Get("probe.bus_gaps"), 0) << "none skipped: per-key order held across the crash";
}

TEST_P(Conformance, TransfersCarryLargeBodiesAndEachLaneRefusesWhatIsTooLarge) {
  const Observed o = Run({.act = 6, .run_for = 10 * kSecond, .done = [](const Observed& o) {
                            return o[0].Get("probe.transferred") && o[0].Get("probe.call_too_large") &&
                                   o[0].Get("probe.transfer_too_large") && o[0].Get("probe.reply_too_large") &&
                                   o[1].Get("probe.received") == 1;
                          }});
  EXPECT_EQ(o[0].Get("probe.transferred"), static_cast<int64_t>(kTransferReplyBytes)) << "the reply, intact";
  EXPECT_EQ(o[1].Get("probe.blob_bytes"), static_cast<int64_t>(kTransferBytes)) << "only the transfer arrives";
  EXPECT_EQ(o[1].Get("probe.received"), 1) << "the ordered lane still works beside it";
  EXPECT_EQ(o[0].Get("probe.call_too_large"), 1) << "an ordinary call above kMaxMessageBytes";
  EXPECT_EQ(o[0].Get("probe.transfer_too_large"), 1) << "a transfer above kMaxTransferBytes";
  EXPECT_EQ(o[0].Get("probe.reply_too_large"), 1) << "an ordinary reply above kMaxMessageBytes";
  EXPECT_EQ(o[0].Get("probe.early_done"), 0);
  EXPECT_EQ(o[0].Get("probe.extra_done"), 0);
}

// Found by a hostile tester: live, a burst of transfers larger than a link
// holds unsent closed the link and every call timed out.
TEST_P(Conformance, ABurstOfTransfersToOnePeerAllArrive) {
  const Observed o = Run({.act = 9, .run_for = 30 * kSecond, .done = [](const Observed& o) {
                            return o[0].Get("probe.burst_ok") == static_cast<int64_t>(kBurstCount);
                          }});
  EXPECT_EQ(o[0].Get("probe.burst_ok"), static_cast<int64_t>(kBurstCount));
  EXPECT_EQ(o[1].Get("probe.blob_bytes"), static_cast<int64_t>(kBurstCount * kBurstBytes));
}

TEST_P(Conformance, AConnectionTheCoreClosesIsReportedClosedToIt) {
  const Metrics m = MakeWorld(GetParam())->GatewayClosing(4);
  // Simulated devices connect again after a close, so they may be refused more than once.
  EXPECT_GE(m.Get("gateway.refused_over_cap"), 3);
  EXPECT_EQ(m.Get("gateway.connections"), 1) << "each refused connection came back through OnClientClosed";
}

// What only the simulator models: bulk flows share a link's bandwidth, and
// ordinary messages do not queue behind them. Each probe has its own host,
// so two transfers to probe/1 share its access link.
TEST(SimulatedBulkLane, FlowsShareTheBottleneckAndDoNotHoldUpMessages) {
  auto run = [](uint32_t senders) {
    return MakeWorld("sim")->Run({.act = 7, .instances = senders + 1, .run_for = 2 * kSecond});
  };
  const Observed one = run(1);
  const Observed two = run(2);
  ASSERT_EQ(one[1].Get("probe.blob_bytes"), static_cast<int64_t>(kFlowBytes));
  ASSERT_EQ(two[1].Get("probe.blob_bytes"), static_cast<int64_t>(2 * kFlowBytes));
  const double alone = static_cast<double>(one[1].Get("probe.last_blob_at_us"));
  const double shared = static_cast<double>(two[1].Get("probe.last_blob_at_us"));
  // 10 MB over a 10 Gbps link: 8 ms alone; two flows into one link, 16 ms.
  EXPECT_NEAR(alone, 8000, 200);
  EXPECT_NEAR(shared / alone, 2.0, 0.05);
  EXPECT_LT(two[1].Get("probe.first_seq_at_us"), 1000) << "a message sent after a transfer is not queued behind it";
}

INSTANTIATE_TEST_SUITE_P(EveryRuntime, Conformance, ::testing::Values("test", "sim", "live"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace msgbed::probe
