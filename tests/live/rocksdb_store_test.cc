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

#include <functional>

#include "live/live_fixture.h"
#include "messages/box_store.h"
#include "support/kv_store_contract.h"

namespace msgbed::testing {
namespace {

// A store holding "b", "z" and 10,000 deleted keys "d100000".. between them.
void WithTombstones(const std::string& tag, const std::function<void(KvStore&)>& check) {
  TempDir dir(tag);
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
  check(*store);
}

// Deleted keys RocksDB walked while scan ran (its perf counters).
uint64_t TombstonesWalked(const std::function<void()>& scan) {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  scan();
  const uint64_t skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  return skipped;
}

TEST(RocksDbStore, AScanNeverWalksTheTombstonesPastItsRange) {
  WithTombstones("rocksdb-scan", [](KvStore& store) {
    KvStore::Entries empty;
    EXPECT_EQ(TombstonesWalked([&] { ASSERT_TRUE(store.Scan("c", "d", 1, &empty).ok()); }), 0u)
        << "deleted keys after the range were walked";
    EXPECT_TRUE(empty.empty());
    KvStore::Entries all;
    ASSERT_TRUE(store.Scan("a", "zz", 10, &all).ok());
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].first, "b");
    EXPECT_EQ(all[1].first, "z");
  });
}

// As Scan, backwards: a page of history read newest first never walks the
// deleted keys before its range.
TEST(RocksDbStore, AScanBackNeverWalksTheTombstonesBeforeItsRange) {
  WithTombstones("rocksdb-scan-back", [](KvStore& store) {
    KvStore::Entries empty;
    EXPECT_EQ(TombstonesWalked([&] { ASSERT_TRUE(store.ScanBack("e", "f", 1, &empty).ok()); }), 0u)
        << "deleted keys before the range were walked";
    EXPECT_TRUE(empty.empty());
  });
}

TEST(RocksDbStore, KeepsTheKvStoreContract) {
  TempDir dir("rocksdb-contract");
  std::unique_ptr<live::RocksDbStore> store;
  ASSERT_TRUE(live::RocksDbStore::Open(dir.path().string(), false, &store).ok());
  ExpectKvStoreContract(*store);
}

}  // namespace
}  // namespace msgbed::testing

namespace msgbed::testing {
namespace {

// Found with bot_api_bench: every send's Pump looked for the oldest entry
// of its outbox from sequence 0, walking the tombstone of every entry done
// before, so one chat's sends grew slower as 1/n (173/s by its 10,000th).
TEST(RocksDbStore, TheOldestOutboxEntryIsFoundWithoutWalkingTheDoneOnes) {
  TempDir dir("rocksdb-outbox");
  std::unique_ptr<live::RocksDbStore> store;
  ASSERT_TRUE(live::RocksDbStore::Open(dir.path().string(), false, &store).ok());
  BoxStore boxes(store.get());
  storage::BoxOp op;
  op.set_kind(storage::BoxOp::APPEND);
  auto queue = [&] {
    BoxStore::Change change;
    ASSERT_TRUE(boxes.Begin(1, &change).ok());
    change.Queue(2, op);
    ASSERT_TRUE(boxes.Commit(&change).ok());
  };
  Status s;
  for (int i = 0; i < 500; ++i) {
    queue();
    const auto oldest = boxes.OldestOp(1, 2, &s);
    ASSERT_TRUE(oldest.has_value());
    ASSERT_TRUE(boxes.DoneOp(1, 2, oldest->first).ok());
  }
  queue();
  std::optional<std::pair<uint64_t, storage::BoxOp>> oldest;
  EXPECT_EQ(TombstonesWalked([&] { oldest = boxes.OldestOp(1, 2, &s); }), 0u) << "the 500 done entries were walked";
  ASSERT_TRUE(oldest.has_value());
  // A store opened afresh (a restart) still finds it, walking them once.
  BoxStore again(store.get());
  EXPECT_EQ(again.OldestOp(1, 2, &s)->first, oldest->first);
}

}  // namespace
}  // namespace msgbed::testing
