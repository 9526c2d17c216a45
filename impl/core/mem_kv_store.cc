#include "core/mem_kv_store.h"

namespace msgbed {

MemKey::MemKey(std::string_view k) : size_(static_cast<uint32_t>(k.size())) {
  if (inline_()) {
    std::memcpy(buf_, k.data(), k.size());
    return;
  }
  char* p = new char[k.size()];
  std::memcpy(p, k.data(), k.size());
  std::memcpy(buf_, &p, sizeof p);
}

std::optional<std::string> MemKvStore::Get(std::string_view key, Status* status) {
  *status = Status::Ok();
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

Status MemKvStore::Write(const WriteBatch& batch) {
  for (const auto& op : batch.ops()) {
    auto it = map_.lower_bound(std::string_view(op.key));
    const bool found = it != map_.end() && it->first.view() == op.key;
    if (!op.value) {
      if (found) map_.erase(it);
    } else if (found) {
      it->second = *op.value;
    } else {
      map_.emplace_hint(it, MemKey(op.key), *op.value);
    }
  }
  return Status::Ok();
}

Status MemKvStore::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  out->clear();
  for (auto it = map_.lower_bound(from); it != map_.end() && BytesLess(it->first.view(), to) && out->size() < limit;
       ++it) {
    out->emplace_back(it->first.view(), it->second);
  }
  return Status::Ok();
}

}  // namespace msgbed
