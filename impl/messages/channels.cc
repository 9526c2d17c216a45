// Channels and supergroups (Telegram's channel model): one box per channel,
// kept by its owner (ChannelOwner) with the record and the member list.
// A post is one write to that box; its update goes on the bus once per
// kFanoutChunk members, each record on the partition of the members it
// names, so that every sync instance pushes to its own members' online
// devices. Members who are offline catch up with getChannelDifference.
#include <algorithm>

#include "core/client_reply.h"
#include "messages/channel_keys.h"
#include "messages/message_service.h"
#include "messages/placement.h"
#include "proto/events.pb.h"

namespace msgbed {

namespace {

std::string RecordKey(uint64_t channel) { return ChannelRecordKey(channel); }
std::string MemberKey(uint64_t channel, uint64_t user) { return ChannelMemberKey(channel, user); }

bool IsAdmin(const storage::ChannelRecord& r, uint64_t user) {
  return std::binary_search(r.admins().begin(), r.admins().end(), user);
}

messages::ChannelAnswer RefuseChannel(api::ErrorCode code, std::string why) {
  messages::ChannelAnswer a;
  a.set_error(code);
  a.set_why(std::move(why));
  return a;
}

std::optional<storage::ChannelRecord> LoadChannel(KvStore& kv, uint64_t channel, Status* s) {
  const auto v = kv.Get(RecordKey(channel), s);
  storage::ChannelRecord r;
  if (!s->ok() || !v) return std::nullopt;
  if (!r.ParseFromString(*v)) {
    *s = Status::Corruption("unparsable channel record");
    return std::nullopt;
  }
  return r;
}

}  // namespace

// --- At the member's box owner

void MessageService::HandleCreateChannel(const Incoming& in, const messages::CreateChannel& req) {
  const api::CreateChannel& create = req.request();
  const uint64_t creator = req.client().user();
  if (!ValidTitle(create.title())) {
    return AnswerError(in.reply_to, api::CHAT_TITLE_EMPTY, "title must be 1 to 128 characters");
  }
  if (create.random_id() == 0) return AnswerError(in.reply_to, api::RANDOM_ID_EMPTY, "random_id is 0");
  messages::ChannelRequest ask;
  ask.set_kind(messages::ChannelRequest::CREATE);
  ask.set_channel_id(NewGroupId(creator, create.random_id(), 1));
  ask.set_user(creator);
  storage::ChannelRecord* r = ask.mutable_record();
  r->set_id(ask.channel_id());
  r->set_title(create.title());
  r->set_broadcast(create.broadcast());
  r->set_creator(creator);
  r->set_random_id(create.random_id());
  r->add_admins(creator);
  r->set_members_count(1);
  AskChannelOwner(std::move(ask), [this, creator, reply_to = in.reply_to](const messages::ChannelAnswer& a) {
    if (a.error() != api::ERROR_NONE) return AnswerError(reply_to, a.error(), a.why());
    api::ServerFrame frame;
    *frame.mutable_channel() = a.channel();
    NoteMembership(creator, a.channel().id(), a.member(), reply_to, std::move(frame));
  });
}

void MessageService::HandleJoinChannel(const Incoming& in, const messages::JoinChannel& req) {
  ChangeChannelMembership(in.reply_to, req.client().user(), req.request().channel_id(), true);
}

void MessageService::HandleLeaveChannel(const Incoming& in, const messages::LeaveChannel& req) {
  ChangeChannelMembership(in.reply_to, req.client().user(), req.request().channel_id(), false);
}

void MessageService::ChangeChannelMembership(const ReplyTo& reply_to, uint64_t user, uint64_t channel, bool join) {
  messages::ChannelRequest ask;
  ask.set_kind(join ? messages::ChannelRequest::JOIN : messages::ChannelRequest::LEAVE);
  ask.set_channel_id(channel);
  ask.set_user(user);
  AskChannelOwner(std::move(ask), [this, reply_to, user, channel, join](const messages::ChannelAnswer& a) {
    if (a.error() != api::ERROR_NONE) return AnswerError(reply_to, a.error(), a.why());
    api::ServerFrame done;
    done.mutable_done();
    NoteMembership(user, channel, join, reply_to, std::move(done));
  });
}

void MessageService::AskChannelOwner(messages::ChannelRequest request,
                                     std::function<void(const messages::ChannelAnswer&)> done) {
  if (request.channel_id() == 0) return done(RefuseChannel(api::CHANNEL_INVALID, "channel_id is 0"));
  const Address owner = ChannelOwner(shape(), request.channel_id());
  if (SameAddress(owner, env_->Self())) {
    const uint64_t channel = request.channel_id();
    return handoff_.WhenServed(
        channel, [this, request = std::move(request), done = std::move(done)] { done(DoChannelRequest(request)); });
  }
  auto body = NewBody<messages::ChannelRequest>(std::move(request));
  env_->Call(owner, std::move(body), kChatCallTimeout, [done = std::move(done)](const CallResult& r) {
    const messages::ChannelAnswer* answer = r.As<messages::ChannelAnswer>();
    done(answer ? *answer : RefuseChannel(api::INTERNAL, "the channel's owner did not answer; retry"));
  });
}

void MessageService::NoteMembership(uint64_t user, uint64_t channel, bool joined, const ReplyTo& reply_to,
                                    api::ServerFrame answer) {
  Status s;
  const bool in = boxes_.InChannel(user, channel, &s);
  if (s.ok() && in != joined) {
    BoxStore::Change change;
    s = boxes_.Begin(user, &change);
    if (s.ok()) change.Membership(channel, joined);
    if (s.ok()) s = CommitAndPublish(change);
  }
  if (!s.ok()) return AnswerError(reply_to, api::INTERNAL, s.message());
  Answer(reply_to, std::move(answer));
}

// --- At the channel's owner

void MessageService::HandleChannelRequest(const Incoming& in, const messages::ChannelRequest& req) {
  env_->Reply(in.reply_to, NewBody<messages::ChannelAnswer>(DoChannelRequest(req)));
}

messages::ChannelAnswer MessageService::DoChannelRequest(const messages::ChannelRequest& req) {
  if (req.kind() == messages::ChannelRequest::READ) return ChannelRead(req);
  KvStore& store = kv();
  Status s;
  auto record = LoadChannel(store, req.channel_id(), &s);
  if (!s.ok()) return RefuseChannel(api::INTERNAL, s.message());
  WriteBatch batch;
  const std::string member_key = MemberKey(req.channel_id(), req.user());
  const bool member = record && store.Get(member_key, &s).has_value();
  if (!s.ok()) return RefuseChannel(api::INTERNAL, s.message());
  if (req.kind() == messages::ChannelRequest::CREATE) {
    if (record && (record->creator() != req.record().creator() || record->random_id() != req.record().random_id())) {
      return RefuseChannel(api::INTERNAL, "channel id taken; retry with another random_id");
    }
    if (!record) {
      record = req.record();
      batch.Put(member_key, "");
    }
  } else if (!record) {
    return RefuseChannel(api::CHANNEL_INVALID, "no such channel");
  } else if (req.kind() == messages::ChannelRequest::JOIN && !member) {
    if (!record->broadcast() && record->members_count() >= kMaxSupergroupMembers) {
      return RefuseChannel(api::USERS_TOO_MUCH, "a supergroup has at most 200,000 members");
    }
    record->set_members_count(record->members_count() + 1);
    batch.Put(member_key, "");
  } else if (req.kind() == messages::ChannelRequest::LEAVE && member) {
    record->set_members_count(record->members_count() - 1);
    auto* admins = record->mutable_admins();
    admins->erase(std::remove(admins->begin(), admins->end(), req.user()), admins->end());
    batch.Delete(member_key);
  }
  if (!batch.ops().empty()) {
    batch.Put(RecordKey(record->id()), record->SerializeAsString());
    if (s = store.Write(batch); !s.ok()) return RefuseChannel(api::INTERNAL, s.message());
    // The fan-out list follows, if it is loaded.
    if (auto it = channel_members_.find(record->id()); it != channel_members_.end()) {
      auto& bucket = it->second[shape().PartitionOf(req.user())];
      if (req.kind() == messages::ChannelRequest::LEAVE) {
        std::erase(bucket, req.user());
      } else {
        bucket.push_back(req.user());
      }
    }
  }
  messages::ChannelAnswer answer;
  *answer.mutable_channel() = ChannelInfo(*record);
  // A retried create after its creator left must not say it joined again.
  const bool created = req.kind() == messages::ChannelRequest::CREATE && !batch.ops().empty();
  answer.set_member(created || req.kind() == messages::ChannelRequest::JOIN ||
                    (req.kind() == messages::ChannelRequest::CREATE && member));
  return answer;
}

// The mark is the highest id up to max_id that someone else posted (the
// reader's own posts read by the reader are no news), looking back at most
// kReadLookBack ids, and only moves forward. A broadcast channel keeps no
// read marks for its posters (Telegram shows views there instead).
messages::ChannelAnswer MessageService::ChannelRead(const messages::ChannelRequest& req) {
  constexpr uint64_t kReadLookBack = 64;
  const uint64_t channel = req.channel_id();
  storage::ChannelRecord record;
  if (const Refusal r = CheckMember(channel, req.user(), &record); !r.ok()) return RefuseChannel(r.code, r.why);
  messages::ChannelAnswer done;
  done.set_member(true);
  if (record.broadcast()) return done;
  BoxStore::Change change;
  Status s = channel_boxes_.Begin(channel, &change);
  const uint64_t top = std::min(req.max_id(), change.head().last_message_id());
  uint64_t mark = 0;
  for (uint64_t id = top; s.ok() && mark == 0 && id > record.read_outbox_max_id() && top - id < kReadLookBack; --id) {
    const auto m = channel_boxes_.FindMessage(channel, id, &s);
    if (m && !m->deleted() && m->message().from_user() != req.user()) mark = id;
  }
  if (!s.ok()) return RefuseChannel(api::INTERNAL, s.message());
  if (mark == 0) return done;
  record.set_read_outbox_max_id(mark);
  change.Read(api::Update::READ_OUTBOX, ChatKey{0, 0, channel}, mark);
  change.PutExtra(RecordKey(channel), record.SerializeAsString());
  if (s = CommitChannel(change, 0, 0); !s.ok()) return RefuseChannel(api::INTERNAL, s.message());
  return done;
}

api::Channel MessageService::ChannelInfo(const storage::ChannelRecord& r) {
  api::Channel c;
  c.set_id(r.id());
  c.set_title(r.title());
  c.set_broadcast(r.broadcast());
  c.set_creator(r.creator());
  c.set_members_count(r.members_count());
  *c.mutable_admins() = r.admins();
  storage::BoxHead head;
  if (channel_boxes_.Head(r.id(), &head).ok()) c.set_pts(head.pts());
  return c;
}

MessageService::Refusal MessageService::CheckMember(uint64_t channel, uint64_t user, storage::ChannelRecord* record) {
  Status s;
  auto found = LoadChannel(kv(), channel, &s);
  if (!s.ok()) return {api::INTERNAL, s.message()};
  if (!found) return {api::CHANNEL_INVALID, "no such channel"};
  const bool member = kv().Get(MemberKey(channel, user), &s).has_value();
  if (!s.ok()) return {api::INTERNAL, s.message()};
  if (!member) return {api::CHANNEL_PRIVATE, "not a member of the channel"};
  *record = std::move(*found);
  return {};
}

void MessageService::HandleEditChannelAdmin(const Incoming& in, const messages::EditChannelAdmin& req) {
  const api::EditChannelAdmin& edit = req.request();
  storage::ChannelRecord record;
  if (const Refusal r = CheckMember(edit.channel_id(), req.client().user(), &record); !r.ok()) {
    return AnswerRefusal(in.reply_to, r);
  }
  if (record.creator() != req.client().user()) {
    return AnswerError(in.reply_to, api::CHAT_ADMIN_REQUIRED, "only the creator names admins");
  }
  storage::ChannelRecord target;
  if (const Refusal r = CheckMember(edit.channel_id(), edit.user_id(), &target); !r.ok()) {
    return AnswerError(in.reply_to, api::USER_NOT_PARTICIPANT, "not a member of the channel");
  }
  std::vector<uint64_t> admins(record.admins().begin(), record.admins().end());
  std::erase(admins, edit.user_id());
  if (edit.admin()) admins.insert(std::lower_bound(admins.begin(), admins.end(), edit.user_id()), edit.user_id());
  *record.mutable_admins() = {admins.begin(), admins.end()};
  WriteBatch batch;
  batch.Put(RecordKey(record.id()), record.SerializeAsString());
  if (Status s = kv().Write(batch); !s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  AnswerDone(in.reply_to);
}

void MessageService::HandleGetChannel(const Incoming& in, const messages::GetChannel& req) {
  Status s;
  const auto record = LoadChannel(kv(), req.request().channel_id(), &s);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  if (!record) return AnswerError(in.reply_to, api::CHANNEL_INVALID, "no such channel");
  api::ServerFrame frame;
  *frame.mutable_channel() = ChannelInfo(*record);
  Answer(in.reply_to, std::move(frame));
}

void MessageService::PostToChannel(const Draft& draft, const ReplyTo& reply_to) {
  const api::Message& post = draft.message;
  const uint64_t from = post.from_user(), channel = post.channel_id();
  storage::ChannelRecord record;
  if (const Refusal r = CheckMember(channel, from, &record); !r.ok()) return AnswerRefusal(reply_to, r);
  if (record.broadcast() && !IsAdmin(record, from)) {
    return AnswerError(reply_to, api::CHAT_ADMIN_REQUIRED, "only admins post in a channel");
  }
  Status s;
  std::optional<storage::StoredMessage> first;
  if (const uint64_t id = channel_boxes_.FindCopy(channel, from, post.random_id(), &s); id != 0) {
    first = channel_boxes_.FindMessage(channel, id, &s);
  }
  if (post.reply_to_id() != 0 && s.ok() && !first) {
    const auto replied = channel_boxes_.FindMessage(channel, post.reply_to_id(), &s);
    if (s.ok() && (!replied || replied->deleted())) {
      return AnswerError(reply_to, api::MESSAGE_ID_INVALID, "reply_to_id is not a message of this channel");
    }
  }
  if (!s.ok()) return AnswerError(reply_to, api::INTERNAL, s.message());
  if (!first) {
    BoxStore::Change change;
    if (s = channel_boxes_.Begin(channel, &change); !s.ok()) return AnswerError(reply_to, api::INTERNAL, s.message());
    api::Message m = post;
    m.set_date_us(env_->Date());
    const api::Update& update = change.AddMessage(std::move(m));
    first.emplace();
    *first->mutable_message() = update.message();
    first->set_pts(update.pts());
    if (s = CommitChannel(change, from, draft.origin_device); !s.ok()) {
      return AnswerError(reply_to, api::INTERNAL, s.message());
    }
    env_->Stats().Add("messages.channel_posts");
  } else if (first->message().text() != post.text()) {
    return AnswerError(reply_to, api::RANDOM_ID_DUPLICATE, "random_id already used for another message");
  }
  AnswerPosted(*first, reply_to);
}

void MessageService::AnswerPosted(const storage::StoredMessage& first, const ReplyTo& reply_to) {
  const api::Message& post = first.message();
  const uint64_t channel = post.channel_id();
  api::ServerFrame frame;
  api::SentMessage* sent = frame.mutable_sent_message();
  sent->set_random_id(post.random_id());
  sent->set_message_id(post.id());
  sent->set_pts(first.pts());
  sent->set_pts_count(1);
  sent->set_date_us(post.date_us());
  sent->set_channel_id(channel);
  Answer(reply_to, std::move(frame));
}

void MessageService::ChannelEdit(const Incoming& in, const messages::EditMessage& req) {
  const uint64_t user = req.client().user(), channel = req.request().channel_id();
  const std::string& text = req.request().text();
  storage::ChannelRecord record;
  if (const Refusal r = CheckMember(channel, user, &record); !r.ok()) return AnswerRefusal(in.reply_to, r);
  if (auto code = CheckMessageText(text); code != api::ERROR_NONE) {
    return AnswerError(in.reply_to, code, "text must be 1 to 4096 characters of UTF-8");
  }
  Status s;
  const auto stored = channel_boxes_.FindMessage(channel, req.request().id(), &s);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  if (!stored || stored->deleted()) return AnswerError(in.reply_to, api::MESSAGE_ID_INVALID, "no such message");
  if (stored->message().from_user() != user) {
    return AnswerError(in.reply_to, api::MESSAGE_AUTHOR_REQUIRED, "only its sender edits a message");
  }
  if (stored->message().text() == text) return AnswerError(in.reply_to, api::MESSAGE_NOT_MODIFIED, "same text");
  BoxStore::Change change;
  if (s = channel_boxes_.Begin(channel, &change); !s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  api::Message now = stored->message();
  now.set_text(text);
  now.set_edit_date_us(std::max(env_->Date(), now.edit_date_us() + 1));
  change.Edit(*stored, now);
  if (s = CommitChannel(change, 0, 0); !s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  AnswerDone(in.reply_to);
}

void MessageService::ChannelDelete(const Incoming& in, const messages::DeleteMessages& req) {
  const uint64_t user = req.client().user(), channel = req.request().channel_id();
  storage::ChannelRecord record;
  if (const Refusal r = CheckMember(channel, user, &record); !r.ok()) return AnswerRefusal(in.reply_to, r);
  if (req.request().ids_size() > kMaxDeleteIds) {
    return AnswerError(in.reply_to, api::MESSAGE_ID_INVALID, "at most 100 ids at once");
  }
  std::vector<storage::StoredMessage> gone;
  for (uint64_t id : std::set<uint64_t>(req.request().ids().begin(), req.request().ids().end())) {
    Status s;
    auto stored = channel_boxes_.FindMessage(channel, id, &s);
    if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
    if (!stored || stored->deleted()) continue;
    if (stored->message().from_user() != user && !IsAdmin(record, user)) {
      return AnswerError(in.reply_to, api::MESSAGE_DELETE_FORBIDDEN, "only its sender or an admin deletes it");
    }
    gone.push_back(std::move(*stored));
  }
  if (gone.empty()) return AnswerDone(in.reply_to);
  BoxStore::Change change;
  Status s = channel_boxes_.Begin(channel, &change);
  if (s.ok()) {
    change.Delete(gone);
    s = CommitChannel(change, 0, 0);
  }
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  AnswerDone(in.reply_to);
}

void MessageService::HandleGetChannelDifference(const Incoming& in, const messages::GetChannelDifference& req) {
  const api::GetChannelDifference& ask = req.request();
  const uint64_t channel = ask.channel_id();
  storage::ChannelRecord record;
  if (const Refusal r = CheckMember(channel, req.client().user(), &record); !r.ok()) {
    return AnswerRefusal(in.reply_to, r);
  }
  api::ServerFrame frame;
  api::ChannelDifference* diff = frame.mutable_channel_difference();
  diff->set_channel_id(channel);
  storage::BoxHead head;
  Status s = channel_boxes_.Head(channel, &head);
  diff->set_pts(head.pts());
  if (s.ok() && ask.pts() < head.pts() &&
      (head.pts() - ask.pts() > kChannelTooLong || ask.pts() < head.expired_pts())) {
    diff->set_too_long(true);
    // The latest messages, newest first until kTooLongMessages, or the
    // answer's byte bound (4,096 characters can be 16 KiB), or a bounded
    // walk past deleted ones.
    std::vector<api::Message> latest;
    size_t bytes = 0;
    for (uint64_t id = head.last_message_id(), looked = 0;
         id > 0 && latest.size() < kTooLongMessages && looked < 10 * kTooLongMessages && s.ok(); --id, ++looked) {
      auto m = channel_boxes_.FindMessage(channel, id, &s);
      if (!m || m->deleted()) continue;
      bytes += m->message().ByteSizeLong();
      if (bytes > kMaxDifferenceBytes && !latest.empty()) break;
      latest.push_back(m->message());
    }
    for (auto it = latest.rbegin(); it != latest.rend(); ++it) *diff->add_messages() = *it;
  } else if (s.ok() && ask.pts() < head.pts()) {
    std::vector<api::Update> updates;
    const uint32_t limit = std::min(ask.limit() == 0 ? kDefaultDifferenceLimit : ask.limit(), kMaxDifferenceLimit);
    s = channel_boxes_.ReadAfter(channel, ask.pts(), limit, &updates);
    size_t bytes = 0;
    for (auto& u : updates) {
      bytes += u.ByteSizeLong();
      if (bytes > kMaxDifferenceBytes && diff->updates_size() > 0) break;
      u.set_channel_box(channel);
      *diff->add_updates() = std::move(u);
    }
    const int n = diff->updates_size();
    diff->set_is_slice(n > 0 && diff->updates(n - 1).pts() < head.pts());
  }
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  env_->Stats().Add("messages.get_channel_difference");
  Answer(in.reply_to, std::move(frame));
}

Status MessageService::CommitChannel(BoxStore::Change& change, uint64_t origin_user, uint64_t origin_device) {
  // Each update's fan-out is marked pending in the same batch: a crash
  // before the producer sent it leaves the mark, and a restart sends it again.
  for (const api::Update& update : change.updates())
    change.PutExtra(ChannelPendingKey(change.user(), update.pts()), "");
  if (Status s = channel_boxes_.Commit(&change); !s.ok()) {
    env_->Stats().Add("messages.storage_errors");
    return s;
  }
  for (const api::Update& update : change.updates()) {
    FanOut(change.user(), update, origin_user, origin_device);
    SettleFanOut(change.user(), update.pts());
  }
  return Status::Ok();
}

void MessageService::SettleFanOut(uint64_t channel, uint64_t pts) {
  env_->StartTimer(kFanoutSettle, [this, channel, pts] {
    WriteBatch batch;
    batch.Delete(ChannelPendingKey(channel, pts));
    if (!kv().Write(batch).ok()) env_->Stats().Add("messages.storage_errors");
  });
}

void MessageService::ResumeFanOuts() {
  KvStore::Entries pending;
  if (!kv().Scan("P", "Q", SIZE_MAX, &pending).ok()) return env_->Stats().Add("messages.storage_errors");
  for (const auto& [key, value] : pending) {
    uint64_t channel = 0;
    for (size_t i = 1; i < 9 && i < key.size(); ++i) channel = channel << 8 | static_cast<unsigned char>(key[i]);
    const uint64_t pts = ChannelMemberOf(key);
    std::vector<api::Update> updates;
    if (pts == 0 || !channel_boxes_.ReadAfter(channel, pts - 1, 1, &updates).ok() || updates.empty()) continue;
    FanOut(channel, updates[0], 0, 0);
    SettleFanOut(channel, pts);
    env_->Stats().Add("messages.fanouts_resumed");
  }
}

void MessageService::FanOut(uint64_t channel, const api::Update& update, uint64_t origin_user, uint64_t origin_device) {
  const auto* members = MembersByPartition(channel);
  if (!members) return env_->Stats().Add("messages.storage_errors");  // members pull it (getChannelDifference)
  events::BoxUpdate event;
  event.set_channel_id(channel);
  *event.mutable_update() = update;
  event.mutable_update()->set_channel_box(channel);
  event.set_origin_user(origin_user);
  event.set_origin_device(origin_device);
  event.set_published_us(env_->Date());
  for (const std::vector<uint64_t>& bucket : *members) {
    for (size_t begin = 0; begin < bucket.size(); begin += kFanoutChunk) {
      const size_t end = std::min(bucket.size(), begin + kFanoutChunk);
      event.mutable_users()->Assign(bucket.begin() + begin, bucket.begin() + end);
      env_->Publish(kUpdatesTopic, ClusterShape::UserKey(bucket[begin]),
                    NewBody<events::BoxUpdate>(events::BoxUpdate(event)));
      env_->Stats().Add("messages.fanout_records");
    }
  }
}

const std::vector<std::vector<uint64_t>>* MessageService::MembersByPartition(uint64_t channel) {
  if (auto it = channel_members_.find(channel); it != channel_members_.end()) return &it->second;
  std::vector<std::vector<uint64_t>> by_partition(shape().partitions);
  const std::string end = MemberKey(channel + 1, 0);
  std::string from = MemberKey(channel, 0);
  for (;;) {
    KvStore::Entries page;
    if (!kv().Scan(from, end, 4096, &page).ok()) return nullptr;
    for (const auto& [key, value] : page) {
      const uint64_t user = ChannelMemberOf(key);
      by_partition[shape().PartitionOf(user)].push_back(user);
    }
    if (page.size() < 4096) break;
    from = page.back().first + '\0';
  }
  return &channel_members_.emplace(channel, std::move(by_partition)).first->second;
}

}  // namespace msgbed
