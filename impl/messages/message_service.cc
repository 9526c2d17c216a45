#include "messages/message_service.h"

#include <algorithm>

#include "core/client_reply.h"
#include "core/utf8.h"
#include "messages/placement.h"
#include "proto/events.pb.h"

namespace msgbed {

MessageService::MessageService(Env* env, ClusterShape shape)
    : env_(env), shape_(std::move(shape)), boxes_(&env->Kv()) {}

void MessageService::Register(Handlers& handlers) {
  handlers.On(this, &MessageService::HandleSend);
  handlers.On(this, &MessageService::HandleAppend);
  handlers.On(this, &MessageService::HandleGetDifference);
}

void MessageService::Answer(const ReplyTo& to, api::ServerFrame frame) { AnswerClient(*env_, to, std::move(frame)); }

void MessageService::AnswerError(const ReplyTo& to, api::ErrorCode code, const std::string& why) {
  AnswerClient(*env_, to, ErrorFrame(code, why));
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

void MessageService::HandleSend(const Incoming& in, const messages::SendMessage& req) {
  const api::SendMessage& send = req.send();
  const uint64_t from = req.client().user();
  if (const Refusal r = Validate(send); r.code != api::ERROR_NONE) return AnswerError(in.reply_to, r.code, r.why);
  Status s;
  if (auto record = boxes_.FindSend(from, send.random_id(), &s)) return Resume(in.reply_to, send, *record);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());

  api::Message msg;
  msg.set_from_user(from);
  msg.set_peer_user(send.peer_user());
  msg.set_text(send.text());
  msg.set_date_us(env_->Date());
  msg.set_random_id(send.random_id());
  api::UpdateNewMessage update;
  storage::SendRecord record;
  if (s = boxes_.AppendOutgoing(from, msg, &update, &record); !s.ok()) {
    return AnswerError(in.reply_to, api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.accepted");
  PublishUpdate(from, update, req.client().device());
  if (record.peer_done()) return FinishSend(record, in.reply_to, true);
  DeliverToPeer(record, in.reply_to);
}

// A send whose random_id is known: the same message again is a retry and
// gets the first result; anything else reusing the id is refused.
void MessageService::Resume(const ReplyTo& reply_to, const api::SendMessage& send, const storage::SendRecord& record) {
  if (send.peer_user() != record.peer_box() || send.text() != record.message().text()) {
    env_->Stats().Add("messages.random_id_duplicate");
    return AnswerError(reply_to, api::RANDOM_ID_DUPLICATE, "random_id already used for another message");
  }
  env_->Stats().Add("messages.send_repeated");
  if (record.peer_done()) return FinishSend(record, reply_to, true);
  DeliverToPeer(record, reply_to);
}

void MessageService::DeliverToPeer(const storage::SendRecord& record, const ReplyTo& reply_to) {
  const uint64_t peer = record.peer_box();
  const rpc::Address owner = BoxOwner(shape_, peer);
  if (SameAddress(owner, env_->Self())) return FinishSend(record, reply_to, AppendToLocalBox(peer, record.message()));
  auto append = NewBody<messages::AppendToBox>();
  append->set_box_user(peer);
  *append->mutable_message() = record.message();
  ++pending_sends_;
  env_->Call(owner, std::move(append), kPeerAppendTimeout, [this, record, reply_to](const CallResult& r) {
    --pending_sends_;
    const messages::Appended* appended = r.As<messages::Appended>();
    FinishSend(record, reply_to, appended && appended->ok());
  });
}

void MessageService::HandleAppend(const Incoming& in, const messages::AppendToBox& req) {
  auto appended = NewBody<messages::Appended>();
  appended->set_ok(AppendToLocalBox(req.box_user(), req.message()));
  env_->Reply(in.reply_to, std::move(appended));
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

void MessageService::FinishSend(const storage::SendRecord& record, const ReplyTo& reply_to, bool peer_ok) {
  if (!peer_ok) return AnswerError(reply_to, api::INTERNAL, "peer box unavailable; retry with the same random_id");
  if (!record.peer_done()) {
    if (Status s = boxes_.MarkPeerDone(record.message().from_user(), record); !s.ok()) {
      return AnswerError(reply_to, api::INTERNAL, s.message());
    }
  }
  api::ServerFrame frame;
  *frame.mutable_sent_message() = record.result();
  Answer(reply_to, std::move(frame));
}

void MessageService::HandleGetDifference(const Incoming& in, const messages::GetDifference& req) {
  uint32_t limit = req.request().limit() == 0 ? kDefaultDifferenceLimit : req.request().limit();
  limit = std::min(limit, kMaxDifferenceLimit);
  api::ServerFrame frame;
  if (Status s = ReadDifference(req.client().user(), req.request().pts(), limit, frame.mutable_difference()); !s.ok()) {
    return AnswerError(in.reply_to, api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.get_difference");
  Answer(in.reply_to, std::move(frame));
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
