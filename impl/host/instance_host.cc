#include "host/instance_host.h"

#include "core/address.h"

namespace msgbed {

InstanceHost::InstanceHost(rpc::Address self, Factory make, Substrate* substrate, uint64_t seed)
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
  const auto subs = core_->Subscriptions();
  if (!subs.empty()) {
    substrate_->Subscribe(subs);
    core_->OnPartitionsAssigned(subs);
  }
  metrics_.Add("host.starts");
}

void InstanceHost::Halt(const char* counter, bool orderly) {
  if (!core_) return;
  const auto subs = core_->Subscriptions();
  if (!subs.empty()) {
    if (orderly) core_->OnPartitionsRevoked(subs);
    substrate_->Unsubscribe();
  }
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

void InstanceHost::Send(const rpc::Address& to, Body body) {
  Emit(Envelope{self_, to, Envelope::Kind::kOneWay, 0, rpc::CALL_OK, std::move(body)});
}

void InstanceHost::StartCall(const rpc::Address& to, Body body, Micros deadline, CallDone done, bool bulk) {
  const uint64_t id = next_call_++;
  const TimerId timer = StartTimer(deadline, [this, id, to] {
    Finish(id, to, CallResult{rpc::DEADLINE_EXCEEDED, nullptr});
  });
  calls_.emplace(id, PendingCall{to, std::move(done), timer});
  Emit(Envelope{self_, to, Envelope::Kind::kCall, id, rpc::CALL_OK, std::move(body), bulk});
}

void InstanceHost::Reply(const ReplyTo& to, Body body) {
  if (!to.expects_reply()) return;
  Emit(Envelope{self_, to.caller, Envelope::Kind::kReply, to.call_id, rpc::CALL_OK, std::move(body), to.bulk});
}

bool InstanceHost::Finish(uint64_t id, const rpc::Address& from, CallResult result) {
  auto it = calls_.find(id);
  if (it == calls_.end() || !SameAddress(it->second.to, from)) return false;
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  timers_.erase(call.deadline);
  if (result.error != rpc::CALL_OK) metrics_.Add(std::string("host.calls.") + rpc::CallError_Name(result.error));
  call.done(result);
  return true;
}

void InstanceHost::Publish(const std::string& topic, const std::string& key, std::string payload) {
  substrate_->Publish(topic, key, std::move(payload));
}

void InstanceHost::Deliver(const Envelope& e) {
  if (!core_) return metrics_.Add("host.dropped_while_down");
  if (e.kind == Envelope::Kind::kReply) {
    if (!Finish(e.call_id, e.from, CallResult{e.error, e.body})) metrics_.Add("host.late_replies");
    return;
  }
  const Incoming in{e.from, ReplyTo{e.from, e.kind == Envelope::Kind::kCall ? e.call_id : 0, e.bulk}};
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

void InstanceHost::DeliverRecord(const BusRecord& record) {
  if (core_) core_->OnBusRecord(record);
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
