// MemKvStore: KvStore in memory. Used by tests and the simulator, which
// charges the I/O time itself. A simulated run holds every message of
// every box here, so lookups and bytes per entry count: keys up to
// MemKey::kInline bytes (all the cores write) sit inside the tree's nodes,
// and a comparison touches no other memory.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/container/btree_set.h>
#include <absl/container/flat_hash_map.h>

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

// The store is split by key prefix: the first kPrefix bytes (a tag and a
// big-endian user or box id in every core's layout) pick a partition in a
// hash table, and each partition is a small B-tree of the rest of the
// key. A point read or write then touches a hash slot and one box's few
// nodes instead of descending a tree of every box's entries, a cache miss
// a level. Keys compare as (prefix, rest), which is the bytewise order of
// the whole key, so scans may cross partitions; an ordered index of the
// prefixes serves those.
class MemKvStore final : public KvStore {
 public:
  static constexpr size_t kPrefix = 9;

  std::optional<std::string> Get(std::string_view key, Status* status) override;
  Status Write(const WriteBatch& batch) override;
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;
  Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

  size_t size() const { return size_; }

 private:
  // A key's first min(size, kPrefix) bytes.
  struct Prefix {
    char bytes[kPrefix];
    uint8_t size;

    static Prefix Of(std::string_view key);
    std::string_view view() const { return {bytes, size}; }
    friend bool operator==(const Prefix& a, const Prefix& b) { return a.view() == b.view(); }
    template <typename H>
    friend H AbslHashValue(H h, const Prefix& p) {
      return H::combine(std::move(h), p.view());
    }
  };
  struct PrefixLess {
    bool operator()(const Prefix& a, const Prefix& b) const { return BytesLess(a.view(), b.view()); }
  };
  // One prefix's entries, keyed by the rest of the key. Nodes of 1 KiB:
  // an entry (inline key and value) is 64 bytes; a small partition's root
  // grows from one slot, so a box with few entries stays small.
  using Partition = absl::container_internal::btree_map_container<
      absl::container_internal::btree<absl::container_internal::map_params<
          MemKey, std::string, MemKeyLess, std::allocator<std::pair<const MemKey, std::string>>,
          /*TargetNodeSize=*/1024, /*IsMulti=*/false>>>;

  // Appends partition p's entries with key in [from, to) to out, up to
  // limit; from_rest is from's part past the prefix when from is in p.
  // False once a key reaches `to`.
  bool ScanPartition(const Prefix& p, const Partition& part, std::string_view from_rest, std::string_view to,
                     size_t limit, Entries* out) const;

  // Partitions are kept when they empty (an outbox empties after every
  // message), so the index changes only when a prefix is first written.
  absl::flat_hash_map<Prefix, Partition> parts_;
  absl::btree_set<Prefix, PrefixLess> order_;
  size_t size_ = 0;
};

}  // namespace msgbed
