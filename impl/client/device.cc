#include "client/device.h"

#include <algorithm>

namespace msgbed {

namespace {

bool Transient(api::ErrorCode code) {
  return code == api::TIMEOUT || code == api::UNAVAILABLE || code == api::INTERNAL || code == api::FLOOD_WAIT;
}

}  // namespace

Device::Device(api::Authorization session, Link* link, Observer* observer, RetryPolicy retry)
    : session_(std::move(session)), link_(link), observer_(observer), retry_(retry) {}

uint64_t Device::Send(api::ClientFrame frame) {
  const uint64_t id = next_request_id_++;
  frame.set_request_id(id);
  link_->SendFrame(frame);
  return id;
}

void Device::Later(Micros delay, std::function<void()> fn) {
  link_->After(delay, [this, connection = connection_, fn = std::move(fn)] {
    if (connection == connection_) fn();
  });
}

Micros Device::Backoff(uint32_t attempt, const api::Error& error) const {
  if (error.code() == api::FLOOD_WAIT && error.retry_after_s() > 0) return error.retry_after_s() * kSecond;
  return std::min(retry_.max_delay, retry_.first_delay << std::min(attempt, 20u));
}

void Device::Connected() {
  ++connection_;
  sign_in_failures_ = 0;
  difference_failures_ = 0;
  if (retry_.quiet_resync > 0) Later(retry_.quiet_resync, [this] { CheckQuiet(); });
  if (!session_.credential().empty()) return SignIn();
  state_ = State::kSignedOut;
  observer_->OnSignInNeeded(*this);
}

void Device::CheckQuiet() {
  if (updates_since_check_ == 0 && state_ == State::kReady) {
    ++quiet_resyncs_;
    channels_stale_ = true;
    RequestDifference();
  }
  updates_since_check_ = 0;
  Later(retry_.quiet_resync, [this] { CheckQuiet(); });
}

void Device::SignIn() {
  state_ = State::kSigningIn;
  api::ClientFrame frame;
  frame.mutable_resume_session()->set_credential(session_.credential());
  sign_in_request_id_ = Send(std::move(frame));
}

Device::PhoneSignIn& Device::Pending() {
  if (!pending_) pending_ = std::make_unique<PhoneSignIn>();
  return *pending_;
}

void Device::RequestCode(const std::string& phone) {
  PhoneSignIn& p = Pending();
  p.phone = phone;
  p.code_hash.clear();  // the next SentCode's
  p.code_waiting = false;
  api::ClientFrame frame;
  frame.mutable_send_code()->set_phone(phone);
  Send(std::move(frame));
}

void Device::SubmitCode(const std::string& code, const api::ClientInfo& client) {
  PhoneSignIn& p = Pending();
  p.code = code;
  p.client = client;
  // The SMS can come before the answer with its hash: the code waits for it.
  p.code_waiting = p.code_hash.empty();
  if (p.code_waiting) return;
  api::ClientFrame frame;
  api::SignIn* in = frame.mutable_sign_in();
  in->set_phone(p.phone);
  in->set_phone_code_hash(p.code_hash);
  in->set_code(code);
  *in->mutable_client() = client;
  Send(std::move(frame));
}

void Device::SignUp(const std::string& first_name, const std::string& last_name) {
  const PhoneSignIn& p = Pending();
  api::ClientFrame frame;
  api::SignUp* up = frame.mutable_sign_up();
  up->set_phone(p.phone);
  up->set_phone_code_hash(p.code_hash);
  up->set_code(p.code);
  up->set_first_name(first_name);
  up->set_last_name(last_name);
  *up->mutable_client() = p.client;
  Send(std::move(frame));
}

void Device::SubmitPassword(const std::string& password) {
  api::ClientFrame frame;
  frame.mutable_check_password()->set_password(password);
  Send(std::move(frame));
}

void Device::RequestPasswordRecovery() {
  api::ClientFrame frame;
  frame.mutable_request_password_recovery();
  Send(std::move(frame));
}

void Device::SubmitRecoveryCode(const std::string& code) {
  api::ClientFrame frame;
  frame.mutable_recover_password()->set_code(code);
  Send(std::move(frame));
}

void Device::OnAuthorization(const api::Authorization& session) {
  session_ = session;
  pending_.reset();
  observer_->OnAuthorized(*this, session_);
  if (state_ == State::kSignedOut) SignIn();
}

void Device::Ping() {
  api::ClientFrame frame;
  frame.mutable_ping()->set_ping_id(next_request_id_);
  Send(std::move(frame));
}

void Device::Disconnected() {
  ++connection_;
  state_ = State::kOffline;
  sends_.clear();  // no answer will come on the old connection
  for (auto& [random_id, send] : outbox_) {
    send.request_id = 0;
    send.backing_off = false;  // its timer belonged to the old connection: sent after the next sync
  }
  buffer_.clear();
  for (auto& [id, channel] : channels_)
    channel = ChannelState{
        .pts = channel.pts, .request_id = 0, .syncing = false, .failures = 0, .last_id = channel.last_id, .buffer = {}};
  acked_pts_ = 0;
  ack_due_ = false;  // its timer belonged to the old connection
}

void Device::SendText(uint64_t peer, const std::string& text, uint64_t random_id) { Queue(peer, 0, text, random_id); }

void Device::SendToChat(uint64_t chat_id, const std::string& text, uint64_t random_id) {
  Queue(0, chat_id, text, random_id);
}

void Device::SendToChannel(uint64_t channel_id, const std::string& text, uint64_t random_id) {
  Queue(0, 0, text, random_id, channel_id);
}

void Device::Queue(uint64_t peer, uint64_t chat_id, const std::string& text, uint64_t random_id, uint64_t channel_id) {
  own_in_flight_.insert(random_id);
  outbox_[random_id] = Outgoing{peer, chat_id, channel_id, text, next_send_seq_++};
  Transmit(random_id);
}

void Device::SendDocument(uint64_t peer, const api::Document& document, const std::string& caption,
                          uint64_t random_id) {
  own_in_flight_.insert(random_id);
  outbox_[random_id] = Outgoing{peer, 0, 0, caption, next_send_seq_++, std::make_shared<const api::Document>(document)};
  Transmit(random_id);
}

uint64_t Device::Request(api::ClientFrame frame) {
  // A forward is this device's own message: its copy is not OnDelivered.
  if (frame.has_forward_message()) {
    own_in_flight_.insert(frame.forward_message().random_id());
    forwards_.insert(frame.forward_message().random_id());
  }
  return Send(std::move(frame));
}

void Device::Transmit(uint64_t random_id) {
  Outgoing& send = outbox_.at(random_id);
  if (send.attempts++ > 0) ++retries_;
  api::ClientFrame frame;
  frame.mutable_send_message()->set_peer_user(send.peer);
  frame.mutable_send_message()->set_chat_id(send.chat_id);
  frame.mutable_send_message()->set_channel_id(send.channel_id);
  frame.mutable_send_message()->set_random_id(random_id);
  frame.mutable_send_message()->set_text(send.text);
  if (send.document) *frame.mutable_send_message()->mutable_document() = *send.document;
  send.request_id = next_request_id_;
  sends_[send.request_id] = random_id;
  Send(std::move(frame));
}

void Device::OnFrame(const api::ServerFrame& frame) {
  observer_->OnServerFrame(*this, frame);
  switch (frame.body_case()) {
    case api::ServerFrame::kSignedIn:
      sign_in_failures_ = 0;
      observer_->OnSignedIn(*this);
      channels_stale_ = true;
      RequestDifference();
      break;
    case api::ServerFrame::kUpdate:
      ++updates_since_check_;
      Process(frame.update());
      break;
    case api::ServerFrame::kDifference: OnDifference(frame.difference()); break;
    case api::ServerFrame::kSentCode:
      Pending().code_hash = frame.sent_code().phone_code_hash();
      if (pending_->code_waiting) {
        const std::string code = pending_->code;
        const api::ClientInfo client = pending_->client;
        SubmitCode(code, client);
      }
      observer_->OnCodeSent(*this, frame.sent_code());
      break;
    case api::ServerFrame::kAuthorization: OnAuthorization(frame.authorization()); break;
    case api::ServerFrame::kSentMessage: {
      sends_.erase(frame.request_id());
      const api::SentMessage& sent = frame.sent_message();
      // Not pending any more if the box already showed it (see Apply).
      if (outbox_.erase(sent.random_id()) > 0) observer_->OnSent(*this, sent);
      // The sender's own box advanced: treat the result as that update.
      api::Update own;
      own.mutable_message()->set_from_user(user());
      own.mutable_message()->set_random_id(sent.random_id());
      own.mutable_message()->set_id(sent.message_id());
      own.mutable_message()->set_channel_id(sent.channel_id());
      own.set_channel_box(sent.channel_id());
      own.set_pts(sent.pts());
      own.set_pts_count(sent.pts_count());
      Process(own);
      break;
    }
    case api::ServerFrame::kChannelDifference: OnChannelDifference(frame.channel_difference()); break;
    case api::ServerFrame::kError:
      OnRequestFailed(frame.request_id(), frame.error());
      observer_->OnError(*this, frame.error());
      break;
    default: break;
  }
  Ack();
}

void Device::OnRequestFailed(uint64_t request_id, const api::Error& error) {
  if (ChannelRequestFailed(request_id, error)) return;
  const bool resume = state_ == State::kSigningIn && request_id == sign_in_request_id_;
  if (error.code() == api::SESSION_REVOKED || (resume && error.code() == api::AUTH_KEY_UNREGISTERED)) {
    session_.Clear();  // gone for good: sign in again with a code
    if (state_ == State::kOffline) return;
    state_ = State::kSignedOut;
    return observer_->OnSignInNeeded(*this);
  }
  if (resume) {
    state_ = State::kSignInFailed;
    if (!Transient(error.code())) return;
    return Later(Backoff(sign_in_failures_++, error), [this] {
      if (state_ != State::kSignInFailed) return;
      ++retries_;
      SignIn();
    });
  }
  if (state_ == State::kSyncing && request_id == difference_request_id_) {
    difference_request_id_ = 0;  // still syncing: updates keep being buffered
    return Later(Backoff(difference_failures_++, error), [this] {
      if (state_ != State::kSyncing || difference_request_id_ != 0) return;
      ++retries_;
      RequestDifference();
    });
  }
  auto it = sends_.find(request_id);
  if (it == sends_.end()) return;
  const uint64_t random_id = it->second;
  sends_.erase(it);
  if (!outbox_.contains(random_id) && !own_in_flight_.contains(random_id)) return;  // the box showed it sent
  auto send = outbox_.find(random_id);  // absent if a caller reused the random_id for another send
  if (send != outbox_.end() && send->second.request_id == request_id && Transient(error.code()) &&
      send->second.attempts < retry_.max_send_attempts) {
    send->second.request_id = 0;
    send->second.backing_off = true;
    return Later(Backoff(send->second.attempts - 1, error), [this, random_id] {
      auto again = outbox_.find(random_id);
      if (again == outbox_.end() || !again->second.backing_off) return;
      again->second.backing_off = false;
      if (state_ == State::kReady) Transmit(random_id);  // else at the next sync
    });
  }
  own_in_flight_.erase(random_id);
  if (send != outbox_.end() && send->second.request_id == request_id) outbox_.erase(send);
  observer_->OnSendFailed(*this, random_id, error);
  // Given up after transient failures, the server may still have stored it:
  // learn the box's state (nothing else would tell this device).
  if (Transient(error.code()) && state_ == State::kReady) RequestDifference();
}

void Device::Process(const api::Update& update) {
  if (update.channel_box() != 0) return ProcessChannel(update);
  if (state_ != State::kReady) {
    buffer_.push_back(update);
    return;
  }
  if (Apply(update) == Applied::kGap) {
    buffer_.push_back(update);
    RequestDifference();
  }
}

Device::Applied Device::Apply(const api::Update& update) {
  if (pts_ + update.pts_count() > update.pts()) {
    ++duplicates_;
    return Applied::kDuplicate;
  }
  if (pts_ + update.pts_count() < update.pts()) return Applied::kGap;
  pts_ = update.pts();
  Deliver(update);
  return Applied::kApplied;
}

void Device::Deliver(const api::Update& update) {
  if (update.kind() == api::Update::CHANNEL) OnMembership(update);
  if (update.kind() != api::Update::NEW_MESSAGE) return observer_->OnBoxUpdate(*this, update);
  const api::Message& m = update.message();
  const bool own = m.from_user() == user() && own_in_flight_.erase(m.random_id()) > 0;
  if (!own) {
    observer_->OnDelivered(*this, m);
  } else if (outbox_.erase(m.random_id()) > 0) {
    // The box holds a send still waiting for its answer (the answer was
    // lost, or a failure came after the server stored it): it is sent.
    api::SentMessage sent;
    sent.set_random_id(m.random_id());
    sent.set_message_id(m.id());
    sent.set_pts(update.pts());
    sent.set_pts_count(update.pts_count());
    sent.set_date_us(m.date_us());
    sent.set_channel_id(update.channel_box());
    observer_->OnSent(*this, sent);
  } else if (forwards_.erase(m.random_id()) > 0) {
    observer_->OnForwardStored(*this, m);
  }
}

void Device::RequestDifference() {
  state_ = State::kSyncing;
  api::ClientFrame frame;
  frame.mutable_get_difference()->set_pts(pts_);
  difference_request_id_ = Send(std::move(frame));
}

void Device::OnDifference(const api::Difference& diff) {
  difference_failures_ = 0;
  difference_request_id_ = 0;
  if (diff.too_long()) {
    pts_ = diff.state_pts();
    ++too_long_resets_;
  } else if (diff.state_pts() < pts_) {  // the box went back: updates are buffered while syncing, so never a race
    pts_ = diff.state_pts();
    ++rewinds_;
  }
  for (const auto& update : diff.updates()) Apply(update);
  if (diff.is_slice()) return RequestDifference();
  state_ = State::kReady;
  // Channels: asked again if they may have moved unseen; otherwise what
  // was pushed to them during this sync is applied now.
  channels_stale_ ? SyncChannels() : DrainChannels();
  channels_stale_ = false;
  ResendUnanswered();
  observer_->OnSynced(*this);
  DrainBuffer();
}

// Sends left unanswered (their connection dropped, or a retry fell due
// while syncing) go first, in the order they were first sent; those still
// waiting out a delay wait on.
void Device::ResendUnanswered() {
  std::vector<std::pair<uint64_t, uint64_t>> waiting;  // (seq, random_id)
  for (const auto& [random_id, send] : outbox_) {
    if (send.request_id == 0 && !send.backing_off) waiting.emplace_back(send.seq, random_id);
  }
  std::sort(waiting.begin(), waiting.end());
  for (const auto& [seq, random_id] : waiting) Transmit(random_id);
}

void Device::DrainBuffer() {
  std::vector<api::Update> pending;
  pending.swap(buffer_);
  std::stable_sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.pts() < b.pts(); });
  for (const auto& update : pending) Process(update);
}

void Device::Ack() {
  if (state_ != State::kReady || pts_ <= acked_pts_ || ack_due_) return;
  if (retry_.ack_delay > 0) {
    ack_due_ = true;
    return Later(retry_.ack_delay, [this] {
      ack_due_ = false;
      SendAck();
    });
  }
  SendAck();
}

void Device::SendAck() {
  if (state_ != State::kReady || pts_ <= acked_pts_) return;
  acked_pts_ = pts_;
  api::ClientFrame frame;
  frame.mutable_updates_ack()->set_pts(pts_);
  frame.set_request_id(0);
  link_->SendFrame(frame);
}

}  // namespace msgbed
