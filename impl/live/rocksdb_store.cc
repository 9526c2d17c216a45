#include "live/rocksdb_store.h"

#include <rocksdb/write_batch.h>

#include <filesystem>

namespace msgbed::live {

namespace {
Status FromRocks(const rocksdb::Status& s) { return s.ok() ? Status::Ok() : Status::IoError(s.ToString()); }
rocksdb::Slice Sl(std::string_view v) { return rocksdb::Slice(v.data(), v.size()); }
}  // namespace

Status RocksDbStore::Open(const std::string& dir, bool sync, std::unique_ptr<RocksDbStore>* out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return FromRocks(s);
  out->reset(new RocksDbStore(std::unique_ptr<rocksdb::DB>(db), sync));
  return Status::Ok();
}

std::optional<std::string> RocksDbStore::Get(std::string_view key, Status* status) {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Sl(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) {
    *status = FromRocks(s);
    return std::nullopt;
  }
  return value;
}

Status RocksDbStore::Write(const WriteBatch& batch) {
  rocksdb::WriteBatch wb;
  for (const auto& op : batch.ops()) {
    if (op.value) {
      wb.Put(op.key, *op.value);
    } else {
      wb.Delete(op.key);
    }
  }
  rocksdb::WriteOptions options;
  options.sync = sync_;
  return FromRocks(db_->Write(options, &wb));
}

Status RocksDbStore::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  // The bound stops the iterator at `to`: without it, a range with no live
  // key walks every deleted key after it until the next live one (emptied
  // outboxes are such ranges, and their tombstones pile up).
  const rocksdb::Slice upper = Sl(to);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(Sl(from)); it->Valid() && out->size() < limit; it->Next()) {
    out->emplace_back(it->key().ToString(), it->value().ToString());
  }
  return FromRocks(it->status());
}

Status RocksDbStore::ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  out->clear();
  // Both bounds, for the same reason as Scan's upper one.
  const rocksdb::Slice lower = Sl(from), upper = Sl(to);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->SeekToLast(); it->Valid() && out->size() < limit; it->Prev()) {
    out->emplace_back(it->key().ToString(), it->value().ToString());
  }
  return FromRocks(it->status());
}

}  // namespace msgbed::live
