// KvStore: the ordered key-value storage a core sees. Live: RocksDB.
// Simulated and in tests: MemKvStore. Keys compare bytewise.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace msgbed {

// A set of puts and deletes applied atomically, in order, by KvStore::Write.
class WriteBatch {
 public:
  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete key
  };
  void Put(std::string key, std::string value) { ops_.push_back({std::move(key), std::move(value)}); }
  void Delete(std::string key) { ops_.push_back({std::move(key), std::nullopt}); }
  const std::vector<Op>& ops() const { return ops_; }
  size_t ByteSize() const {
    size_t n = 0;
    for (const Op& op : ops_) n += op.key.size() + (op.value ? op.value->size() : 0);
    return n;
  }

 private:
  std::vector<Op> ops_;
};

class KvStore {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;
  virtual ~KvStore() = default;

  // The value at key, std::nullopt if absent. Sets *status on failure.
  virtual std::optional<std::string> Get(std::string_view key, Status* status) = 0;

  // Applies every operation of batch, or none of them. Durable when it returns Ok.
  virtual Status Write(const WriteBatch& batch) = 0;

  // Entries with from <= key < to, ascending, at most limit of them.
  virtual Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) = 0;

  // Entries with from <= key < to, descending (the greatest first), at most
  // limit of them: a page read backwards, as history is.
  virtual Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) = 0;
};

}  // namespace msgbed
