#include "messages/message_service.h"

#include <algorithm>

#include "core/client_reply.h"
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

void MessageService::HandleSend(const rpc::SendMessageRequest& req) {
  const api::SendMessage& send = req.send();
  if (send.peer_user() == 0) return ReplyError(*env_, req.origin(), api::PEER_ID_INVALID, "peer_user is 0");
  if (send.text().empty()) return ReplyError(*env_, req.origin(), api::MESSAGE_EMPTY, "empty text");
  if (send.text().size() > kMaxMessageBytes) {
    return ReplyError(*env_, req.origin(), api::MESSAGE_TOO_LONG, "text over 4096 bytes");
  }
  Status s;
  if (auto record = boxes_.FindSend(req.from_user(), send.random_id(), &s)) {
    env_->Stats().Add("messages.send_repeated");
    if (record->peer_done()) return FinishSend(req.from_user(), *record, req.origin(), true);
    return DeliverToPeer(*record, req.origin());
  }
  if (!s.ok()) return ReplyError(*env_, req.origin(), api::INTERNAL, s.message());

  api::Message msg;
  msg.set_from_user(req.from_user());
  msg.set_peer_user(send.peer_user());
  msg.set_text(send.text());
  msg.set_date_us(env_->Now());
  msg.set_random_id(send.random_id());
  api::UpdateNewMessage update;
  storage::SendRecord record;
  if (s = boxes_.AppendOutgoing(req.from_user(), msg, &update, &record); !s.ok()) {
    return ReplyError(*env_, req.origin(), api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.accepted");
  PublishUpdate(req.from_user(), update, req.from_device());
  if (record.peer_done()) return FinishSend(req.from_user(), record, req.origin(), true);
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
  storage::BoxHead head;
  std::vector<api::UpdateNewMessage> updates;
  Status s = boxes_.Head(req.user(), &head);
  if (s.ok()) s = boxes_.ReadAfter(req.user(), req.request().pts(), limit, &updates);
  if (!s.ok()) return ReplyError(*env_, req.origin(), api::INTERNAL, s.message());

  api::ServerFrame frame;
  api::Difference* diff = frame.mutable_difference();
  diff->set_state_pts(head.pts());
  diff->set_is_slice(!updates.empty() && updates.back().pts() < head.pts());
  for (auto& u : updates) *diff->add_updates() = std::move(u);
  env_->Stats().Add("messages.get_difference");
  ReplyToClient(*env_, req.origin(), std::move(frame));
}

void MessageService::PublishUpdate(uint64_t user, const api::UpdateNewMessage& update, uint64_t origin_device) {
  events::NewMessageUpdate event;
  event.set_user_id(user);
  *event.mutable_update() = update;
  event.set_origin_device(origin_device);
  env_->Publish(kUpdatesTopic, ClusterShape::UserKey(user), event.SerializeAsString());
}

}  // namespace msgbed
