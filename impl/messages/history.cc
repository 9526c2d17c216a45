// What members do to a chat's history besides sending: edit, delete, mark
// read, say they are typing; and getDifference, which reads a box back.
#include <algorithm>
#include <set>

#include "core/client_reply.h"
#include "core/utf8.h"
#include "messages/message_service.h"
#include "proto/sync.pb.h"

namespace msgbed {

namespace {}  // namespace

void MessageService::HandleEdit(const Incoming& in, const messages::EditMessage& req) {
  const uint64_t user = req.client().user();
  const std::string& text = req.request().text();
  if (req.request().channel_id() != 0) return ChannelEdit(in, req);
  if (auto code = CheckMessageText(text); code != api::ERROR_NONE) {
    return AnswerError(in.reply_to, code, "text must be 1 to 4096 characters of UTF-8");
  }
  Status s;
  const auto stored = boxes_.FindMessage(user, req.request().id(), &s);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  if (!stored || stored->deleted() || stored->message().action() != api::ACTION_NONE) {
    return AnswerError(in.reply_to, api::MESSAGE_ID_INVALID, "no such message");
  }
  if (stored->message().from_user() != user) {
    return AnswerError(in.reply_to, api::MESSAGE_AUTHOR_REQUIRED, "only its sender edits a message");
  }
  const std::string& markup = req.request().reply_markup();
  if (stored->message().text() == text && (markup.empty() || markup == stored->message().reply_markup())) {
    return AnswerError(in.reply_to, api::MESSAGE_NOT_MODIFIED, "same text");
  }
  const uint64_t id = req.request().id();
  InChat(user, ChatKey::Of(stored->message()), in.reply_to,
         [this, user, id, text, markup, reply_to = in.reply_to](const storage::ChatRecord* group) {
           BoxStore::Change change;
           Status s = boxes_.Begin(user, &change);
           const auto stored = boxes_.FindMessage(user, id, &s);  // again: it may have changed meanwhile
           if (!s.ok() || !stored || stored->deleted()) return AnswerError(reply_to, api::MESSAGE_ID_INVALID, "gone");
           api::Message now = stored->message();
           now.set_text(text);
           if (!markup.empty()) now.set_reply_markup(markup);
           now.set_edit_date_us(std::max(env_->Date(), now.edit_date_us() + 1));
           change.Edit(*stored, now);
           storage::BoxOp op;
           op.set_kind(storage::BoxOp::EDIT);
           api::Message* m = op.mutable_message();
           m->set_from_user(user);
           m->set_random_id(now.random_id());
           m->set_text(text);
           m->set_reply_markup(now.reply_markup());
           m->set_edit_date_us(now.edit_date_us());
           QueueToChat(change, ChatKey::Of(now), group, op);
           if (s = CommitAndPublish(change); !s.ok()) return AnswerError(reply_to, api::INTERNAL, s.message());
           env_->Stats().Add("messages.edited");
           AnswerDone(reply_to);
         });
}

void MessageService::HandleDelete(const Incoming& in, const messages::DeleteMessages& req) {
  const uint64_t user = req.client().user();
  const bool revoke = req.request().revoke();
  if (req.request().channel_id() != 0) return ChannelDelete(in, req);
  if (req.request().ids_size() > kMaxDeleteIds) {
    return AnswerError(in.reply_to, api::MESSAGE_ID_INVALID, "at most 100 ids at once");
  }
  std::set<uint64_t> ids(req.request().ids().begin(), req.request().ids().end());
  std::vector<storage::StoredMessage> gone;
  std::set<uint64_t> groups;
  for (uint64_t id : ids) {
    Status s;
    const auto stored = boxes_.FindMessage(user, id, &s);
    if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
    if (!stored || stored->deleted()) continue;  // unknown ids are skipped, as Telegram does
    gone.push_back(*stored);
    if (revoke && stored->message().chat_id() != 0) groups.insert(stored->message().chat_id());
  }
  WithMembers(user, {groups.begin(), groups.end()},
              [this, user, revoke, gone, reply_to = in.reply_to](const Refusal& r, const Members& members) {
                if (!r.ok()) return AnswerRefusal(reply_to, r);
                BoxStore::Change change;
                if (Status s = boxes_.Begin(user, &change); !s.ok()) {
                  return AnswerError(reply_to, api::INTERNAL, s.message());
                }
                if (gone.empty()) return AnswerDone(reply_to);
                for (const storage::StoredMessage& stored : revoke ? gone : std::vector<storage::StoredMessage>{}) {
                  const api::Message& m = stored.message();
                  const storage::ChatRecord* group = m.chat_id() ? &members.at(m.chat_id()) : nullptr;
                  // In a group, only the sender or the creator deletes for everyone.
                  if (group && m.from_user() != user && group->creator() != user) {
                    return AnswerError(reply_to, api::MESSAGE_DELETE_FORBIDDEN, "not your message");
                  }
                  storage::BoxOp op;
                  op.set_kind(storage::BoxOp::DELETE);
                  op.mutable_message()->set_from_user(m.from_user());
                  op.mutable_message()->set_random_id(m.random_id());
                  QueueToChat(change, ChatKey::Of(m), group, op);
                }
                change.Delete(gone);
                if (Status s = CommitAndPublish(change); !s.ok()) {
                  return AnswerError(reply_to, api::INTERNAL, s.message());
                }
                env_->Stats().Add("messages.deleted", gone.size());
                AnswerDone(reply_to);
              });
}

void MessageService::HandleRead(const Incoming& in, const messages::ReadHistory& req) {
  const uint64_t user = req.client().user();
  const ChatKey chat{req.request().peer_user(), req.request().chat_id(), req.request().channel_id()};
  if (auto code = CheckChat(chat); code != api::ERROR_NONE) return AnswerError(in.reply_to, code, "name one chat");
  if (chat.channel_id != 0 && req.request().max_id() == 0) {
    return AnswerError(in.reply_to, api::MESSAGE_ID_INVALID, "a channel's max_id is needed");
  }
  if (Status s; chat.channel_id != 0 && !boxes_.InChannel(user, chat.channel_id, &s)) {
    return AnswerError(in.reply_to, s.ok() ? api::CHANNEL_PRIVATE : api::INTERNAL, "not in the channel");
  }
  BoxStore::Change change;
  storage::ReadState state;
  std::vector<IncomingMessage> read;
  Status s = boxes_.Begin(user, &change);
  if (s.ok()) s = boxes_.ReadState(user, chat, &state);
  // 0, or past the box's last message: everything. (A channel's ids are its box's.)
  const uint64_t last = chat.channel_id != 0 ? UINT64_MAX : change.head().last_message_id();
  const uint64_t max_id = req.request().max_id() == 0 ? last : std::min(req.request().max_id(), last);
  if (s.ok()) s = boxes_.IncomingBetween(user, chat, state.inbox_max_id(), max_id, &read);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  if (max_id <= state.inbox_max_id()) return ReadDone(in.reply_to, user, chat, max_id);
  state.set_inbox_max_id(max_id);
  change.PutReadState(chat, state);
  change.Read(api::Update::READ_INBOX, chat, max_id);
  // Each sender of a message read learns how far (in its own box's ids).
  std::map<uint64_t, uint64_t> senders;
  for (const IncomingMessage& m : read) senders[m.from] = std::max(senders[m.from], m.origin_id);
  for (const auto& [sender, origin_id] : senders) {
    storage::BoxOp op;
    op.set_kind(storage::BoxOp::READ_OUTBOX);
    op.set_max_id(origin_id);
    op.set_peer_user(chat.group() ? 0 : user);
    op.set_chat_id(chat.chat_id);
    change.Queue(sender, op);
  }
  if (s = CommitAndPublish(change); !s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  ReadDone(in.reply_to, user, chat, max_id);
}

void MessageService::ReadDone(const ReplyTo& reply_to, uint64_t user, const ChatKey& chat, uint64_t max_id) {
  if (chat.channel_id == 0) return AnswerDone(reply_to);
  messages::ChannelRequest ask;
  ask.set_kind(messages::ChannelRequest::READ);
  ask.set_channel_id(chat.channel_id);
  ask.set_user(user);
  ask.set_max_id(max_id);
  AskChannelOwner(std::move(ask), [this, reply_to](const messages::ChannelAnswer& a) {
    if (a.error() != api::ERROR_NONE) return AnswerError(reply_to, a.error(), a.why());
    AnswerDone(reply_to);
  });
}

void MessageService::HandleTyping(const Incoming& in, const messages::SetTyping& req) {
  const uint64_t user = req.client().user();
  const ChatKey chat{req.request().peer_user(), req.request().chat_id()};
  if (auto code = CheckChat(chat); code != api::ERROR_NONE) return AnswerError(in.reply_to, code, "name one chat");
  AnswerDone(in.reply_to);
  const Micros now = env_->Now();
  if (typing_.size() > 100'000)
    std::erase_if(typing_, [&](const auto& e) { return now - e.second >= kTypingInterval; });
  auto [it, fresh] = typing_.try_emplace({user, chat.kind(), chat.peer()}, now);
  if (!fresh && now - it->second < kTypingInterval) return env_->Stats().Add("messages.typing_dropped");
  it->second = now;
  auto tell = [this, user, chat](const std::vector<uint64_t>& to) {
    // One notice per bus partition, keyed by its first user: each reaches
    // the sync instance serving those users.
    std::map<uint32_t, std::shared_ptr<sync::Typing>> by_partition;
    for (uint64_t member : to) {
      if (member == user) continue;
      auto& notice = by_partition[shape().PartitionOf(member)];
      if (!notice) {
        notice = NewBody<sync::Typing>();
        notice->mutable_typing()->set_from_user(user);
        notice->mutable_typing()->set_chat_id(chat.chat_id);
      }
      notice->add_users(member);
    }
    for (auto& [partition, notice] : by_partition) {
      const std::string key = ClusterShape::UserKey(notice->users(0));
      env_->Publish(kUpdatesTopic, key, std::move(notice));
    }
  };
  if (!chat.group()) return tell({chat.peer_user});
  WithMembers(user, {chat.chat_id}, [tell](const Refusal& r, const Members& members) {
    if (r.ok()) tell({members.begin()->second.members().begin(), members.begin()->second.members().end()});
  });
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
  std::vector<api::Update> updates;
  Status s = boxes_.Head(user, &head);
  diff->set_state_pts(head.pts());
  // Retention removed updates the device has not seen: it starts again.
  diff->set_too_long(s.ok() && pts < head.expired_pts());
  // A pts at or past the head (even 2^64-1) has nothing after it.
  if (s.ok() && pts < head.pts() && !diff->too_long()) s = boxes_.ReadAfter(user, pts, limit, &updates);
  if (!s.ok()) return s;
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

}  // namespace msgbed
