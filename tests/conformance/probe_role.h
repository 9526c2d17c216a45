// The probe role: a toy role of the tests, registered by them alone (its
// folder and one RoleRegistry::Add are all it takes), that exercises what
// every runtime must provide the same way. Its setting `act` picks what it
// does at start; it reports what it saw as gauges in its metrics:
//
//   act 1 (order)  probe/0 sends kOrderCount Seq to probe/1, which counts
//                  probe.received and probe.out_of_order.
//   act 2 (timers) timers at 20, 40 (cancelled at once) and 60 ms:
//                  probe.fired = bitmask of fired (1, 2, 4), probe.order_ok.
//   act 3 (calls)  probe/0 calls probe/1: Echo (probe.echoed = n back),
//                  Silent with a 50 ms deadline (probe.deadline = 1),
//                  probe/9 which does not exist (probe.unavailable = 1),
//                  Stray (probe.unhandled = 1); probe.early_done counts
//                  callbacks run inside the Call that caused them,
//                  probe.extra_done callbacks run twice.
//   act 4 (bus)    probe/0 publishes kBusCount records on 4 keys; probe/1,
//                  subscribed to every partition, counts probe.records and
//                  probe.bus_out_of_order (per key).
//   act 5 (crash)  probe.boots counts starts in the store (durable); each
//                  start sets a 300 ms timer that records
//                  probe.timer_boot = the boot it was set in.
//   act 6 (lanes)  probe/0 transfers kTransferBytes to probe/1 asking for
//                  kTransferReplyBytes back (probe.transferred = bytes
//                  back, intact), then sends a Seq on the ordered lane;
//                  probe/1 counts probe.blob_bytes (intact) and
//                  probe.received. Over-size bodies end with TOO_LARGE:
//                  an ordinary call (probe.call_too_large), a transfer
//                  (probe.transfer_too_large) and an ordinary call whose
//                  reply is too large (probe.reply_too_large).
//   act 7 (flows)  probe/0 and probe/2 (if there is one) each transfer
//                  kFlowBytes to probe/1, then send it a Seq; probe/1
//                  records when the first Seq and the last Blob arrived
//                  (probe.first_seq_at_us, probe.last_blob_at_us).
//   act 8 (bus across a crash) probe/0 publishes kBusCount records on 4
//                  keys, one every 5 ms; probe/1, subscribed to every
//                  partition, keeps in its store per key the last n it
//                  handled and counts (durably, shown as gauges)
//                  probe.bus_distinct, probe.bus_gaps (n beyond last + 1)
//                  and probe.bus_duplicates (n at or below last).
//   act 9 (burst)  probe/0 transfers kBurstCount blobs of kBurstBytes to
//                  probe/1 at once, more than a live link holds unsent;
//                  probe.burst_ok counts those answered.
#pragma once

#include "roles/registry.h"

namespace msgbed::probe {

inline constexpr const char* kRole = "probe";
inline constexpr const char* kTopic = "probe";
inline constexpr uint64_t kOrderCount = 200;
inline constexpr uint64_t kBusCount = 100;
// Both above the ordered lane's limit (kMaxMessageBytes).
inline constexpr uint64_t kTransferBytes = 3u << 20;
inline constexpr uint64_t kTransferReplyBytes = 2u << 20;
inline constexpr uint64_t kFlowBytes = 10'000'000;
inline constexpr uint64_t kBurstCount = 6;
inline constexpr uint64_t kBurstBytes = 50u << 20;

RoleSpec ProbeRole();
// Adds the probe to the global registry once.
void RegisterProbe();

}  // namespace msgbed::probe
