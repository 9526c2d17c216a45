#include "store/box_keys.h"

#include <algorithm>

#include "messages/placement.h"

namespace msgbed {
namespace {

std::string BE(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * (7 - i)));
  return s;
}

// [from, to) of the keys with this tag (after 'C' when channel) of box id.
void ScanTag(KvStore& kv, bool channel, unsigned char tag, uint64_t id, KvStore::Entries* out, Status* s) {
  std::string head = channel ? std::string(1, 'C') : std::string();
  head.push_back(static_cast<char>(tag));
  KvStore::Entries found;
  *s = kv.Scan(head + BE(id), head + BE(id + 1), SIZE_MAX, &found);
  out->insert(out->end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

}  // namespace

std::string BoxVersionKey(uint64_t id) { return "V" + BE(id); }

uint64_t DecodeBoxVersion(std::string_view value) {
  uint64_t version = 0;
  for (size_t i = 0; i < 8 && i < value.size(); ++i) version = version << 8 | static_cast<unsigned char>(value[i]);
  return version;
}

uint64_t BoxVersion(KvStore& kv, uint64_t id, Status* status) {
  const auto v = kv.Get(BoxVersionKey(id), status);
  return v ? DecodeBoxVersion(*v) : 0;
}

void PutBoxVersion(WriteBatch& batch, uint64_t id, uint64_t version) { batch.Put(BoxVersionKey(id), BE(version)); }

Status ReadBoxKeys(KvStore& kv, uint64_t id, KvStore::Entries* out) {
  out->clear();
  Status s;
  for (size_t i = 0; i < kIdTags.size() && s.ok(); ++i) ScanTag(kv, false, kIdTags[i], id, out, &s);
  for (size_t i = 0; i < kChannelBoxTags.size() && s.ok(); ++i) ScanTag(kv, true, kChannelBoxTags[i], id, out, &s);
  std::sort(out->begin(), out->end());
  return s;
}

Status ReplaceBox(KvStore& kv, uint64_t id, const google::protobuf::RepeatedPtrField<store::Entry>& entries) {
  KvStore::Entries old;
  if (Status s = ReadBoxKeys(kv, id, &old); !s.ok()) return s;
  WriteBatch batch;
  for (const auto& [key, value] : old) batch.Delete(key);
  for (const store::Entry& e : entries) batch.Put(e.key(), e.value());
  return kv.Write(batch);
}

}  // namespace msgbed
