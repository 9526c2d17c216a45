#include "gateway/gateway_service.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <vector>

#include "auth/credential.h"
#include "auth/phone.h"
#include "auth/placement.h"
#include "botapi/placement.h"
#include "core/client_reply.h"
#include "core/epoch.h"
#include "messages/placement.h"
#include "proto/botapi.pb.h"
#include "proto/media.pb.h"
#include "proto/messages.pb.h"
#include "proto/sync.pb.h"

namespace msgbed {

GatewayService::GatewayService(Env* env, ClusterShape shape, GatewayLimits limits)
    : env_(env),
      clients_(env->Clients()),
      shape_(std::move(shape)),
      limits_(limits),
      epoch_(NextEpoch(*env, "gateway/epoch", "gateway.epoch_not_stored")),
      backpressure_(limits.shed_behind) {}

void GatewayService::Register(Handlers& handlers) {
  handlers.On(this, &GatewayService::OnPush);
  handlers.On(this, &GatewayService::OnCloseConnection);
  handlers.On(this, &GatewayService::OnCloseSession);
  handlers.On(this, &GatewayService::OnPresenceQuery);
  handlers.On(this, &GatewayService::OnBehind);
}

void GatewayService::OnBehind(const Incoming&, const sync::Behind& report) {
  backpressure_.Report(report.partition(), report.behind_us(), env_->Now());
}

uint32_t GatewayService::BusWait(const Session& s, const api::ClientFrame& frame) const {
  uint64_t peer = 0, channel = 0;
  if (frame.has_send_message()) {
    peer = frame.send_message().peer_user();
    channel = frame.send_message().channel_id();
  } else if (frame.has_forward_message()) {
    peer = frame.forward_message().peer_user();
    channel = frame.forward_message().channel_id();
  } else {
    return 0;  // only new messages are shed: reading and catching up go on
  }
  const Micros now = env_->Now();
  if (channel != 0) return backpressure_.WaitForAny(now);
  const uint32_t own = backpressure_.WaitFor(shape_.PartitionOf(s.user), now);
  return std::max(own, peer != 0 ? backpressure_.WaitFor(shape_.PartitionOf(peer), now) : 0);
}

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
  clients_->SendToClient(conn, std::move(frame));
  env_->Stats().Add("gateway.rejected");
}

void GatewayService::Close(ConnId conn, Session& s, api::ErrorCode code, const std::string& why) {
  if (s.closing) return;
  s.closing = true;
  clients_->SendToClient(conn, ErrorFrame(code, why + "; closing the connection"));
  clients_->CloseClient(conn, why);
}

void GatewayService::OnClientOpened(ConnId conn, std::string_view source) {
  Session& s = sessions_[conn];
  s.last_active = env_->Now();
  s.budget.Fill(limits_.request_burst, s.last_active);
  auto [from, first] = sources_.try_emplace(std::string(source));
  s.source = &*from;
  if (first) from->second.budget.Fill(limits_.source_request_burst, s.last_active);
  ++from->second.connections;
  env_->Stats().Set("gateway.connections", static_cast<int64_t>(sessions_.size()));
  if (sessions_.size() > limits_.max_connections) {
    env_->Stats().Add("gateway.refused_over_cap");
    return Close(conn, s, api::UNAVAILABLE, "connection limit reached");
  }
  if (from->second.connections > limits_.max_connections_per_source) {
    env_->Stats().Add("gateway.refused_per_source");
    return Close(conn, s, api::UNAVAILABLE, "too many connections from this address");
  }
  StartSignInTimer(conn, s);
  if (!sweeping_ && limits_.idle_timeout > 0) {
    sweeping_ = true;
    env_->StartTimer(limits_.idle_timeout / 4, [this] { SweepIdle(); });
  }
}

bool GatewayService::TakeToken(Session& s, uint32_t* wait_s) {
  const Micros now = env_->Now();
  if (!s.budget.Take(limits_.request_rate, limits_.request_burst, now, wait_s)) return false;
  TokenBucket& shared = s.source->second.budget;
  if (shared.Take(limits_.source_request_rate, limits_.source_request_burst, now, wait_s)) return true;
  env_->Stats().Add("gateway.rate_limited_per_source");
  return false;
}

void GatewayService::StartSignInTimer(ConnId conn, Session& s) {
  if (s.sign_in_timer != 0) env_->CancelTimer(s.sign_in_timer);
  s.sign_in_timer = env_->StartTimer(limits_.sign_in_timeout, [this, conn] {
    auto it = sessions_.find(conn);
    if (it == sessions_.end()) return;
    it->second.sign_in_timer = 0;
    // A sign-in under way is not silence: request_timeout bounds it.
    if (it->second.resuming) return StartSignInTimer(conn, it->second);
    env_->Stats().Add("gateway.sign_in_timeouts");
    Close(conn, it->second, api::AUTH_KEY_UNREGISTERED, "not signed in and silent for the sign-in timeout");
  });
}

void GatewayService::SweepIdle() {
  const Micros now = env_->Now();
  std::vector<ConnId> idle;
  for (const auto& [conn, s] : sessions_) {
    if (s.user != 0 && now - s.last_active >= limits_.idle_timeout) idle.push_back(conn);
  }
  std::sort(idle.begin(), idle.end());  // closed in an order that does not depend on hashing
  for (ConnId conn : idle) {
    env_->Stats().Add("gateway.idle_timeouts");
    Close(conn, sessions_.find(conn)->second, api::TIMEOUT, "idle for longer than the idle timeout");
  }
  env_->StartTimer(limits_.idle_timeout / 4, [this] { SweepIdle(); });
}

void GatewayService::OnClientFrame(ConnId conn, const api::ClientFrame& frame) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return env_->Stats().Add("gateway.frames_for_unknown_connections");
  Session& s = it->second;
  if (s.closing) return;
  s.last_active = env_->Now();
  // A connection signing in may take its time (a person types the code),
  // but not stay silent.
  if (s.user == 0 && !s.resuming) StartSignInTimer(conn, s);
  switch (frame.body_case()) {
    case api::ClientFrame::BODY_NOT_SET: return Close(conn, s, api::BAD_REQUEST, "frame has no body");
    case api::ClientFrame::kPing: {
      api::ServerFrame pong;
      pong.set_request_id(frame.request_id());
      pong.mutable_pong()->set_ping_id(frame.ping().ping_id());
      return clients_->SendToClient(conn, std::move(pong));
    }
    default: break;
  }
  if (s.user == 0 || s.resuming) return SignInTraffic(conn, s, frame);
  SignedInTraffic(conn, s, frame);
}

namespace {

// The auth request for a SignIn or SignUp frame, phone as the client gave it.
std::shared_ptr<auth::SignIn> SignInOf(const api::ClientFrame& frame) {
  auto req = NewBody<auth::SignIn>();
  if (frame.has_sign_in()) {
    const api::SignIn& in = frame.sign_in();
    req->set_phone(in.phone());
    req->set_phone_code_hash(in.phone_code_hash());
    req->set_code(in.code());
    *req->mutable_client() = in.client();
  } else {
    const api::SignUp& in = frame.sign_up();
    req->set_phone(in.phone());
    req->set_phone_code_hash(in.phone_code_hash());
    req->set_code(in.code());
    *req->mutable_client() = in.client();
    req->set_sign_up(true);
    req->set_first_name(in.first_name());
    req->set_last_name(in.last_name());
  }
  return req;
}

}  // namespace

void GatewayService::SignInTraffic(ConnId conn, Session& s, const api::ClientFrame& frame) {
  const uint64_t id = frame.request_id();
  if (s.resuming) return Reject(conn, id, api::ALREADY_SIGNED_IN, "a sign-in is in progress on this connection");
  const std::string& source = s.source->first;
  switch (frame.body_case()) {
    case api::ClientFrame::kSendCode: {
      const std::string phone = NormalizePhone(frame.send_code().phone());
      if (phone.empty())
        return Reject(conn, id, api::PHONE_NUMBER_INVALID, "not a phone number in international format");
      auto req = NewBody<auth::SendCode>();
      req->set_phone(phone);
      req->set_source(source);
      return Forward(conn, s, id, AuthOfPhone(shape_, phone), std::move(req));
    }
    case api::ClientFrame::kSignIn:
    case api::ClientFrame::kSignUp: {
      auto req = SignInOf(frame);
      const std::string phone = NormalizePhone(req->phone());
      if (phone.empty())
        return Reject(conn, id, api::PHONE_NUMBER_INVALID, "not a phone number in international format");
      req->set_phone(phone);
      req->set_source(source);
      return Forward(conn, s, id, AuthOfPhone(shape_, phone), std::move(req), Step::kSignIn);
    }
    case api::ClientFrame::kCheckPassword:
    case api::ClientFrame::kRequestPasswordRecovery:
    case api::ClientFrame::kRecoverPassword: return PasswordStepTraffic(conn, s, frame);
    case api::ClientFrame::kResumeSession: {
      const auto credential = Credential::Decode(frame.resume_session().credential());
      if (!credential) return Reject(conn, id, api::AUTH_KEY_UNREGISTERED, "not a credential");
      auto req = NewBody<auth::Resume>();
      req->set_credential(frame.resume_session().credential());
      req->set_source(source);
      s.resuming = true;
      return Forward(conn, s, id, AuthOfUser(shape_, credential->user), std::move(req), Step::kResume);
    }
    default: return Reject(conn, id, api::AUTH_KEY_UNREGISTERED, "sign in first");
  }
}

// The password step of a sign-in (after PasswordNeeded): each request goes
// to the user's auth instance with the step's ticket.
void GatewayService::PasswordStepTraffic(ConnId conn, Session& s, const api::ClientFrame& frame) {
  const uint64_t id = frame.request_id();
  if (s.ticket.empty()) return Reject(conn, id, api::PASSWORD_HASH_INVALID, "no password check is pending; sign in");
  auto with_ticket = [&s](auto req) {
    req->set_user(s.ticket_user);
    req->set_ticket(s.ticket);
    return req;
  };
  const Address owner = AuthOfUser(shape_, s.ticket_user);
  if (frame.has_request_password_recovery()) {
    return Forward(conn, s, id, owner, with_ticket(NewBody<auth::RequestRecovery>()));
  }
  if (frame.has_recover_password()) {
    auto req = with_ticket(NewBody<auth::RecoverPassword>());
    req->set_code(frame.recover_password().code());
    req->set_source(s.source->first);
    return Forward(conn, s, id, owner, std::move(req), Step::kSignIn);
  }
  auto req = with_ticket(NewBody<auth::CheckPassword>());
  req->set_password(frame.check_password().password());
  req->set_source(s.source->first);
  Forward(conn, s, id, owner, std::move(req), Step::kSignIn);
}

void GatewayService::SignedInTraffic(ConnId conn, Session& s, const api::ClientFrame& frame) {
  const uint64_t id = frame.request_id();
  const Address box = BoxOwner(shape_, s.user), account = AuthOfUser(shape_, s.user);
  // What names a channel goes to the channel's owner (a forward: its
  // destination's, which fetches the source), everything else to the sender's box.
  auto box_or = [&](uint64_t channel) { return channel ? ChannelOwner(shape_, channel) : box; };
  if (const uint32_t wait = BusWait(s, frame); wait > 0) {
    env_->Stats().Add("gateway.shed");
    return Reject(conn, id, api::FLOOD_WAIT, "the server is behind; retry later", wait);
  }
  if (MediaTraffic(conn, s, frame)) return;
  // Keyboards are the Bot API's: only bots attach them (through botapi).
  if (!frame.send_message().reply_markup().empty() || !frame.edit_message().reply_markup().empty()) {
    return Reject(conn, id, api::USER_BOT_REQUIRED, "only bots send keyboards");
  }
  switch (frame.body_case()) {
    case api::ClientFrame::kGetBotCallbackAnswer: {
      const api::GetBotCallbackAnswer& press = frame.get_bot_callback_answer();
      if (press.bot() == 0 || press.data().empty() || press.data().size() > 64 || shape_.Count(role::kBotApi) == 0) {
        return Reject(conn, id, api::BOT_INVALID, "not a bot's button");
      }
      return ForwardAs(conn, s, id, BotApiOf(shape_, press.bot()), press, &botapi::CallbackQuery::mutable_request);
    }
    case api::ClientFrame::kSendMessage:
      return ForwardAs(conn, s, id, box_or(frame.send_message().channel_id()), frame.send_message(),
                       &messages::SendMessage::mutable_send);
    case api::ClientFrame::kGetDifference:
      return ForwardAs(conn, s, id, box, frame.get_difference(), &messages::GetDifference::mutable_request);
    case api::ClientFrame::kForwardMessage:
      return ForwardAs(conn, s, id, box_or(frame.forward_message().channel_id()), frame.forward_message(),
                       &messages::ForwardMessage::mutable_request);
    case api::ClientFrame::kEditMessage:
      return ForwardAs(conn, s, id, box_or(frame.edit_message().channel_id()), frame.edit_message(),
                       &messages::EditMessage::mutable_request);
    case api::ClientFrame::kDeleteMessages:
      return ForwardAs(conn, s, id, box_or(frame.delete_messages().channel_id()), frame.delete_messages(),
                       &messages::DeleteMessages::mutable_request);
    case api::ClientFrame::kCreateChannel:
      return ForwardAs(conn, s, id, box, frame.create_channel(), &messages::CreateChannel::mutable_request);
    case api::ClientFrame::kJoinChannel:
      return ForwardAs(conn, s, id, box, frame.join_channel(), &messages::JoinChannel::mutable_request);
    case api::ClientFrame::kLeaveChannel:
      return ForwardAs(conn, s, id, box, frame.leave_channel(), &messages::LeaveChannel::mutable_request);
    case api::ClientFrame::kEditChannelAdmin:
      return ForwardAs(conn, s, id, ChannelOwner(shape_, frame.edit_channel_admin().channel_id()),
                       frame.edit_channel_admin(), &messages::EditChannelAdmin::mutable_request);
    case api::ClientFrame::kGetChannel:
      return ForwardAs(conn, s, id, ChannelOwner(shape_, frame.get_channel().channel_id()), frame.get_channel(),
                       &messages::GetChannel::mutable_request);
    case api::ClientFrame::kGetHistory:
      return ForwardAs(conn, s, id, box_or(frame.get_history().channel_id()), frame.get_history(),
                       &messages::GetHistory::mutable_request);
    case api::ClientFrame::kGetChannelDifference:
      return ForwardAs(conn, s, id, ChannelOwner(shape_, frame.get_channel_difference().channel_id()),
                       frame.get_channel_difference(), &messages::GetChannelDifference::mutable_request);
    case api::ClientFrame::kReadHistory:
      return ForwardAs(conn, s, id, box, frame.read_history(), &messages::ReadHistory::mutable_request);
    case api::ClientFrame::kSetTyping:
      return ForwardAs(conn, s, id, box, frame.set_typing(), &messages::SetTyping::mutable_request);
    case api::ClientFrame::kCreateChat:
      return ForwardAs(conn, s, id, box, frame.create_chat(), &messages::CreateChat::mutable_request);
    case api::ClientFrame::kAddChatUser:
      return ForwardAs(conn, s, id, box, frame.add_chat_user(), &messages::AddChatUser::mutable_request);
    case api::ClientFrame::kDeleteChatUser:
      return ForwardAs(conn, s, id, box, frame.delete_chat_user(), &messages::DeleteChatUser::mutable_request);
    case api::ClientFrame::kGetChat:
      return ForwardAs(conn, s, id, box, frame.get_chat(), &messages::GetChat::mutable_request);
    case api::ClientFrame::kRequestEncryption:
      return ForwardAs(conn, s, id, box, frame.request_encryption(), &messages::RequestEncryption::mutable_request);
    case api::ClientFrame::kAcceptEncryption:
      return ForwardAs(conn, s, id, box, frame.accept_encryption(), &messages::AcceptEncryption::mutable_request);
    case api::ClientFrame::kDiscardEncryption:
      return ForwardAs(conn, s, id, box, frame.discard_encryption(), &messages::DiscardEncryption::mutable_request);
    case api::ClientFrame::kSendEncrypted:
      return ForwardAs(conn, s, id, box, frame.send_encrypted(), &messages::SendEncrypted::mutable_request);
    case api::ClientFrame::kGetSecretDifference:
      return ForwardAs(conn, s, id, box, frame.get_secret_difference(),
                       &messages::GetSecretDifference::mutable_request);
    case api::ClientFrame::kReceivedQueue:
      return ForwardAs(conn, s, id, box, frame.received_queue(), &messages::ReceivedQueue::mutable_request);
    case api::ClientFrame::kUpdatesAck:
      // Only counted: a device that misses updates finds the gap itself
      // (pts) and asks for the difference; nothing is re-sent on a missing
      // ack. Acks take tokens too: a flood of them is a flood of frames.
      if (uint32_t wait_s = 0; !TakeToken(s, &wait_s)) return env_->Stats().Add("gateway.acks_dropped");
      return env_->Stats().Add("gateway.acks");
    case api::ClientFrame::kGetAuthorizations: {
      return ForwardAs<auth::GetAuthorizations, api::GetAuthorizations>(conn, s, id, account, {}, nullptr);
    }
    case api::ClientFrame::kResetAuthorization: {
      auto req = NewBody<auth::ResetAuthorization>();
      *req->mutable_client() = RefOf(conn, s);
      req->set_device(frame.reset_authorization().device_id());
      return Forward(conn, s, id, account, std::move(req));
    }
    case api::ClientFrame::kGetPassword:
      return ForwardAs<auth::GetPassword, api::GetPassword>(conn, s, id, account, {}, nullptr);
    case api::ClientFrame::kUpdatePassword:
      return ForwardAs(conn, s, id, account, frame.update_password(), &auth::UpdatePassword::mutable_request);
    case api::ClientFrame::kRegisterDevice: {
      auto req = NewBody<auth::RegisterDevice>();
      *req->mutable_client() = RefOf(conn, s);
      req->set_token(frame.register_device().token());
      return Forward(conn, s, id, account, std::move(req));
    }
    case api::ClientFrame::kResumeSession:
    case api::ClientFrame::kSendCode:
    case api::ClientFrame::kSignIn:
    case api::ClientFrame::kSignUp:
    case api::ClientFrame::kCheckPassword:
    case api::ClientFrame::kRequestPasswordRecovery:
    case api::ClientFrame::kRecoverPassword: return Reject(conn, id, api::ALREADY_SIGNED_IN, "already signed in");
    default: return Reject(conn, id, api::BAD_REQUEST, "unknown request");
  }
}

void GatewayService::Forward(ConnId conn, Session& s, uint64_t client_request_id, const Address& to, Body body,
                             Step step) {
  if (s.in_flight >= limits_.max_in_flight) {
    env_->Stats().Add("gateway.flood_wait");
    s.resuming = false;
    return Reject(conn, client_request_id, api::FLOOD_WAIT, "too many requests in flight", 1);
  }
  if (uint32_t wait_s = 0; !TakeToken(s, &wait_s)) {
    env_->Stats().Add("gateway.rate_limited");
    s.resuming = false;
    return Reject(conn, client_request_id, api::FLOOD_WAIT, "too many requests per second", wait_s);
  }
  Call(conn, s, client_request_id, to, std::move(body), step);
}

void GatewayService::Call(ConnId conn, Session& s, uint64_t client_request_id, const Address& to, Body body,
                          Step step) {
  ++s.in_flight;
  if (step == Step::kFileRange) ++s.file_ranges;
  auto done = [this, conn, client_request_id, step](const CallResult& r) { Answer(conn, client_request_id, step, r); };
  // A file's bytes (a part up, a range down) take the bulk lane.
  const auto* type = body->GetDescriptor();
  if (type == media::UploadPart::descriptor() || type == media::GetFile::descriptor()) {
    return env_->Transfer(to, std::move(body), limits_.request_timeout, std::move(done));
  }
  env_->Call(to, std::move(body), limits_.request_timeout, std::move(done));
}

// A resumed session's device registers with sync, through the bus (keyed
// by the user, so whichever sync instance consumes the user's partition
// answers); SignedIn is its answer.
void GatewayService::GoOnline(ConnId conn, Session& s, uint64_t client_request_id, const auth::Resumed& resumed) {
  s.user = resumed.user();
  s.device = resumed.device();
  s.ticket.clear();
  auto online = NewBody<sync::DeviceOnline>();
  *online->mutable_client() = RefOf(conn, s);
  online->set_published_us(env_->Date());
  ++s.in_flight;
  env_->CallOnBus(
      kUpdatesTopic, ClusterShape::UserKey(s.user), std::move(online), limits_.request_timeout,
      [this, conn, client_request_id](const CallResult& r) { Answer(conn, client_request_id, Step::kOnline, r); });
}

// A forwarded request ended. Connection ids are never reused within one
// run of the gateway, so the session found is the one that asked.
void GatewayService::Answer(ConnId conn, uint64_t client_request_id, Step step, const CallResult& result) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end() || it->second.closing) return;
  Session& s = it->second;
  --s.in_flight;
  if (step == Step::kFileRange) --s.file_ranges;
  const rpc::ClientAnswer* answer = result.As<rpc::ClientAnswer>();
  switch (step) {
    case Step::kResume:
      if (const auto* resumed = result.As<auth::Resumed>()) return GoOnline(conn, s, client_request_id, *resumed);
      s.resuming = false;
      break;
    case Step::kSignIn:
      if (const auto* needed = result.As<auth::PasswordNeeded>()) {
        s.ticket_user = needed->user();
        s.ticket = needed->ticket();
        return Reject(conn, client_request_id, api::SESSION_PASSWORD_NEEDED,
                      "the account has a cloud password: send CheckPassword");
      }
      break;
    case Step::kOnline:
      s.resuming = false;
      if (answer && answer->frame().has_signed_in()) {
        if (s.sign_in_timer != 0) env_->CancelTimer(s.sign_in_timer);
        s.sign_in_timer = 0;
      } else {
        ResetSignIn(conn, s);
      }
      break;
    case Step::kRequest:
    case Step::kFileRange: break;
  }
  if (!answer) {
    env_->Stats().Add("gateway.request_failures");
    switch (result.error) {
      case rpc::UNAVAILABLE:
        return Reject(conn, client_request_id, api::UNAVAILABLE, "the service is unreachable; retry");
      case rpc::OVERLOADED:
        return Reject(conn, client_request_id, api::UNAVAILABLE, "the service is overloaded; retry later");
      case rpc::DEADLINE_EXCEEDED:
        return Reject(conn, client_request_id, api::TIMEOUT, "the service did not answer in time; retry");
      case rpc::TOO_LARGE: return Reject(conn, client_request_id, api::INTERNAL, "the answer was too large");
      default: return Reject(conn, client_request_id, api::INTERNAL, "the service cannot handle this request");
    }
  }
  api::ServerFrame frame = answer->frame();
  frame.set_request_id(client_request_id);
  // Why a service failed inside (a store's error names its server) is
  // not for the client: it learns only that it may retry (found by a
  // hostile tester: PostgreSQL's host and port reached clients).
  if (frame.has_error() && frame.error().code() == api::INTERNAL) {
    env_->Stats().Add("gateway.internal_errors");
    frame.mutable_error()->set_message("the service failed; retry");
  }
  clients_->SendToClient(conn, std::move(frame));
}

void GatewayService::ResetSignIn(ConnId conn, Session& s) {
  if (s.user != 0) {
    // Registered with sync or not, the device is not online here any more.
    GoOffline(conn, s);
  }
  s.user = 0;
  s.device = 0;
  StartSignInTimer(conn, s);
}

void GatewayService::GoOffline(ConnId conn, const Session& s) {
  auto offline = NewBody<sync::DeviceOffline>();
  *offline->mutable_client() = RefOf(conn, s);
  env_->Publish(kUpdatesTopic, ClusterShape::UserKey(s.user), std::move(offline));
}

void GatewayService::OnClientClosed(ConnId conn) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  if (s.sign_in_timer != 0) env_->CancelTimer(s.sign_in_timer);
  if (s.user != 0) {
    GoOffline(conn, s);
  }
  if (--s.source->second.connections == 0) sources_.erase(s.source->first);
  sessions_.erase(it);
  env_->Stats().Set("gateway.connections", static_cast<int64_t>(sessions_.size()));
}

void GatewayService::OnCloseConnection(const Incoming&, const gateway::CloseConnection& req) {
  if (Session* s = Match(req.client())) Close(req.client().conn(), *s, req.code(), req.reason());
}

void GatewayService::OnCloseSession(const Incoming&, const gateway::CloseSession& req) {
  std::vector<ConnId> matching;
  for (const auto& [conn, s] : sessions_) {
    if (s.user == req.user() && s.device == req.device() && !s.closing) matching.push_back(conn);
  }
  for (ConnId conn : matching) Close(conn, sessions_.at(conn), api::SESSION_REVOKED, "the session was terminated");
}

void GatewayService::OnPresenceQuery(const Incoming& in, const sync::PresenceQuery& req) {
  const std::unordered_set<uint32_t> asked(req.partitions().begin(), req.partitions().end());
  auto snapshot = NewBody<sync::PresenceSnapshot>();
  for (const auto& [conn, s] : sessions_) {
    if (s.user != 0 && !s.closing && asked.contains(shape_.PartitionOf(s.user))) {
      *snapshot->add_clients() = RefOf(conn, s);
    }
  }
  env_->Reply(in.reply_to, std::move(snapshot));
}

void GatewayService::OnPush(const Incoming& in, const gateway::Push& push) {
  if (!Match(push.client())) {
    env_->Stats().Add("gateway.push_to_unknown_client");
    auto gone = NewBody<sync::ConnectionGone>();
    *gone->mutable_client() = push.client();
    return env_->Send(in.from, std::move(gone));
  }
  clients_->SendToClient(push.client().conn(), push.frame());
}

}  // namespace msgbed
