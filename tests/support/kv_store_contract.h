// What every KvStore must do (core/kv_store.h), checked against one that
// starts empty: batches apply in order and atomically visible, keys compare
// as unsigned bytes, scans in both directions keep to [from, to) and limit.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/kv_store.h"

namespace msgbed::testing {

inline KvStore::Entries ExpectScan(KvStore& kv, std::string_view from, std::string_view to, size_t limit,
                                   bool back = false) {
  KvStore::Entries out;
  const Status s = back ? kv.ScanBack(from, to, limit, &out) : kv.Scan(from, to, limit, &out);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

inline void ExpectKvStoreContract(KvStore& kv) {
  Status s;
  EXPECT_FALSE(kv.Get("a", &s).has_value());
  EXPECT_TRUE(s.ok());

  WriteBatch batch;
  batch.Put("b", "1");
  batch.Put("a", "x");
  batch.Delete("a");  // in batch order: a ends absent
  batch.Put(std::string("c\0d", 3), "nul inside");
  batch.Put("c\xff", "high byte");
  batch.Put("d", "");
  batch.Put("b", "2");  // the last put wins
  ASSERT_TRUE(kv.Write(batch).ok());
  EXPECT_FALSE(kv.Get("a", &s).has_value());
  EXPECT_EQ(kv.Get("b", &s).value_or("<absent>"), "2");
  EXPECT_EQ(kv.Get("d", &s).value_or("<absent>"), "") << "an empty value is a value";
  EXPECT_EQ(kv.Get(std::string("c\0d", 3), &s).value_or("<absent>"), "nul inside");

  const KvStore::Entries all = {{"b", "2"}, {std::string("c\0d", 3), "nul inside"}, {"c\xff", "high byte"}, {"d", ""}};
  EXPECT_EQ(ExpectScan(kv, "", "z", 100), all);
  EXPECT_EQ(ExpectScan(kv, "b", "d", 100), KvStore::Entries(all.begin(), all.begin() + 3)) << "to is exclusive";
  EXPECT_EQ(ExpectScan(kv, "b\x01", "c\xff", 100), KvStore::Entries(all.begin() + 1, all.begin() + 2));
  EXPECT_EQ(ExpectScan(kv, "", "z", 2), KvStore::Entries(all.begin(), all.begin() + 2));
  EXPECT_TRUE(ExpectScan(kv, "e", "z", 100).empty());

  const KvStore::Entries back(all.rbegin(), all.rend());
  EXPECT_EQ(ExpectScan(kv, "", "z", 100, true), back);
  EXPECT_EQ(ExpectScan(kv, "", "z", 2, true), KvStore::Entries(back.begin(), back.begin() + 2));
  EXPECT_EQ(ExpectScan(kv, "b", "d", 100, true), KvStore::Entries(back.begin() + 1, back.end()))
      << "from is inclusive, to exclusive";
  EXPECT_EQ(ExpectScan(kv, "c", "c\xff", 100, true), KvStore::Entries(back.begin() + 2, back.begin() + 3));
  EXPECT_TRUE(ExpectScan(kv, "0", "b", 100, true).empty());

  // Deleted keys inside and around a range are not returned either way.
  WriteBatch del;
  del.Delete("b");
  del.Delete("d");
  ASSERT_TRUE(kv.Write(del).ok());
  EXPECT_EQ(ExpectScan(kv, "", "z", 100), KvStore::Entries(all.begin() + 1, all.begin() + 3));
  EXPECT_EQ(ExpectScan(kv, "", "z", 100, true), KvStore::Entries(back.begin() + 1, back.begin() + 3));
}

}  // namespace msgbed::testing
