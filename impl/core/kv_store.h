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

// A set of puts applied atomically by KvStore::Write.
class WriteBatch {
 public:
  void Put(std::string key, std::string value) { puts_.emplace_back(std::move(key), std::move(value)); }
  const std::vector<std::pair<std::string, std::string>>& puts() const { return puts_; }
  size_t ByteSize() const {
    size_t n = 0;
    for (const auto& [k, v] : puts_) n += k.size() + v.size();
    return n;
  }

 private:
  std::vector<std::pair<std::string, std::string>> puts_;
};

class KvStore {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;
  virtual ~KvStore() = default;

  // The value at key, std::nullopt if absent. Sets *status on failure.
  virtual std::optional<std::string> Get(std::string_view key, Status* status) = 0;

  // Applies every put of batch, or none of them. Durable when it returns Ok.
  virtual Status Write(const WriteBatch& batch) = 0;

  // Entries with from <= key < to, ascending, at most limit of them.
  virtual Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) = 0;
};

}  // namespace msgbed
