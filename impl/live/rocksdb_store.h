// RocksDbStore: the live KvStore, one RocksDB database per service instance.
// With sync (the default) each Write reaches the disk before it returns,
// KvStore's "durable when it returns Ok" contract; without it a machine
// crash may lose the last writes (a process crash does not).
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "core/kv_store.h"

namespace msgbed::live {

class RocksDbStore final : public KvStore {
 public:
  // Opens or creates the database at dir (parents included).
  static Status Open(const std::string& dir, bool sync, std::unique_ptr<RocksDbStore>* out);

  std::optional<std::string> Get(std::string_view key, Status* status) override;
  Status Write(const WriteBatch& batch) override;
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;
  Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, bool sync) : db_(std::move(db)), sync_(sync) {}
  std::unique_ptr<rocksdb::DB> db_;
  bool sync_;
};

}  // namespace msgbed::live
