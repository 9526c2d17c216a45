#include "messages/message_service.h"

#include <algorithm>

#include "core/client_reply.h"
#include "core/utf8.h"
#include "messages/placement.h"
#include "proto/events.pb.h"

namespace msgbed {

MessageService::MessageService(Env* env, ClusterShape shape) : env_(env), shape_(std::move(shape)), boxes_(&env->Kv()) {
  // Sends a crash left half done are finished without waiting for their
  // clients to retry (after Start: a core acts once it is registered).
  env_->StartTimer(0, [this] { ResumeOutboxes(); });
}

void MessageService::ResumeOutboxes() {
  std::vector<ChatKey> chats;
  if (Status s = boxes_.ChatsWithUnsent(&chats); !s.ok()) {
    env_->Stats().Add("messages.storage_errors");
    return;
  }
  for (const ChatKey& key : chats) Pump(key);
}

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
  if (record.peer_done()) return AnswerSent(record, in.reply_to);  // a note to self
  Enqueue(record, in.reply_to);
}

// A send whose random_id is known: the same message again is a retry and
// gets the first result; anything else reusing the id is refused.
void MessageService::Resume(const ReplyTo& reply_to, const api::SendMessage& send, const storage::SendRecord& record) {
  if (send.peer_user() != record.peer_box() || send.text() != record.message().text()) {
    env_->Stats().Add("messages.random_id_duplicate");
    return AnswerError(reply_to, api::RANDOM_ID_DUPLICATE, "random_id already used for another message");
  }
  env_->Stats().Add("messages.send_repeated");
  if (record.peer_done()) return AnswerSent(record, reply_to);
  Enqueue(record, reply_to);
}

void MessageService::Enqueue(const storage::SendRecord& record, const ReplyTo& reply_to) {
  const ChatKey key{record.message().from_user(), record.peer_box()};
  chats_[key].waiting[record.result().random_id()].push_back(reply_to);
  Pump(key);
}

// Appends the chat's oldest unsent message to the peer's box, one at a
// time, so that the peer's box keeps the order of the sender's.
void MessageService::Pump(const ChatKey& key) {
  Chat& chat = chats_[key];
  if (chat.in_flight || chat.retry != 0) return;
  Status s;
  const auto record = boxes_.OldestUnsent(key.first, key.second, &s);
  if (!record) {
    if (!s.ok()) env_->Stats().Add("messages.storage_errors");
    return Drain(key, s);
  }
  chat.in_flight = true;
  const rpc::Address owner = BoxOwner(shape_, key.second);
  if (SameAddress(owner, env_->Self())) return Appended(key, *record, AppendToLocalBox(key.second, record->message()));
  auto append = NewBody<messages::AppendToBox>();
  append->set_box_user(key.second);
  *append->mutable_message() = record->message();
  ++pending_sends_;
  env_->Call(owner, std::move(append), kPeerAppendTimeout, [this, key, record = *record](const CallResult& r) {
    --pending_sends_;
    const messages::Appended* appended = r.As<messages::Appended>();
    Appended(key, record, appended && appended->ok());
  });
}

void MessageService::Appended(const ChatKey& key, const storage::SendRecord& record, bool ok) {
  Chat& chat = chats_[key];
  chat.in_flight = false;
  const auto waiting = chat.waiting.extract(record.result().random_id());
  if (ok && boxes_.MarkPeerDone(key.first, record).ok()) {
    chat.failures = 0;
    if (waiting) {
      for (const ReplyTo& to : waiting.mapped()) AnswerSent(record, to);
    }
    return Pump(key);
  }
  env_->Stats().Add("messages.peer_append_failures");
  if (waiting) {
    for (const ReplyTo& to : waiting.mapped()) {
      AnswerError(to, api::INTERNAL, "peer box unavailable; retry with the same random_id");
    }
  }
  const Micros delay = std::min(kMaxPeerRetry, kFirstPeerRetry << std::min(chat.failures++, 16u));
  chat.retry = env_->StartTimer(delay, [this, key] {
    chats_[key].retry = 0;
    Pump(key);
  });
}

// The chat's outbox is empty: whoever still waits learns the outcome.
void MessageService::Drain(const ChatKey& key, const Status& s) {
  auto it = chats_.find(key);
  for (const auto& [random_id, callers] : it->second.waiting) {
    Status found;
    const auto record = boxes_.FindSend(key.first, random_id, &found);
    for (const ReplyTo& to : callers) {
      if (record && record->peer_done()) {
        AnswerSent(*record, to);
      } else {
        AnswerError(to, api::INTERNAL, s.ok() ? found.message() : s.message());
      }
    }
  }
  chats_.erase(it);
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

void MessageService::AnswerSent(const storage::SendRecord& record, const ReplyTo& reply_to) {
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
