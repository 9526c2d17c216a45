// MemKvStore: KvStore in memory (std::map). Used by tests and the simulator,
// which charges the I/O time itself.
#pragma once

#include <map>

#include "core/kv_store.h"

namespace msgbed {

class MemKvStore final : public KvStore {
 public:
  std::optional<std::string> Get(std::string_view key, Status* status) override;
  Status Write(const WriteBatch& batch) override;
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

  size_t size() const { return map_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> map_;
};

}  // namespace msgbed
