// Substrate: what a runtime provides to host one service instance. It only
// schedules, transmits and stores; everything with a meaning (timers and
// their cancelling, calls and their deadlines, dispatch, lifecycle) is
// written once above it, in InstanceHost. Three runtimes implement it: the
// live one (impl/live), the simulator (sim/) and the unit-test cluster.
//
// Thread rule: every call into the host that a substrate makes (Deliver,
// DeliverRecord, client events, At callbacks) runs on the instance's one
// thread or actor, one at a time.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/service.h"

namespace msgbed {

class Substrate {
 public:
  virtual ~Substrate() = default;

  // Monotonic microseconds since the runtime started.
  virtual Micros Now() const = 0;
  // Microseconds since 1970-01-01 UTC (simulated: a fixed start date plus Now()).
  virtual Micros Date() const = 0;
  // Runs fn at `at` (>= Now()) on the instance's thread. Cannot be undone;
  // the host ignores what it no longer wants.
  virtual void At(Micros at, std::function<void()> fn) = 0;

  // Carries e towards e.to, best effort. Ordinary envelopes arrive in send
  // order between any two instances; bulk ones (e.bulk) travel apart, each
  // as a flow sharing the network with the others, in no order. When the runtime knows e will not arrive (no such
  // instance, the link to it failed), it calls InstanceHost::Undeliverable(e) on the sender's host, at once or later.
  virtual void Transmit(Envelope e) = 0;

  // Appends e (one-way, or a call whoever consumes it answers) to the
  // topic's partition PartitionOfKey(key, partitions). A bus between
  // processes carries it as an rpc.Wire (host/wire.h).
  virtual void Publish(const std::string& topic, const std::string& key, Envelope e) = 0;
  // Joins consumer group `group` over topics. The runtime shares the
  // topics' partitions among the group's members (range assignment by
  // member address), tells the host what it gains and loses
  // (InstanceHost::PartitionsAssigned / PartitionsRevoked, revocations
  // first), and delivers each assigned partition's records through
  // InstanceHost::DeliverRecord from the group's committed offset: the
  // offset after the last record a member handled. Called with the
  // instance running, at most once per start.
  virtual void JoinGroup(const std::string& group, const std::vector<std::string>& topics) = 0;
  // Leaves the group: at once when orderly (its partitions move now);
  // after a crash, the group notices only when the member's session
  // times out, and its partitions wait until then.
  virtual void LeaveGroup(bool orderly) = 0;

  // The instance's durable store: kept across its crashes and restarts.
  virtual KvStore& Store() = 0;
  // Its blobs (media), kept as its store is.
  virtual BlobStore& Blobs() = 0;
  // Its client connections, for roles that have clients; nullptr otherwise.
  virtual ClientPort* Clients() = 0;

  // Fills out with n bytes from a CSPRNG and returns true; false in a
  // runtime that must be reproducible (the host then draws secrets from a
  // seeded stream).
  virtual bool Entropy(void* out, size_t n) = 0;
  // The instance's outbound providers; nullptr when it has none. Done
  // callbacks run on the instance's thread, never inside Deliver.
  virtual OutboundPort* Outbound() = 0;
};

}  // namespace msgbed
