// MemKvStore: KvStore in memory, a B-tree. Used by tests and the
// simulator, which charges the I/O time itself. A simulated run holds every
// message of every box here, so lookups and bytes per entry count: keys up
// to MemKey::kInline bytes (all the cores write) sit inside the tree's
// nodes, and a comparison touches no other memory.
#pragma once

#include <absl/container/btree_map.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/kv_store.h"

namespace msgbed {

// A key, inline when short, on the heap otherwise. Compares bytewise.
class MemKey {
 public:
  static constexpr size_t kInline = 28;

  explicit MemKey(std::string_view k);
  MemKey(const MemKey& o) : MemKey(o.view()) {}
  MemKey(MemKey&& o) noexcept : size_(o.size_) {
    std::memcpy(buf_, o.buf_, sizeof buf_);
    o.size_ = 0;
  }
  MemKey& operator=(MemKey o) noexcept {
    std::swap(size_, o.size_);
    std::swap(buf_, o.buf_);
    return *this;
  }
  ~MemKey() {
    if (!inline_()) delete[] heap();
  }

  std::string_view view() const { return {inline_() ? buf_ : heap(), size_}; }

 private:
  bool inline_() const { return size_ <= kInline; }
  char* heap() const {
    char* p;
    std::memcpy(&p, buf_, sizeof p);
    return p;
  }

  uint32_t size_;
  char buf_[kInline];  // the bytes, or a pointer to them
};

// Bytewise a < b, eight bytes at a time: keys are a tag and big-endian
// integers (17 to 25 bytes), and a call to memcmp per comparison was the
// largest single cost of a lookup.
inline bool BytesLess(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= n; i += 8) {
      uint64_t x, y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
    }
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

struct MemKeyLess {
  using is_transparent = void;
  static std::string_view V(const MemKey& k) { return k.view(); }
  static std::string_view V(std::string_view k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return BytesLess(V(a), V(b));
  }
};

class MemKvStore final : public KvStore {
 public:
  std::optional<std::string> Get(std::string_view key, Status* status) override;
  Status Write(const WriteBatch& batch) override;
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

  size_t size() const { return map_.size(); }

 private:
  // absl::btree_map with nodes of 2 KiB instead of 256 bytes: an entry is
  // 64 bytes, so a 256-byte node holds four and a store of 300,000 entries
  // is eleven levels deep, a cache miss each; with 32 per node it is four.
  using Map = absl::container_internal::btree_map_container<
      absl::container_internal::btree<absl::container_internal::map_params<
          MemKey, std::string, MemKeyLess, std::allocator<std::pair<const MemKey, std::string>>,
          /*TargetNodeSize=*/1024, /*IsMulti=*/false>>>;
  Map map_;
};

}  // namespace msgbed
