#include "host/instance_host.h"

#include <algorithm>

#include "core/address.h"
#include "host/wire.h"

namespace msgbed {

InstanceHost::InstanceHost(Address self, Factory make, Substrate* substrate, uint64_t seed)
    : self_(std::move(self)),
      make_(std::move(make)),
      substrate_(substrate),
      rng_(seed),
      secret_rng_(DeriveSeed(seed, "secrets")),
      // Call ids start at a random point, so that a restarted process (whose
      // host starts afresh) does not take a late reply meant for its former
      // self as the answer to a new call.
      next_call_((rng_.Next() >> 2) + 1) {}

// Destruction is not a lifecycle event: the substrate may be going away
// too, so nothing is asked of it (a live substrate unsubscribes itself).
InstanceHost::~InstanceHost() = default;

void InstanceHost::Start() {
  handlers_ = Handlers();
  core_ = make_(this);
  core_->Register(handlers_);
  if (const auto topics = core_->Topics(); !topics.empty()) substrate_->JoinGroup("msgbed-" + self_.role(), topics);
  metrics_.Add("host.starts");
}

void InstanceHost::Halt(const char* counter, bool orderly) {
  if (!core_) return;
  if (!core_->Topics().empty()) {
    if (orderly && !assigned_.empty()) core_->OnPartitionsRevoked(assigned_);
    substrate_->LeaveGroup(orderly);
  }
  assigned_.clear();
  held_.clear();
  core_.reset();
  timers_.clear();
  calls_.clear();
  deliveries_.clear();
  metrics_.Add(counter);
}

void InstanceHost::Crash() { Halt("host.crashes", false); }
void InstanceHost::Stop() { Halt("host.stops", true); }

TimerId InstanceHost::StartTimer(Micros delay, std::function<void()> fn) {
  const TimerId id = next_timer_++;
  timers_.emplace(id, std::move(fn));
  substrate_->At(substrate_->Now() + delay, [this, id] {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;  // cancelled, or lost in a crash
    auto fn = std::move(it->second);
    timers_.erase(it);
    fn();
  });
  return id;
}

void InstanceHost::Send(const Address& to, Body body) {
  Emit(Envelope{self_, to, Envelope::Kind::kOneWay, 0, rpc::CALL_OK, std::move(body)});
}

uint64_t InstanceHost::Expect(const Address& to, Micros deadline, CallDone done) {
  const uint64_t id = next_call_++;
  const TimerId timer = StartTimer(deadline, [this, id, to] {
    Finish(id, to, CallResult{rpc::DEADLINE_EXCEEDED, nullptr});
  });
  calls_.emplace(id, PendingCall{to, std::move(done), timer});
  return id;
}

void InstanceHost::StartCall(const Address& to, Body body, Micros deadline, CallDone done, bool bulk) {
  const uint64_t id = Expect(to, deadline, std::move(done));
  Emit(Envelope{self_, to, Envelope::Kind::kCall, id, rpc::CALL_OK, std::move(body), bulk});
}

void InstanceHost::Publish(const std::string& topic, const std::string& key, Body body) {
  substrate_->Publish(topic, key,
                      Envelope{self_, Address(), Envelope::Kind::kOneWay, 0, rpc::CALL_OK, std::move(body)});
}

void InstanceHost::CallOnBus(const std::string& topic, const std::string& key, Body body, Micros deadline,
                             CallDone done) {
  // Whoever consumes the partition answers: the call names no callee.
  const uint64_t id = Expect(Address(), deadline, std::move(done));
  substrate_->Publish(topic, key, Envelope{self_, Address(), Envelope::Kind::kCall, id, rpc::CALL_OK, std::move(body)});
}

void InstanceHost::Reply(const ReplyTo& to, Body body) {
  if (!to.expects_reply()) return;
  Emit(Envelope{self_, to.caller, Envelope::Kind::kReply, to.call_id, rpc::CALL_OK, std::move(body), to.bulk});
}

bool InstanceHost::Finish(uint64_t id, const Address& from, CallResult result) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return false;
  if (!it->second.to.role().empty() && !SameAddress(it->second.to, from)) return false;
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  timers_.erase(call.deadline);
  if (result.error != rpc::CALL_OK) metrics_.Add(std::string("host.calls.") + rpc::CallError_Name(result.error));
  call.done(result);
  return true;
}

void InstanceHost::Deliver(const Envelope& e) {
  if (!core_) return metrics_.Add("host.dropped_while_down");
  if (e.kind == Envelope::Kind::kReply) {
    if (!Finish(e.call_id, e.from, CallResult{e.error, e.body})) metrics_.Add("host.late_replies");
    return;
  }
  Dispatch(e, Incoming::kNotFromBus);
}

void InstanceHost::Dispatch(const Envelope& e, int64_t partition) {
  const Incoming in{e.from, ReplyTo{e.from, e.kind == Envelope::Kind::kCall ? e.call_id : 0, e.bulk}, partition};
  if (e.body && handlers_.Dispatch(in, *e.body)) return;
  metrics_.Add("host.unhandled");
  if (in.reply_to.expects_reply()) {
    substrate_->Transmit(Envelope{self_, e.from, Envelope::Kind::kReply, e.call_id, rpc::UNHANDLED, nullptr, e.bulk});
  }
}

void InstanceHost::Emit(Envelope e) {
  if (e.ByteSize() <= (e.bulk ? kMaxTransferBytes : kMaxMessageBytes)) return substrate_->Transmit(std::move(e));
  metrics_.Add("host.too_large");
  if (e.kind == Envelope::Kind::kCall) return FailLater(e, rpc::TOO_LARGE);
  if (e.kind == Envelope::Kind::kReply) {
    substrate_->Transmit(Envelope{self_, e.to, Envelope::Kind::kReply, e.call_id, rpc::TOO_LARGE, nullptr, e.bulk});
  }
}

void InstanceHost::FailLater(const Envelope& call, rpc::CallError error) {
  // Later, never inside the Call that caused it.
  substrate_->At(substrate_->Now(), [this, id = call.call_id, to = call.to, error] {
    Finish(id, to, CallResult{error, nullptr});
  });
}

void InstanceHost::Undeliverable(const Envelope& e) {
  metrics_.Add("host.undeliverable");
  if (e.kind == Envelope::Kind::kCall) FailLater(e, rpc::UNAVAILABLE);
}

std::string InstanceHost::SecretBytes(size_t n) {
  std::string out(n, '\0');
  if (substrate_->Entropy(out.data(), n)) return out;
  for (char& c : out) c = static_cast<char>(secret_rng_.Next());
  return out;
}

size_t InstanceHost::HostOutbound::Providers(std::string_view channel) const {
  OutboundPort* port = host_->substrate_->Outbound();
  return port ? port->Providers(channel) : 0;
}

void InstanceHost::HostOutbound::Deliver(std::string_view channel, size_t index, const OutboundMessage& message,
                                         Done done) {
  InstanceHost& h = *host_;
  const uint64_t id = h.next_delivery_++;  // never reused: a crash voids every earlier id
  h.deliveries_.emplace(id, std::move(done));
  auto finish = [&h, id](const Status& status) {
    auto it = h.deliveries_.find(id);
    if (it == h.deliveries_.end()) return;
    auto fn = std::move(it->second);
    h.deliveries_.erase(it);
    fn(status);
  };
  OutboundPort* port = h.substrate_->Outbound();
  if (port && index < port->Providers(channel)) return port->Deliver(channel, index, message, std::move(finish));
  h.substrate_->At(h.substrate_->Now(), [finish] { finish(Status::Invalid("no such provider")); });
}

void InstanceHost::DeliverRecord(const BusRecord& record, std::function<void()> handled) {
  if (!core_) return;
  // A record fetched before a rebalance took its partition away is late.
  if (!Assigned(record.topic, record.partition)) return metrics_.Add("host.records_not_assigned");
  auto held = held_.find({record.topic, record.partition});
  if (held != held_.end()) return held->second.push_back({record, std::move(handled)});
  Handle(record, handled);
}

void InstanceHost::Handle(const BusRecord& record, const std::function<void()>& handled) {
  Envelope decoded;
  std::string error;
  const Envelope* e = record.decoded.get();
  if (e == nullptr && DecodeWire(record.payload, &decoded, &error)) e = &decoded;
  if (e != nullptr && e->kind != Envelope::Kind::kReply) {
    Dispatch(*e, record.partition);
  } else {
    metrics_.Add("host.bad_records");  // handled all the same: reading it again would not help
  }
  if (handled) handled();
}

void InstanceHost::HoldPartition(const std::string& topic, uint32_t partition) {
  if (Assigned(topic, partition)) held_.try_emplace({topic, partition});
}

void InstanceHost::ReleasePartition(const std::string& topic, uint32_t partition) {
  auto it = held_.find({topic, partition});
  if (it == held_.end()) return;
  std::deque<Waiting> waiting = std::move(it->second);
  held_.erase(it);
  for (Waiting& w : waiting) {
    if (!core_ || !Assigned(topic, partition)) return;  // a handler stopped it, or gave it away
    Handle(w.record, w.handled);
  }
}

bool InstanceHost::Assigned(const std::string& topic, uint32_t partition) const {
  for (const auto& p : assigned_) {
    if (p.partition == partition && p.topic == topic) return true;
  }
  return false;
}

void InstanceHost::PartitionsAssigned(const std::vector<Service::Partition>& assigned) {
  if (!core_ || assigned.empty()) return;
  assigned_.insert(assigned_.end(), assigned.begin(), assigned.end());
  core_->OnPartitionsAssigned(assigned);
}

void InstanceHost::PartitionsRevoked(const std::vector<Service::Partition>& revoked) {
  if (!core_ || revoked.empty()) return;
  std::erase_if(assigned_, [&](const Service::Partition& p) {
    return std::any_of(revoked.begin(), revoked.end(),
                       [&](const auto& r) { return r.partition == p.partition && r.topic == p.topic; });
  });
  // What waited is not handled: the partition's next consumer reads it.
  for (const auto& r : revoked) held_.erase({r.topic, r.partition});
  core_->OnPartitionsRevoked(revoked);
}

void InstanceHost::ClientOpened(ConnId conn, std::string_view source) {
  if (core_) core_->OnClientOpened(conn, source);
}

void InstanceHost::ClientFrame(ConnId conn, const api::ClientFrame& frame) {
  if (core_) core_->OnClientFrame(conn, frame);
}

void InstanceHost::ClientClosed(ConnId conn) {
  if (core_) core_->OnClientClosed(conn);
}

}  // namespace msgbed
