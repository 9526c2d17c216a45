#include "gateway/gateway_service.h"

#include "core/client_reply.h"

namespace msgbed {

namespace {

constexpr char kEpochKey[] = "gateway/epoch";

// The epoch after the last one this gateway's store remembers. Without a
// store, a random one: a collision with an earlier epoch is then as
// unlikely as guessing 64 random bits.
uint64_t NextEpoch(Env& env) {
  Status s;
  const auto stored = env.Kv().Get(kEpochKey, &s);
  uint64_t epoch = 0;
  if (s.ok() && stored && stored->size() == sizeof epoch) {
    for (unsigned char c : *stored) epoch = epoch << 8 | c;
  }
  ++epoch;
  std::string bytes;
  for (int i = 7; i >= 0; --i) bytes.push_back(static_cast<char>(epoch >> (8 * i)));
  WriteBatch batch;
  batch.Put(kEpochKey, bytes);
  if (!s.ok() || !env.Kv().Write(batch).ok()) {
    env.Stats().Add("gateway.epoch_not_stored");
    return env.Random().Next() | 1ull << 63;
  }
  return epoch;
}

}  // namespace

GatewayService::GatewayService(Env* env, ClusterShape shape, GatewayLimits limits)
    : env_(env), shape_(shape), limits_(limits), epoch_(NextEpoch(*env)) {}

rpc::ClientRef GatewayService::RefOf(ConnId conn, const Session& s) const {
  rpc::ClientRef ref;
  *ref.mutable_gateway() = env_->Self();
  ref.set_epoch(epoch_);
  ref.set_conn(conn);
  ref.set_user(s.user);
  ref.set_device(s.device);
  return ref;
}

GatewayService::Session* GatewayService::Match(const rpc::ClientRef& ref) {
  if (ref.epoch() != epoch_) return nullptr;
  auto it = sessions_.find(ref.conn());
  if (it == sessions_.end()) return nullptr;
  Session& s = it->second;
  if (s.closing || s.user == 0 || s.user != ref.user() || s.device != ref.device()) return nullptr;
  return &s;
}

void GatewayService::Reject(ConnId conn, uint64_t request_id, api::ErrorCode code, const char* why,
                            uint32_t retry_after_s) {
  api::ServerFrame frame = ErrorFrame(code, why);
  frame.set_request_id(request_id);
  frame.mutable_error()->set_retry_after_s(retry_after_s);
  env_->SendToClient(conn, frame);
  env_->Stats().Add("gateway.rejected");
}

void GatewayService::Close(ConnId conn, Session& s, api::ErrorCode code, const std::string& why) {
  if (s.closing) return;
  s.closing = true;
  env_->SendToClient(conn, ErrorFrame(code, why + "; closing the connection"));
  env_->CloseClient(conn, why);
}

void GatewayService::OnClientOpened(ConnId conn) {
  Session& s = sessions_[conn];
  s.last_active = env_->Now();
  if (sessions_.size() > limits_.max_connections) {
    env_->Stats().Add("gateway.refused_over_cap");
    return Close(conn, s, api::UNAVAILABLE, "connection limit reached");
  }
  StartSignInTimer(conn, s);
  if (!sweeping_ && limits_.idle_timeout > 0) {
    sweeping_ = true;
    env_->StartTimer(limits_.idle_timeout / 4, [this] { SweepIdle(); });
  }
}

void GatewayService::StartSignInTimer(ConnId conn, Session& s) {
  s.sign_in_timer = env_->StartTimer(limits_.sign_in_timeout, [this, conn] {
    auto it = sessions_.find(conn);
    if (it == sessions_.end()) return;
    it->second.sign_in_timer = 0;
    env_->Stats().Add("gateway.sign_in_timeouts");
    Close(conn, it->second, api::AUTH_KEY_UNREGISTERED, "no sign-in within the sign-in timeout");
  });
}

void GatewayService::SweepIdle() {
  const Micros now = env_->Now();
  for (auto& [conn, s] : sessions_) {
    if (s.user != 0 && now - s.last_active >= limits_.idle_timeout) {
      env_->Stats().Add("gateway.idle_timeouts");
      Close(conn, s, api::TIMEOUT, "idle for longer than the idle timeout");
    }
  }
  env_->StartTimer(limits_.idle_timeout / 4, [this] { SweepIdle(); });
}

void GatewayService::OnClientFrame(ConnId conn, const api::ClientFrame& frame) {
  if (!sessions_.contains(conn)) OnClientOpened(conn);
  Session& s = sessions_.at(conn);
  if (s.closing) return;
  s.last_active = env_->Now();
  const uint64_t id = frame.request_id();
  rpc::Envelope out;
  switch (frame.body_case()) {
    case api::ClientFrame::BODY_NOT_SET: return Close(conn, s, api::BAD_REQUEST, "frame has no body");
    case api::ClientFrame::kPing: {
      api::ServerFrame pong;
      pong.set_request_id(id);
      pong.mutable_pong()->set_ping_id(frame.ping().ping_id());
      return env_->SendToClient(conn, pong);
    }
    case api::ClientFrame::kDevSignIn: return SignIn(conn, s, frame);
    default: break;
  }
  if (s.user == 0) return Reject(conn, id, api::AUTH_KEY_UNREGISTERED, "sign in first");
  switch (frame.body_case()) {
    case api::ClientFrame::kSendMessage:
      *out.mutable_to() = shape_.BoxOwner(s.user);
      *out.mutable_send_message()->mutable_send() = frame.send_message();
      return Forward(conn, s, id, std::move(out));
    case api::ClientFrame::kGetDifference:
      *out.mutable_to() = shape_.BoxOwner(s.user);
      *out.mutable_get_difference()->mutable_request() = frame.get_difference();
      return Forward(conn, s, id, std::move(out));
    case api::ClientFrame::kUpdatesAck: {
      *out.mutable_to() = shape_.SyncOf(s.user);
      rpc::DeviceAcked* ack = out.mutable_device_acked();
      ack->set_user(s.user);
      ack->set_device(s.device);
      ack->set_pts(frame.updates_ack().pts());
      return env_->Send(std::move(out));
    }
    default: return Reject(conn, id, api::BAD_REQUEST, "unknown request");
  }
}

void GatewayService::SignIn(ConnId conn, Session& s, const api::ClientFrame& frame) {
  const api::DevSignIn& in = frame.dev_sign_in();
  if (s.user != 0) return Reject(conn, frame.request_id(), api::ALREADY_SIGNED_IN, "already signed in");
  if (in.user_id() == 0) return Reject(conn, frame.request_id(), api::BAD_REQUEST, "user_id is 0");
  if (in.device_id() == 0) return Reject(conn, frame.request_id(), api::BAD_REQUEST, "device_id is 0");
  if (s.sign_in_timer != 0) env_->CancelTimer(s.sign_in_timer);
  s.sign_in_timer = 0;
  s.user = in.user_id();
  s.device = in.device_id();
  rpc::Envelope out;
  *out.mutable_to() = shape_.SyncOf(s.user);
  out.mutable_device_online();
  Forward(conn, s, frame.request_id(), std::move(out), /*sign_in=*/true);
}

// Sends out, a request whose body has an `origin`, and remembers it until
// it is answered or times out.
void GatewayService::Forward(ConnId conn, Session& s, uint64_t client_request_id, rpc::Envelope out, bool sign_in) {
  if (s.in_flight >= limits_.max_in_flight) {
    env_->Stats().Add("gateway.flood_wait");
    if (sign_in) ResetSignIn(conn, s);
    return Reject(conn, client_request_id, api::FLOOD_WAIT, "too many requests in flight", 1);
  }
  const uint64_t id = next_request_id_++;
  rpc::Origin origin;
  *origin.mutable_client() = RefOf(conn, s);
  origin.set_request_id(id);
  switch (out.body_case()) {
    case rpc::Envelope::kSendMessage: *out.mutable_send_message()->mutable_origin() = origin; break;
    case rpc::Envelope::kGetDifference: *out.mutable_get_difference()->mutable_origin() = origin; break;
    case rpc::Envelope::kDeviceOnline: *out.mutable_device_online()->mutable_origin() = origin; break;
    default: break;
  }
  ++s.in_flight;
  const TimerId timer = env_->StartTimer(limits_.request_timeout, [this, id] { OnRequestTimeout(id); });
  pending_.emplace(id, Pending{conn, client_request_id, sign_in, timer});
  env_->Send(std::move(out));
}

void GatewayService::OnRequestTimeout(uint64_t request_id) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  env_->Stats().Add("gateway.request_timeouts");
  auto s = sessions_.find(p.conn);
  if (s == sessions_.end() || s->second.closing) return;
  Settle(p, &s->second, false);
  Reject(p.conn, p.client_request_id, api::TIMEOUT, "the service did not answer in time; retry");
}

void GatewayService::Settle(const Pending& p, Session* s, bool signed_in) {
  --s->in_flight;
  if (p.sign_in && !signed_in) ResetSignIn(p.conn, *s);
}

void GatewayService::ResetSignIn(ConnId conn, Session& s) {
  s.user = 0;
  s.device = 0;
  StartSignInTimer(conn, s);
}

void GatewayService::OnClientClosed(ConnId conn) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  if (s.sign_in_timer != 0) env_->CancelTimer(s.sign_in_timer);
  if (s.user != 0) {
    rpc::Envelope out;
    *out.mutable_to() = shape_.SyncOf(s.user);
    *out.mutable_device_offline()->mutable_client() = RefOf(conn, s);
    env_->Send(std::move(out));
  }
  sessions_.erase(it);
}

void GatewayService::OnMessage(const rpc::Envelope& msg) {
  switch (msg.body_case()) {
    case rpc::Envelope::kClientReply: return Deliver(msg.from(), msg.client_reply());
    case rpc::Envelope::kCloseConnection: {
      const rpc::CloseConnection& req = msg.close_connection();
      if (Session* s = Match(req.client())) Close(req.client().conn(), *s, req.code(), req.reason());
      return;
    }
    default: env_->Stats().Add("gateway.unexpected_rpc");
  }
}

void GatewayService::Deliver(const rpc::Address& from, const rpc::ClientReply& reply) {
  const rpc::ClientRef& ref = reply.client();
  Session* s = Match(ref);
  if (s == nullptr) {
    env_->Stats().Add("gateway.reply_to_unknown_client");
    if (reply.request_id() == 0) {
      rpc::Envelope gone;
      *gone.mutable_to() = from;
      *gone.mutable_connection_gone()->mutable_client() = ref;
      env_->Send(std::move(gone));
    }
    return;
  }
  api::ServerFrame frame = reply.frame();
  if (reply.request_id() != 0) {
    auto it = pending_.find(reply.request_id());
    if (it == pending_.end() || it->second.conn != ref.conn()) {
      env_->Stats().Add("gateway.late_replies");
      return;
    }
    const Pending p = it->second;
    pending_.erase(it);
    env_->CancelTimer(p.timer);
    Settle(p, s, frame.has_signed_in());
    frame.set_request_id(p.client_request_id);
  }
  env_->SendToClient(ref.conn(), frame);
}

}  // namespace msgbed
