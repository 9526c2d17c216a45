#include "client/device.h"

#include <algorithm>

namespace msgbed {

Device::Device(uint64_t user, uint64_t device, Link* link, Observer* observer)
    : user_(user), device_(device), link_(link), observer_(observer) {}

void Device::Send(api::ClientFrame frame) {
  frame.set_request_id(next_request_id_++);
  link_->SendFrame(frame);
}

void Device::Connected() {
  state_ = State::kSigningIn;
  api::ClientFrame frame;
  frame.mutable_dev_sign_in()->set_user_id(user_);
  frame.mutable_dev_sign_in()->set_device_id(device_);
  sign_in_request_id_ = next_request_id_;
  Send(std::move(frame));
}

void Device::Ping() {
  api::ClientFrame frame;
  frame.mutable_ping()->set_ping_id(next_request_id_);
  Send(std::move(frame));
}

void Device::Disconnected() {
  state_ = State::kOffline;
  sends_.clear();  // no answer will come on the old connection
  buffer_.clear();
  acked_pts_ = 0;
}

void Device::SendText(uint64_t peer, const std::string& text, uint64_t random_id) {
  own_in_flight_.insert(random_id);
  sends_[next_request_id_] = random_id;
  api::ClientFrame frame;
  frame.mutable_send_message()->set_peer_user(peer);
  frame.mutable_send_message()->set_random_id(random_id);
  frame.mutable_send_message()->set_text(text);
  Send(std::move(frame));
}

void Device::OnFrame(const api::ServerFrame& frame) {
  observer_->OnServerFrame(*this, frame);
  switch (frame.body_case()) {
    case api::ServerFrame::kSignedIn:
      observer_->OnSignedIn(*this);
      RequestDifference();
      break;
    case api::ServerFrame::kUpdate: Process(frame.update()); break;
    case api::ServerFrame::kDifference: OnDifference(frame.difference()); break;
    case api::ServerFrame::kSentMessage: {
      sends_.erase(frame.request_id());
      const api::SentMessage& sent = frame.sent_message();
      observer_->OnSent(*this, sent);
      // The sender's own box advanced: treat the result as that update.
      api::UpdateNewMessage own;
      own.mutable_message()->set_from_user(user_);
      own.mutable_message()->set_random_id(sent.random_id());
      own.mutable_message()->set_id(sent.message_id());
      own.set_pts(sent.pts());
      own.set_pts_count(sent.pts_count());
      Process(own);
      break;
    }
    case api::ServerFrame::kError: {
      if (state_ == State::kSigningIn && frame.request_id() == sign_in_request_id_) state_ = State::kSignInFailed;
      if (auto it = sends_.find(frame.request_id()); it != sends_.end()) {
        own_in_flight_.erase(it->second);
        observer_->OnSendFailed(*this, it->second, frame.error());
        sends_.erase(it);
      }
      observer_->OnError(*this, frame.error());
      break;
    }
    default: break;
  }
  Ack();
}

void Device::Process(const api::UpdateNewMessage& update) {
  if (state_ != State::kReady) {
    buffer_.push_back(update);
    return;
  }
  if (Apply(update) == Applied::kGap) {
    buffer_.push_back(update);
    RequestDifference();
  }
}

Device::Applied Device::Apply(const api::UpdateNewMessage& update) {
  if (pts_ + update.pts_count() > update.pts()) {
    ++duplicates_;
    return Applied::kDuplicate;
  }
  if (pts_ + update.pts_count() < update.pts()) return Applied::kGap;
  pts_ = update.pts();
  const api::Message& m = update.message();
  const bool own = m.from_user() == user_ && own_in_flight_.erase(m.random_id()) > 0;
  if (!own) observer_->OnDelivered(*this, m);
  return Applied::kApplied;
}

void Device::RequestDifference() {
  state_ = State::kSyncing;
  api::ClientFrame frame;
  frame.mutable_get_difference()->set_pts(pts_);
  Send(std::move(frame));
}

void Device::OnDifference(const api::Difference& diff) {
  for (const auto& update : diff.updates()) Apply(update);
  if (diff.is_slice()) return RequestDifference();
  state_ = State::kReady;
  observer_->OnSynced(*this);
  DrainBuffer();
}

void Device::DrainBuffer() {
  std::vector<api::UpdateNewMessage> pending;
  pending.swap(buffer_);
  std::stable_sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.pts() < b.pts(); });
  for (const auto& update : pending) Process(update);
}

void Device::Ack() {
  if (state_ != State::kReady || pts_ <= acked_pts_) return;
  acked_pts_ = pts_;
  api::ClientFrame frame;
  frame.mutable_updates_ack()->set_pts(pts_);
  frame.set_request_id(0);
  link_->SendFrame(frame);
}

}  // namespace msgbed
