#include "messages/box_store.h"

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

// Built in a buffer and copied once: a key is made for every storage
// operation of every message.
std::string Key(char tag, std::initializer_list<uint64_t> parts) {
  char buf[1 + 8 * 3];
  assert(parts.size() <= 3);
  size_t n = 0;
  buf[n++] = tag;
  for (uint64_t p : parts) {
    for (int i = 7; i >= 0; --i) buf[n++] = static_cast<char>((p >> (8 * i)) & 0xff);
  }
  return std::string(buf, n);
}

template <typename Proto>
Status Parse(const std::string& bytes, Proto* out, const char* what) {
  if (!out->ParseFromString(bytes)) return Status::Corruption(std::string("unparsable ") + what);
  return Status::Ok();
}

}  // namespace

Status BoxStore::Head(uint64_t user, storage::BoxHead* head) {
  Status s;
  auto v = kv_->Get(Key('h', {user}), &s);
  head->Clear();
  if (!s.ok() || !v) return s;
  return Parse(*v, head, "box head");
}

Status BoxStore::Stage(uint64_t user, const api::Message& msg, api::UpdateNewMessage* update, WriteBatch* batch) {
  storage::BoxHead head;
  if (Status s = Head(user, &head); !s.ok()) return s;
  head.set_pts(head.pts() + 1);
  head.set_last_message_id(head.last_message_id() + 1);
  update->Clear();
  *update->mutable_message() = msg;
  update->mutable_message()->set_id(head.last_message_id());
  update->set_pts(head.pts());
  update->set_pts_count(1);
  batch->Put(Key('h', {user}), head.SerializeAsString());
  batch->Put(Key('u', {user, head.pts()}), update->SerializeAsString());
  return Status::Ok();
}

Status BoxStore::AppendOutgoing(uint64_t user, const api::Message& msg, api::UpdateNewMessage* update,
                                storage::SendRecord* record) {
  WriteBatch batch;
  if (Status s = Stage(user, msg, update, &batch); !s.ok()) return s;
  record->Clear();
  api::SentMessage* r = record->mutable_result();
  r->set_random_id(msg.random_id());
  r->set_message_id(update->message().id());
  r->set_pts(update->pts());
  r->set_pts_count(update->pts_count());
  r->set_date_us(msg.date_us());
  api::Message* peer_copy = record->mutable_message();
  *peer_copy = msg;
  peer_copy->set_id(0);
  peer_copy->set_peer_user(user);  // in the peer's box, the chat is with the sender
  record->set_peer_box(msg.peer_user());
  record->set_peer_done(msg.peer_user() == user);
  batch.Put(Key('s', {user, msg.random_id()}), record->SerializeAsString());
  if (!record->peer_done()) {
    std::string random_id;
    PutBE(&random_id, msg.random_id());
    batch.Put(Key('o', {user, msg.peer_user(), update->pts()}), random_id);
  }
  return kv_->Write(batch);
}

Status BoxStore::AppendIncoming(uint64_t user, const api::Message& msg, api::UpdateNewMessage* update, bool* appended) {
  *appended = false;
  const std::string dedup = Key('i', {user, msg.from_user(), msg.random_id()});
  Status s;
  if (kv_->Get(dedup, &s).has_value() || !s.ok()) return s;
  WriteBatch batch;
  if (s = Stage(user, msg, update, &batch); !s.ok()) return s;
  std::string pts;
  PutBE(&pts, update->pts());
  batch.Put(dedup, pts);
  s = kv_->Write(batch);
  *appended = s.ok();
  return s;
}

std::optional<storage::SendRecord> BoxStore::FindSend(uint64_t user, uint64_t random_id, Status* status) {
  auto v = kv_->Get(Key('s', {user, random_id}), status);
  if (!status->ok() || !v) return std::nullopt;
  storage::SendRecord record;
  *status = Parse(*v, &record, "send record");
  if (!status->ok()) return std::nullopt;
  return record;
}

Status BoxStore::MarkPeerDone(uint64_t user, storage::SendRecord record) {
  record.set_peer_done(true);
  WriteBatch batch;
  batch.Put(Key('s', {user, record.result().random_id()}), record.SerializeAsString());
  batch.Delete(Key('o', {user, record.peer_box(), record.result().pts()}));
  return kv_->Write(batch);
}

std::optional<storage::SendRecord> BoxStore::OldestUnsent(uint64_t user, uint64_t peer, Status* status) {
  KvStore::Entries entries;
  *status = kv_->Scan(Key('o', {user, peer, 0}), Key('o', {user, peer, UINT64_MAX}), 1, &entries);
  if (!status->ok() || entries.empty()) return std::nullopt;
  return FindSend(user, GetBE(entries[0].second), status);
}

Status BoxStore::ChatsWithUnsent(std::vector<std::pair<uint64_t, uint64_t>>* out) {
  out->clear();
  std::string from = Key('o', {});
  for (;;) {
    KvStore::Entries entries;
    if (Status s = kv_->Scan(from, Key('p', {}), 1, &entries); !s.ok() || entries.empty()) return s;
    const std::string& k = entries[0].first;
    const uint64_t user = GetBE(k.substr(1, 8)), peer = GetBE(k.substr(9, 8));
    out->emplace_back(user, peer);
    from = Key('o', {user, peer, UINT64_MAX});  // past this chat
    from.push_back('\0');
  }
}

Status BoxStore::ReadAfter(uint64_t user, uint64_t after, uint32_t limit, std::vector<api::UpdateNewMessage>* out) {
  KvStore::Entries entries;
  if (Status s = kv_->Scan(Key('u', {user, after + 1}), Key('u', {user, UINT64_MAX}), limit, &entries); !s.ok())
    return s;
  out->clear();
  for (const auto& [k, v] : entries) {
    out->emplace_back();
    if (Status s = Parse(v, &out->back(), "update"); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace msgbed
