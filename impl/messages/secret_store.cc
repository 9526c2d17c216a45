#include "messages/secret_store.h"

#include "core/kv_proto.h"

namespace msgbed {
namespace {

void PutBe(std::string& s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
}

std::string Key(char tag, std::initializer_list<uint64_t> parts) {
  std::string k(1, tag);
  for (uint64_t p : parts) PutBe(k, p);
  return k;
}

uint64_t Be(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = v << 8 | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

std::optional<storage::SecretChatSide> SecretStore::Side(uint64_t user, uint64_t chat, Status* status) {
  return ReadProto<storage::SecretChatSide>(kv_, Key('e', {user, chat}), status, "secret chat record");
}

void SecretStore::PutSide(WriteBatch& batch, uint64_t user, const storage::SecretChatSide& side) const {
  batch.Put(Key('e', {user, side.chat().id()}), side.SerializeAsString());
}

void SecretStore::SetPending(WriteBatch& batch, uint64_t user, uint64_t chat, bool pending) const {
  if (pending) return batch.Put(Key('p', {user, chat}), "");
  batch.Delete(Key('p', {user, chat}));
}

Status SecretStore::Pending(uint64_t user, std::vector<storage::SecretChatSide>* out) {
  out->clear();
  KvStore::Entries entries;
  // A user has few open requests; a flood of them is bounded here.
  if (Status s = kv_->Scan(Key('p', {user}), Key('p', {user + 1}), 100, &entries); !s.ok()) return s;
  for (const auto& [key, value] : entries) {
    Status s;
    auto side = Side(user, Be(std::string_view(key).substr(9)), &s);
    if (!s.ok()) return s;
    if (side) out->push_back(std::move(*side));
  }
  return Status::Ok();
}

Status SecretStore::Enqueue(WriteBatch& batch, uint64_t user, uint64_t device, api::SecretUpdate* update) {
  Status s;
  // A batch may queue twice for one device: the staged head counts too.
  uint64_t last = 0;
  const std::string head = Key('Q', {user, device});
  bool staged = false;
  for (const auto& op : batch.ops()) {
    if (op.key == head && op.value) last = Be(*op.value), staged = true;
  }
  if (!staged) {
    auto bytes = kv_->Get(head, &s);
    if (!s.ok()) return s;
    if (bytes) last = Be(*bytes);
  }
  update->set_qts(last + 1);
  batch.Put(Key('q', {user, device, last + 1}), update->SerializeAsString());
  std::string next;
  PutBe(next, last + 1);
  batch.Put(head, std::move(next));
  return s;
}

Status SecretStore::ReadQueue(uint64_t user, uint64_t device, uint64_t after, uint32_t limit,
                              std::vector<api::SecretUpdate>* out, uint64_t* last_qts) {
  out->clear();
  Status s;
  auto head = kv_->Get(Key('Q', {user, device}), &s);
  if (!s.ok()) return s;
  *last_qts = head ? Be(*head) : 0;
  if (after >= *last_qts) return s;
  KvStore::Entries entries;
  if (s = kv_->Scan(Key('q', {user, device, after + 1}), Key('q', {user, device + 1}), limit, &entries); !s.ok())
    return s;
  for (const auto& [key, value] : entries) {
    out->emplace_back();
    if (!out->back().ParseFromString(value)) return Status::Corruption("an unreadable secret queue entry");
  }
  return s;
}

Status SecretStore::Acknowledge(uint64_t user, uint64_t device, uint64_t max_qts) {
  for (;;) {
    KvStore::Entries entries;
    const uint64_t end = max_qts == UINT64_MAX ? max_qts : max_qts + 1;
    if (Status s = kv_->Scan(Key('q', {user, device}), Key('q', {user, device, end}), 256, &entries);
        !s.ok() || entries.empty())
      return s;
    WriteBatch batch;
    for (const auto& entry : entries) batch.Delete(entry.first);
    if (Status s = kv_->Write(batch); !s.ok()) return s;
  }
}

std::optional<api::SentEncrypted> SecretStore::FindSent(uint64_t user, uint64_t random_id, Status* status) {
  return ReadProto<api::SentEncrypted>(kv_, Key('y', {user, random_id}), status, "secret send record");
}

void SecretStore::PutSent(WriteBatch& batch, uint64_t user, const api::SentEncrypted& sent) const {
  batch.Put(Key('y', {user, sent.random_id()}), sent.SerializeAsString());
}

}  // namespace msgbed
