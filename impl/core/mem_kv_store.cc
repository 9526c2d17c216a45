#include "core/mem_kv_store.h"

namespace msgbed {

std::optional<std::string> MemKvStore::Get(std::string_view key, Status* status) {
  *status = Status::Ok();
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

Status MemKvStore::Write(const WriteBatch& batch) {
  for (const auto& op : batch.ops()) {
    if (op.value) {
      map_[op.key] = *op.value;
    } else {
      map_.erase(op.key);
    }
  }
  return Status::Ok();
}

Status MemKvStore::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  out->clear();
  for (auto it = map_.lower_bound(from); it != map_.end() && it->first < to && out->size() < limit; ++it) {
    out->emplace_back(it->first, it->second);
  }
  return Status::Ok();
}

}  // namespace msgbed
