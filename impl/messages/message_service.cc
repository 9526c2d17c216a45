#include "messages/message_service.h"

#include <algorithm>

#include "core/client_reply.h"
#include "core/utf8.h"
#include "proto/events.pb.h"

namespace msgbed {

MessageService::MessageService(Env* env, ClusterShape shape) : env_(env), shape_(shape), boxes_(&env->Kv()) {}

void MessageService::OnMessage(const rpc::Envelope& msg) {
  switch (msg.body_case()) {
    case rpc::Envelope::kSendMessage: return HandleSend(msg.send_message());
    case rpc::Envelope::kAppendToBox: return HandleAppend(msg);
    case rpc::Envelope::kAppendedToBox: return HandleAppended(msg.appended_to_box());
    case rpc::Envelope::kGetDifference: return HandleGetDifference(msg.get_difference());
    default: env_->Stats().Add("messages.unexpected_rpc");
  }
}

MessageService::Refusal MessageService::Validate(const api::SendMessage& send) {
  size_t chars = 0;
  if (send.peer_user() == 0) return {api::PEER_ID_INVALID, "peer_user is 0"};
  if (send.random_id() == 0) return {api::RANDOM_ID_EMPTY, "random_id is 0"};
  if (send.text().empty()) return {api::MESSAGE_EMPTY, "empty text"};
  if (!ValidUtf8(send.text(), &chars)) return {api::MESSAGE_INVALID, "text is not valid UTF-8"};
  if (chars > kMaxMessageChars) return {api::MESSAGE_TOO_LONG, "text over 4096 characters"};
  return {};
}

void MessageService::HandleSend(const rpc::SendMessageRequest& req) {
  const api::SendMessage& send = req.send();
  const uint64_t from = req.origin().client().user();
  if (const Refusal r = Validate(send); r.code != api::ERROR_NONE)
    return ReplyError(*env_, req.origin(), r.code, r.why);
  Status s;
  if (auto record = boxes_.FindSend(from, send.random_id(), &s)) return Resume(req, *record);
  if (!s.ok()) return ReplyError(*env_, req.origin(), api::INTERNAL, s.message());

  api::Message msg;
  msg.set_from_user(from);
  msg.set_peer_user(send.peer_user());
  msg.set_text(send.text());
  msg.set_date_us(env_->Now());
  msg.set_random_id(send.random_id());
  api::UpdateNewMessage update;
  storage::SendRecord record;
  if (s = boxes_.AppendOutgoing(from, msg, &update, &record); !s.ok()) {
    return ReplyError(*env_, req.origin(), api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.accepted");
  PublishUpdate(from, update, req.origin().client().device());
  if (record.peer_done()) return FinishSend(from, record, req.origin(), true);
  DeliverToPeer(record, req.origin());
}

// A send whose random_id is known: the same message again is a retry and
// gets the first result; anything else reusing the id is refused.
void MessageService::Resume(const rpc::SendMessageRequest& req, const storage::SendRecord& record) {
  const api::SendMessage& send = req.send();
  if (send.peer_user() != record.peer_box() || send.text() != record.message().text()) {
    env_->Stats().Add("messages.random_id_duplicate");
    return ReplyError(*env_, req.origin(), api::RANDOM_ID_DUPLICATE, "random_id already used for another message");
  }
  env_->Stats().Add("messages.send_repeated");
  if (record.peer_done()) return FinishSend(record.message().from_user(), record, req.origin(), true);
  DeliverToPeer(record, req.origin());
}

void MessageService::DeliverToPeer(const storage::SendRecord& record, const rpc::Origin& origin) {
  const uint64_t sender = record.message().from_user();
  const uint64_t peer = record.peer_box();
  const rpc::Address owner = shape_.BoxOwner(peer);
  if (SameAddress(owner, env_->Self())) {
    return FinishSend(sender, record, origin, AppendToLocalBox(peer, record.message()));
  }
  const uint64_t ticket = next_ticket_++;
  const TimerId timer = env_->StartTimer(kPeerAppendTimeout, [this, ticket] {
    rpc::AppendedToBox timed_out;
    timed_out.set_ticket(ticket);
    timed_out.set_ok(false);
    HandleAppended(timed_out);
  });
  pending_[ticket] = PendingSend{sender, record, origin, timer};
  rpc::Envelope out;
  *out.mutable_to() = owner;
  rpc::AppendToBox* req = out.mutable_append_to_box();
  req->set_box_user(peer);
  *req->mutable_message() = record.message();
  req->set_ticket(ticket);
  env_->Send(std::move(out));
}

void MessageService::HandleAppend(const rpc::Envelope& msg) {
  const rpc::AppendToBox& req = msg.append_to_box();
  rpc::Envelope out;
  *out.mutable_to() = msg.from();
  out.mutable_appended_to_box()->set_ticket(req.ticket());
  out.mutable_appended_to_box()->set_ok(AppendToLocalBox(req.box_user(), req.message()));
  env_->Send(std::move(out));
}

void MessageService::HandleAppended(const rpc::AppendedToBox& res) {
  auto it = pending_.find(res.ticket());
  if (it == pending_.end()) return;
  PendingSend p = std::move(it->second);
  pending_.erase(it);
  env_->CancelTimer(p.timer);
  FinishSend(p.sender, p.record, p.origin, res.ok());
}

bool MessageService::AppendToLocalBox(uint64_t box_user, const api::Message& msg) {
  api::UpdateNewMessage update;
  bool appended = false;
  if (Status s = boxes_.AppendIncoming(box_user, msg, &update, &appended); !s.ok()) {
    env_->Stats().Add("messages.storage_errors");
    return false;
  }
  if (appended) PublishUpdate(box_user, update, 0);
  return true;
}

void MessageService::FinishSend(uint64_t sender, const storage::SendRecord& record, const rpc::Origin& origin,
                                bool peer_ok) {
  if (!peer_ok) return ReplyError(*env_, origin, api::INTERNAL, "peer box unavailable; retry with the same random_id");
  if (!record.peer_done()) {
    if (Status s = boxes_.MarkPeerDone(sender, record); !s.ok()) {
      return ReplyError(*env_, origin, api::INTERNAL, s.message());
    }
  }
  api::ServerFrame frame;
  *frame.mutable_sent_message() = record.result();
  ReplyToClient(*env_, origin, std::move(frame));
}

void MessageService::HandleGetDifference(const rpc::GetDifferenceRequest& req) {
  uint32_t limit = req.request().limit() == 0 ? kDefaultDifferenceLimit : req.request().limit();
  limit = std::min(limit, kMaxDifferenceLimit);
  api::ServerFrame frame;
  if (Status s = ReadDifference(req.origin().client().user(), req.request().pts(), limit, frame.mutable_difference());
      !s.ok()) {
    return ReplyError(*env_, req.origin(), api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.get_difference");
  ReplyToClient(*env_, req.origin(), std::move(frame));
}

Status MessageService::ReadDifference(uint64_t user, uint64_t pts, uint32_t limit, api::Difference* diff) {
  storage::BoxHead head;
  std::vector<api::UpdateNewMessage> updates;
  Status s = boxes_.Head(user, &head);
  // A pts at or past the head (even 2^64-1) has nothing after it.
  if (s.ok() && pts < head.pts()) s = boxes_.ReadAfter(user, pts, limit, &updates);
  if (!s.ok()) return s;
  diff->set_state_pts(head.pts());
  size_t bytes = 0;
  for (auto& u : updates) {
    bytes += u.ByteSizeLong();
    if (bytes > kMaxDifferenceBytes && diff->updates_size() > 0) break;
    *diff->add_updates() = std::move(u);
  }
  const int n = diff->updates_size();
  diff->set_is_slice(n > 0 && diff->updates(n - 1).pts() < head.pts());
  return Status::Ok();
}

void MessageService::PublishUpdate(uint64_t user, const api::UpdateNewMessage& update, uint64_t origin_device) {
  events::NewMessageUpdate event;
  event.set_user_id(user);
  *event.mutable_update() = update;
  event.set_origin_device(origin_device);
  env_->Publish(kUpdatesTopic, ClusterShape::UserKey(user), event.SerializeAsString());
}

}  // namespace msgbed
