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

MemKvStore::Prefix MemKvStore::Prefix::Of(std::string_view key) {
  Prefix p{};
  p.size = static_cast<uint8_t>(std::min(key.size(), kPrefix));
  std::memcpy(p.bytes, key.data(), p.size);
  return p;
}

std::optional<std::string> MemKvStore::Get(std::string_view key, Status* status) {
  *status = Status::Ok();
  const Prefix prefix = Prefix::Of(key);
  auto part = parts_.find(prefix);
  if (part == parts_.end()) return std::nullopt;
  auto it = part->second.find(key.substr(prefix.size));
  if (it == part->second.end()) return std::nullopt;
  return it->second;
}

Status MemKvStore::Write(const WriteBatch& batch) {
  for (const auto& op : batch.ops()) {
    const Prefix prefix = Prefix::Of(op.key);
    const std::string_view rest = std::string_view(op.key).substr(prefix.size);
    if (!op.value) {
      if (auto part = parts_.find(prefix); part != parts_.end()) size_ -= part->second.erase(rest);
      continue;
    }
    auto [part, created] = parts_.try_emplace(prefix);
    if (created) order_.insert(prefix);
    auto it = part->second.lower_bound(rest);
    if (it != part->second.end() && it->first.view() == rest) {
      it->second = *op.value;
    } else {
      part->second.emplace_hint(it, MemKey(rest), *op.value);
      ++size_;
    }
  }
  return Status::Ok();
}

bool MemKvStore::ScanPartition(const Prefix& p, const Partition& part, std::string_view from_rest, std::string_view to,
                               size_t limit, Entries* out) const {
  std::string key(p.view());
  for (auto it = part.lower_bound(from_rest); it != part.end(); ++it) {
    if (out->size() == limit) return false;
    key.resize(p.size);
    key.append(it->first.view());
    if (!BytesLess(key, to)) return false;
    out->emplace_back(key, it->second);
  }
  return out->size() < limit;
}

Status MemKvStore::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  out->clear();
  const Prefix first = Prefix::Of(from);
  if (auto part = parts_.find(first); part != parts_.end()) {
    if (!ScanPartition(first, part->second, from.substr(first.size), to, limit, out)) return Status::Ok();
  }
  // Keys past first's partition are past `to` when `to` shares its prefix:
  // the usual scan, of one box's entries of one kind, ends here.
  if (first.size == kPrefix && to.substr(0, kPrefix) == first.view()) return Status::Ok();
  for (auto p = order_.upper_bound(first); p != order_.end() && BytesLess(p->view(), to); ++p) {
    if (!ScanPartition(*p, parts_.find(*p)->second, {}, to, limit, out)) break;
  }
  return Status::Ok();
}

Status MemKvStore::ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  out->clear();
  // A partition whose prefix sorts after to's holds only keys past `to`;
  // one that shares it, keys on both sides.
  const Prefix last = Prefix::Of(to);
  std::string key;
  for (auto p = order_.upper_bound(last); p != order_.begin() && out->size() < limit;) {
    --p;
    const Partition& part = parts_.find(*p)->second;
    auto it = *p == last ? part.lower_bound(to.substr(last.size)) : part.end();
    while (it != part.begin() && out->size() < limit) {
      --it;
      key.assign(p->view());
      key.append(it->first.view());
      if (!BytesLess(key, to)) continue;
      if (BytesLess(key, from)) return Status::Ok();
      out->emplace_back(key, it->second);
    }
  }
  return Status::Ok();
}

}  // namespace msgbed
