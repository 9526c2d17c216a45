// InstanceHost: runs one service instance, the same way in every runtime. It
// owns the core and implements its Env on top of a Substrate: timers (ids,
// cancelling), calls (correlation ids, deadlines, typed failures), dispatch
// of incoming messages by type, and the lifecycle:
//
//   Start    builds the core (which recovers from its store), registers its
//            handlers, joins its role's consumer group on the bus.
//   Crash    loses everything volatile at once: the core, its timers, its
//            calls in flight (their callbacks never run), its bus
//            partitions. The store is kept. Messages arriving while down
//            are dropped and counted.
//   Stop     the same, as an orderly shutdown (counted apart): the core is
//            first told its partitions are revoked.
//   Start again after either: a restart with recovery.
//
// Contract to the core (core/env.h): no callback runs before the call that
// caused it returns; a call's `done` runs exactly once unless the instance
// stops or crashes first.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "core/env.h"
#include "core/service.h"
#include "host/substrate.h"

namespace msgbed {

class InstanceHost final : public Env {
 public:
  using Factory = std::function<std::unique_ptr<Service>(Env*)>;

  // REQUIRES: substrate outlives the host. seed: this instance's random stream.
  InstanceHost(Address self, Factory make, Substrate* substrate, uint64_t seed);
  ~InstanceHost() override;

  void Start();  // REQUIRES: !running()
  void Crash();
  void Stop();
  bool running() const { return core_ != nullptr; }
  // Tells a running core the deployment's new shape (Service::OnReshape).
  void Reshape(const ClusterShape& now) {
    if (core_) core_->OnReshape(now);
  }
  // REQUIRES: running().
  Service& core() { return *core_; }
  const Handlers& handlers() const { return handlers_; }

  // From the substrate.
  void Deliver(const Envelope& e);
  // A record of an assigned partition: its message (an rpc.Wire) is
  // dispatched like a delivered one, with Incoming::partition set, and
  // `handled` (the substrate's commit) runs once it was: at once, or when
  // the core releases the partition it held; never if the record is
  // dropped (a revoked partition, a crash).
  void DeliverRecord(const BusRecord& record, std::function<void()> handled = nullptr);
  void PartitionsAssigned(const std::vector<Service::Partition>& assigned);
  void PartitionsRevoked(const std::vector<Service::Partition>& revoked);
  const std::vector<Service::Partition>& assigned() const { return assigned_; }
  void ClientOpened(ConnId conn, std::string_view source);
  void ClientFrame(ConnId conn, const api::ClientFrame& frame);
  void ClientClosed(ConnId conn);
  // e, sent by this instance, will not arrive: a call fails with UNAVAILABLE.
  void Undeliverable(const Envelope& e);

  // Env
  const Address& Self() const override { return self_; }
  Micros Now() const override { return substrate_->Now(); }
  Micros Date() const override { return substrate_->Date(); }
  TimerId StartTimer(Micros delay, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override { timers_.erase(id); }
  void Send(const Address& to, Body body) override;
  void Call(const Address& to, Body body, Micros deadline, CallDone done) override {
    StartCall(to, std::move(body), deadline, std::move(done), false);
  }
  void Transfer(const Address& to, Body body, Micros deadline, CallDone done) override {
    StartCall(to, std::move(body), deadline, std::move(done), true);
  }
  void Reply(const ReplyTo& to, Body body) override;
  void Publish(const std::string& topic, const std::string& key, Body body) override;
  void CallOnBus(const std::string& topic, const std::string& key, Body body, Micros deadline, CallDone done) override;
  void HoldPartition(const std::string& topic, uint32_t partition) override;
  void ReleasePartition(const std::string& topic, uint32_t partition) override;
  ClientPort* Clients() override { return substrate_->Clients(); }
  KvStore& Kv() override { return substrate_->Store(); }
  BlobStore& Blobs() override { return substrate_->Blobs(); }
  Rng& Random() override { return rng_; }
  std::string SecretBytes(size_t n) override;
  OutboundPort& Outbound() override { return outbound_; }
  Metrics& Stats() override { return metrics_; }

 private:
  struct PendingCall {
    Address to;
    CallDone done;
    TimerId deadline;
  };
  // orderly: the core is told its partitions are revoked first.
  void Halt(const char* counter, bool orderly);
  // Registers a pending call to `to` (any instance if to has no role);
  // returns its id.
  uint64_t Expect(const Address& to, Micros deadline, CallDone done);
  void StartCall(const Address& to, Body body, Micros deadline, CallDone done, bool bulk);
  void Dispatch(const Envelope& e, int64_t partition);
  // Decodes and dispatches record, then runs handled.
  void Handle(const BusRecord& record, const std::function<void()>& handled);
  bool Assigned(const std::string& topic, uint32_t partition) const;
  // Transmits e if its lane carries its size; refuses it otherwise.
  void Emit(Envelope e);
  // Ends the call e with error, after the current handler returns.
  void FailLater(const Envelope& call, rpc::CallError error);
  // Ends pending call id with result; false if it is not pending.
  bool Finish(uint64_t id, const Address& from, CallResult result);

  // The substrate's providers, with the host's guarantee: no callback
  // after the instance stopped or crashed.
  class HostOutbound final : public OutboundPort {
   public:
    explicit HostOutbound(InstanceHost* host) : host_(host) {}
    size_t Providers(std::string_view channel) const override;
    void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) override;

   private:
    InstanceHost* host_;
  };

  const Address self_;
  const Factory make_;
  Substrate* const substrate_;
  Rng rng_;
  Rng secret_rng_;  // when the substrate has no entropy (reproducible runtimes)
  HostOutbound outbound_{this};
  std::unordered_map<uint64_t, OutboundPort::Done> deliveries_;  // in flight, by id
  uint64_t next_delivery_ = 1;
  Metrics metrics_;  // kept across restarts: an operator's counters
  Handlers handlers_;
  std::unique_ptr<Service> core_;
  std::vector<Service::Partition> assigned_;  // by the consumer group, now
  struct Waiting {
    BusRecord record;
    std::function<void()> handled;
  };
  // Held partitions (by topic and partition), with the records waiting.
  std::map<std::pair<std::string, uint32_t>, std::deque<Waiting>> held_;
  std::unordered_map<TimerId, std::function<void()>> timers_;
  std::unordered_map<uint64_t, PendingCall> calls_;
  // Never reused, across restarts too: a late reply or timer from before a
  // crash must not match anything after it.
  TimerId next_timer_ = 1;
  uint64_t next_call_;
};

}  // namespace msgbed
