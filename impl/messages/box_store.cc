#include "messages/box_store.h"

#include <algorithm>
#include <cassert>

namespace msgbed {
namespace {

void PutBE(std::string* s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBE(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// A key, built on the stack: lookups use it as it is, writes copy it into
// their batch. space: 0, or the prefix of a key space.
class Key {
 public:
  Key(char space, char tag, std::initializer_list<uint64_t> parts) {
    assert(parts.size() <= 4);
    if (space != 0) buf_[n_++] = space;
    buf_[n_++] = tag;
    for (uint64_t p : parts) {
      for (int i = 7; i >= 0; --i) buf_[n_++] = static_cast<char>((p >> (8 * i)) & 0xff);
    }
  }
  operator std::string_view() const { return {buf_, n_}; }
  operator std::string() const { return {buf_, n_}; }

 private:
  char buf_[2 + 8 * 4];
  size_t n_ = 0;
};

std::string BE(uint64_t v) {
  std::string s;
  PutBE(&s, v);
  return s;
}

template <typename Proto>
Status Parse(const std::string& bytes, Proto* out, const char* what) {
  if (!out->ParseFromString(bytes)) return Status::Corruption(std::string("unparsable ") + what);
  return Status::Ok();
}

template <typename Proto>
std::optional<Proto> GetProto(KvStore* kv, std::string_view key, Status* status, const char* what) {
  auto v = kv->Get(key, status);
  if (!status->ok() || !v) return std::nullopt;
  Proto p;
  *status = Parse(*v, &p, what);
  if (!status->ok()) return std::nullopt;
  return p;
}

}  // namespace

std::string BoxStore::SendKey(uint64_t user, uint64_t random_id) const { return Key(space_, 's', {user, random_id}); }

// --- Change

const api::Update& BoxStore::Change::Push(api::Update update) {
  head_.set_pts(head_.pts() + 1);
  update.set_pts(head_.pts());
  update.set_pts_count(1);
  batch_.Put(Key(space_, 'u', {user_, head_.pts()}), update.SerializeAsString());
  updates_.push_back(std::move(update));
  return updates_.back();
}

void BoxStore::Change::PutMessage(const api::Message& m, bool deleted, uint64_t pts) {
  storage::StoredMessage stored;
  *stored.mutable_message() = m;
  stored.set_deleted(deleted);
  stored.set_pts(pts);
  batch_.Put(Key(space_, 'm', {user_, m.id()}), stored.SerializeAsString());
}

const api::Update& BoxStore::Change::AddMessage(api::Message message) {
  head_.set_last_message_id(head_.last_message_id() + 1);
  message.set_id(head_.last_message_id());
  PutMessage(message, false, head_.pts() + 1);
  if (message.from_user() != user_) {
    batch_.Put(Key(space_, 'i', {user_, message.from_user(), message.random_id()}), BE(message.id()));
  }
  const ChatKey chat = ChatKey::Of(message);
  batch_.Put(Key(space_, 'c', {user_, chat.kind(), chat.peer(), message.id()}),
             BE(message.from_user()) + BE(message.origin_id()));
  api::Update update;
  *update.mutable_message() = std::move(message);
  return Push(std::move(update));
}

const api::Update& BoxStore::Change::Edit(const storage::StoredMessage& was, const api::Message& now) {
  PutMessage(now, false, was.pts());
  api::Update update;
  update.set_kind(api::Update::EDIT_MESSAGE);
  *update.mutable_message() = now;
  return Push(std::move(update));
}

const api::Update& BoxStore::Change::Delete(const std::vector<storage::StoredMessage>& gone) {
  api::Update update;
  update.set_kind(api::Update::DELETE_MESSAGES);
  for (const storage::StoredMessage& m : gone) {
    api::Message tombstone = m.message();
    tombstone.clear_text();
    PutMessage(tombstone, true, m.pts());
    const ChatKey chat = ChatKey::Of(m.message());
    batch_.Delete(Key(space_, 'c', {user_, chat.kind(), chat.peer(), m.message().id()}));
    update.add_deleted_ids(m.message().id());
  }
  return Push(std::move(update));
}

const api::Update& BoxStore::Change::Read(api::Update::Kind kind, const ChatKey& chat, uint64_t max_id) {
  api::Update update;
  update.set_kind(kind);
  update.set_peer_user(chat.peer_user);
  update.set_chat_id(chat.chat_id);
  update.set_channel_id(chat.channel_id);
  update.set_max_id(max_id);
  return Push(std::move(update));
}

const api::Update& BoxStore::Change::Membership(uint64_t channel, bool joined) {
  const std::string key = Key(space_, 'j', {user_, channel});
  joined ? batch_.Put(key, "") : batch_.Delete(key);
  api::Update update;
  update.set_kind(api::Update::CHANNEL);
  update.set_channel_id(channel);
  update.set_left(!joined);
  return Push(std::move(update));
}

void BoxStore::Change::Queue(uint64_t peer_box, const storage::BoxOp& op) {
  head_.set_last_op(head_.last_op() + 1);
  if (std::find(queued_to_.begin(), queued_to_.end(), peer_box) == queued_to_.end()) queued_to_.push_back(peer_box);
  batch_.Put(Key(space_, 'o', {user_, peer_box, head_.last_op()}), op.SerializeAsString());
}

void BoxStore::Change::PutSend(const storage::SendRecord& record) {
  batch_.Put(Key(space_, 's', {user_, record.result().random_id()}), record.SerializeAsString());
}

void BoxStore::Change::PutReadState(const ChatKey& chat, const storage::ReadState& state) {
  batch_.Put(Key(space_, 'r', {user_, chat.kind(), chat.peer()}), state.SerializeAsString());
}

Status BoxStore::Begin(uint64_t user, Change* change) {
  *change = Change();
  change->user_ = user;
  change->space_ = space_;
  return Head(user, &change->head_);
}

Status BoxStore::Commit(Change* change) {
  WriteBatch& batch = change->batch_;
  batch.Put(Key(space_, 'h', {change->user_}), change->head_.SerializeAsString());
  Status s = kv_->Write(batch);
  batch = WriteBatch();
  return s;
}

// --- Reads

Status BoxStore::Head(uint64_t user, storage::BoxHead* head) {
  Status s;
  auto found = GetProto<storage::BoxHead>(kv_, Key(space_, 'h', {user}), &s, "box head");
  *head = found.value_or(storage::BoxHead());
  return s;
}

std::optional<storage::StoredMessage> BoxStore::FindMessage(uint64_t user, uint64_t id, Status* status) {
  return GetProto<storage::StoredMessage>(kv_, Key(space_, 'm', {user, id}), status, "message");
}

uint64_t BoxStore::FindCopy(uint64_t user, uint64_t from, uint64_t random_id, Status* status) {
  if (from == user) {
    auto record = FindSend(user, random_id, status);
    return record ? record->result().message_id() : 0;
  }
  auto v = kv_->Get(Key(space_, 'i', {user, from, random_id}), status);
  return status->ok() && v ? GetBE(*v) : 0;
}

std::optional<storage::SendRecord> BoxStore::FindSend(uint64_t user, uint64_t random_id, Status* status) {
  return GetProto<storage::SendRecord>(kv_, SendKey(user, random_id), status, "send record");
}

bool BoxStore::InChannel(uint64_t user, uint64_t channel, Status* status) {
  return kv_->Get(Key(space_, 'j', {user, channel}), status).has_value();
}

Status BoxStore::ReadState(uint64_t user, const ChatKey& chat, storage::ReadState* state) {
  Status s;
  auto found = GetProto<storage::ReadState>(kv_, Key(space_, 'r', {user, chat.kind(), chat.peer()}), &s, "read state");
  *state = found.value_or(storage::ReadState());
  return s;
}

Status BoxStore::IncomingBetween(uint64_t user, const ChatKey& chat, uint64_t after, uint64_t upto,
                                 std::vector<IncomingMessage>* out) {
  out->clear();
  if (upto <= after) return Status::Ok();
  KvStore::Entries entries;
  const std::string to = upto == UINT64_MAX ? Key(space_, 'c', {user, chat.kind(), chat.peer() + 1})
                                            : Key(space_, 'c', {user, chat.kind(), chat.peer(), upto + 1});
  if (Status s = kv_->Scan(Key(space_, 'c', {user, chat.kind(), chat.peer(), after + 1}), to, SIZE_MAX, &entries);
      !s.ok())
    return s;
  for (const auto& [k, v] : entries) {
    const uint64_t from = GetBE(v);
    if (from != user)
      out->push_back({GetBE(std::string_view(k).substr(Skip() + 25, 8)), from, GetBE(std::string_view(v).substr(8))});
  }
  return Status::Ok();
}

Status BoxStore::ChatIds(uint64_t user, const ChatKey& chat, uint64_t from_id, uint64_t to_id, size_t limit,
                         bool newest_first, std::vector<uint64_t>* ids) {
  ids->clear();
  if (to_id <= from_id || limit == 0) return Status::Ok();
  const std::string from = Key(space_, 'c', {user, chat.kind(), chat.peer(), from_id});
  const std::string to = to_id == UINT64_MAX ? Key(space_, 'c', {user, chat.kind(), chat.peer() + 1})
                                             : Key(space_, 'c', {user, chat.kind(), chat.peer(), to_id});
  KvStore::Entries entries;
  Status s = newest_first ? kv_->ScanBack(from, to, limit, &entries) : kv_->Scan(from, to, limit, &entries);
  for (const auto& [k, v] : entries) ids->push_back(GetBE(std::string_view(k).substr(Skip() + 25, 8)));
  return s;
}

Status BoxStore::Expire(uint64_t user, int64_t before_us, size_t max, size_t* expired) {
  *expired = 0;
  storage::BoxHead head;
  if (Status s = Head(user, &head); !s.ok()) return s;
  KvStore::Entries entries;
  if (Status s = kv_->Scan(Key(space_, 'm', {user, head.expired_id() + 1}), Key(space_, 'm', {user, UINT64_MAX}), max,
                           &entries);
      !s.ok())
    return s;
  WriteBatch batch;
  uint64_t last_pts = head.expired_pts();
  for (const auto& [k, v] : entries) {
    storage::StoredMessage stored;
    if (Status s = Parse(v, &stored, "message"); !s.ok()) return s;
    const api::Message& m = stored.message();
    if (m.date_us() >= before_us) break;
    const ChatKey chat = ChatKey::Of(m);
    batch.Delete(k);
    batch.Delete(Key(space_, 'c', {user, chat.kind(), chat.peer(), m.id()}));
    batch.Delete(m.from_user() == user ? SendKey(user, m.random_id())
                                       : std::string(Key(space_, 'i', {user, m.from_user(), m.random_id()})));
    head.set_expired_id(m.id());
    last_pts = std::max(last_pts, stored.pts());
    ++*expired;
  }
  if (*expired == 0) return Status::Ok();
  // Every update before the last expired message's is older than it.
  for (uint64_t pts = head.expired_pts() + 1; pts <= last_pts; ++pts) batch.Delete(Key(space_, 'u', {user, pts}));
  head.set_expired_pts(last_pts);
  batch.Put(Key(space_, 'h', {user}), head.SerializeAsString());
  return kv_->Write(batch);
}

Status BoxStore::IndexChats() {
  constexpr size_t kIndexPage = 1024;
  std::string from = Key(space_, 'm', {});
  const std::string end = Key(space_, static_cast<char>('m' + 1), {});
  for (;;) {
    KvStore::Entries entries;
    if (Status s = kv_->Scan(from, end, kIndexPage, &entries); !s.ok() || entries.empty()) return s;
    WriteBatch batch;
    for (const auto& [k, v] : entries) {
      storage::StoredMessage stored;
      if (Status s = Parse(v, &stored, "message"); !s.ok()) return s;
      const api::Message& m = stored.message();
      const ChatKey chat = ChatKey::Of(m);
      const uint64_t user = GetBE(std::string_view(k).substr(Skip() + 1, 8));
      const std::string key = Key(space_, 'c', {user, chat.kind(), chat.peer(), m.id()});
      stored.deleted() ? batch.Delete(key) : batch.Put(key, BE(m.from_user()) + BE(m.origin_id()));
    }
    if (Status s = kv_->Write(batch); !s.ok()) return s;
    from = entries.back().first + '\0';
  }
}

Status BoxStore::Boxes(uint64_t after, size_t limit, std::vector<uint64_t>* users) {
  users->clear();
  KvStore::Entries entries;
  if (after == UINT64_MAX) return Status::Ok();
  Status s = kv_->Scan(Key(space_, 'h', {after + 1}), Key(space_, static_cast<char>('h' + 1), {}), limit, &entries);
  for (const auto& [k, v] : entries) users->push_back(GetBE(std::string_view(k).substr(Skip() + 1, 8)));
  return s;
}

std::optional<std::pair<uint64_t, storage::BoxOp>> BoxStore::OldestOp(uint64_t user, uint64_t peer_box,
                                                                      Status* status) {
  KvStore::Entries entries;
  // Entries are done oldest first, so none is left below the last one done:
  // the scan starts there rather than walking their deleted keys (a
  // store keeps tombstones until it compacts).
  auto done = done_below_.find({user, peer_box});
  const uint64_t from = done == done_below_.end() ? 0 : done->second;
  *status =
      kv_->Scan(Key(space_, 'o', {user, peer_box, from}), Key(space_, 'o', {user, peer_box, UINT64_MAX}), 1, &entries);
  if (!status->ok() || entries.empty()) return std::nullopt;
  storage::BoxOp op;
  *status = Parse(entries[0].second, &op, "outbox entry");
  if (!status->ok()) return std::nullopt;
  return std::make_pair(GetBE(std::string_view(entries[0].first).substr(Skip() + 17, 8)), std::move(op));
}

Status BoxStore::DoneOp(uint64_t user, uint64_t peer_box, uint64_t seq, WriteBatch extra) {
  extra.Delete(Key(space_, 'o', {user, peer_box, seq}));
  Status s = kv_->Write(extra);
  if (!s.ok()) return s;
  if (done_below_.size() >= kMaxDoneHints) done_below_.clear();  // a bound: scans then start at 0 again
  done_below_[{user, peer_box}] = seq + 1;
  return s;
}

Status BoxStore::OutboxesWithOps(std::vector<std::pair<uint64_t, uint64_t>>* out) {
  out->clear();
  std::string from = Key(space_, 'o', {});
  for (;;) {
    KvStore::Entries entries;
    if (Status s = kv_->Scan(from, Key(space_, 'p', {}), 1, &entries); !s.ok() || entries.empty()) return s;
    const std::string_view k = entries[0].first;
    const uint64_t user = GetBE(k.substr(Skip() + 1, 8)), peer = GetBE(k.substr(Skip() + 9, 8));
    out->emplace_back(user, peer);
    from = Key(space_, 'o', {user, peer, UINT64_MAX});  // past this outbox
    from.push_back('\0');
  }
}

Status BoxStore::ReadAfter(uint64_t user, uint64_t after, uint32_t limit, std::vector<api::Update>* out) {
  KvStore::Entries entries;
  if (Status s = kv_->Scan(Key(space_, 'u', {user, after + 1}), Key(space_, 'u', {user, UINT64_MAX}), limit, &entries);
      !s.ok())
    return s;
  out->clear();
  for (const auto& [k, v] : entries) {
    out->emplace_back();
    if (Status s = Parse(v, &out->back(), "update"); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace msgbed
