// RocksDbStore: a scan reads its range and nothing past it. Found with
// live_bench: an empty outbox's scan skipped every deleted outbox entry of
// the database that sorted after it (RocksDB's iterator walks tombstones
// until the next live key unless told where the range ends), so sends grew
// slower with every message (558/s after 20,000 messages, 2,414/s after
// 5,000).
#include "live/rocksdb_store.h"

#include <gtest/gtest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include "live/live_fixture.h"
#include "support/kv_store_contract.h"

namespace msgbed::testing {
namespace {

TEST(RocksDbStore, AScanNeverWalksTheTombstonesPastItsRange) {
  TempDir dir("rocksdb-scan");
  std::unique_ptr<live::RocksDbStore> store;
  ASSERT_TRUE(live::RocksDbStore::Open(dir.path().string(), false, &store).ok());
  WriteBatch put, del;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "d" + std::to_string(100000 + i);
    put.Put(key, "v");
    del.Delete(key);
  }
  put.Put("b", "1");
  put.Put("z", "2");
  ASSERT_TRUE(store->Write(put).ok());
  ASSERT_TRUE(store->Write(del).ok());

  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  KvStore::Entries empty;
  ASSERT_TRUE(store->Scan("c", "d", 1, &empty).ok());
  const uint64_t skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(skipped, 0u) << "deleted keys after the range were walked";

  KvStore::Entries all;
  ASSERT_TRUE(store->Scan("a", "zz", 10, &all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, "b");
  EXPECT_EQ(all[1].first, "z");
}

TEST(RocksDbStore, KeepsTheKvStoreContract) {
  TempDir dir("rocksdb-contract");
  std::unique_ptr<live::RocksDbStore> store;
  ASSERT_TRUE(live::RocksDbStore::Open(dir.path().string(), false, &store).ok());
  ExpectKvStoreContract(*store);
}

// As Scan, backwards: a page of history read newest first never walks the
// deleted keys before its range.
TEST(RocksDbStore, AScanBackNeverWalksTheTombstonesBeforeItsRange) {
  TempDir dir("rocksdb-scan-back");
  std::unique_ptr<live::RocksDbStore> store;
  ASSERT_TRUE(live::RocksDbStore::Open(dir.path().string(), false, &store).ok());
  WriteBatch put, del;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "d" + std::to_string(100000 + i);
    put.Put(key, "v");
    del.Delete(key);
  }
  put.Put("b", "1");
  ASSERT_TRUE(store->Write(put).ok());
  ASSERT_TRUE(store->Write(del).ok());

  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  KvStore::Entries empty;
  ASSERT_TRUE(store->ScanBack("e", "f", 1, &empty).ok());
  const uint64_t skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(skipped, 0u) << "deleted keys before the range were walked";
}

}  // namespace
}  // namespace msgbed::testing
