#include "core/mem_kv_store.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "support/kv_store_contract.h"

namespace msgbed {
namespace {

std::string Value(MemKvStore& kv, std::string_view key) {
  Status s;
  auto v = kv.Get(key, &s);
  EXPECT_TRUE(s.ok());
  return v ? *v : "<absent>";
}

TEST(MemKvStore, KeepsTheKvStoreContract) {
  MemKvStore kv;
  testing::ExpectKvStoreContract(kv);
}

TEST(MemKvStore, PutsOverwritesAndDeletesApplyInBatchOrder) {
  MemKvStore kv;
  WriteBatch b;
  b.Put("a", "1");
  b.Put("a", "2");
  b.Put("b", "x");
  b.Delete("b");
  b.Delete("never-there");
  ASSERT_TRUE(kv.Write(b).ok());
  EXPECT_EQ(Value(kv, "a"), "2");
  EXPECT_EQ(Value(kv, "b"), "<absent>");
  EXPECT_EQ(kv.size(), 1u);
}

TEST(MemKvStore, KeysLongerThanTheInlineBufferWorkLikeShortOnes) {
  MemKvStore kv;
  const std::string shortk(MemKey::kInline, 'k'), longk(MemKey::kInline + 1, 'k'), huge(1000, 'z');
  WriteBatch b;
  b.Put(longk, "long");
  b.Put(shortk, "short");
  b.Put(huge, "huge");
  ASSERT_TRUE(kv.Write(b).ok());
  EXPECT_EQ(Value(kv, shortk), "short");
  EXPECT_EQ(Value(kv, longk), "long");
  EXPECT_EQ(Value(kv, huge), "huge");
  KvStore::Entries all;
  ASSERT_TRUE(kv.Scan("", "\xff", 10, &all).ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].first, shortk);  // a prefix sorts first
  EXPECT_EQ(all[1].first, longk);
  EXPECT_EQ(all[2].first, huge);
}

TEST(MemKvStore, KeysCompareAsUnsignedBytes) {
  MemKvStore kv;
  WriteBatch b;
  b.Put(std::string("\x80", 1), "high");
  b.Put(std::string("\x01", 1), "low");
  b.Put(std::string("\0\0", 2), "zero");
  ASSERT_TRUE(kv.Write(b).ok());
  KvStore::Entries all;
  ASSERT_TRUE(kv.Scan(std::string_view("\0", 1), "\xff", 10, &all).ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].second, "zero");
  EXPECT_EQ(all[1].second, "low");
  EXPECT_EQ(all[2].second, "high");
}

TEST(MemKvStore, BytesLessIsLexicographicOverUnsignedBytesAtEveryLength) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    std::string a(rng() % 30, '\0'), b;
    for (char& c : a) c = static_cast<char>(rng() % 4 == 0 ? 0xff : rng() % 3);
    b = a.substr(0, rng() % (a.size() + 1));
    for (size_t extra = rng() % 12; extra > 0; --extra)
      b.push_back(static_cast<char>(rng() % 3 == 0 ? 0x80 : rng() % 3));
    ASSERT_EQ(BytesLess(a, b), a < b) << i;  // std::string compares as unsigned char
    ASSERT_EQ(BytesLess(b, a), b < a) << i;
  }
}

// Random puts, deletes and scans agree with std::map<std::string, ...>
// for keys from `key`.
void AgreesWithAnOrderedMap(std::mt19937_64& rng, const std::function<std::string()>& key) {
  MemKvStore kv;
  std::map<std::string, std::string> ref;
  for (int round = 0; round < 20000; ++round) {
    WriteBatch b;
    for (int i = 0; i < 3; ++i) {
      std::string k = key();
      if (rng() % 3 == 0) {
        b.Delete(k);
        ref.erase(k);
      } else {
        b.Put(k, std::to_string(round));
        ref[k] = std::to_string(round);
      }
    }
    ASSERT_TRUE(kv.Write(b).ok());
    std::string from = key(), to = key();
    if (to < from) std::swap(from, to);
    const size_t limit = rng() % 8;
    KvStore::Entries got;
    ASSERT_TRUE(kv.Scan(from, to, limit, &got).ok());
    KvStore::Entries want;
    for (auto it = ref.lower_bound(from); it != ref.end() && it->first < to && want.size() < limit; ++it)
      want.emplace_back(*it);
    ASSERT_EQ(got, want) << "round " << round;
    ASSERT_TRUE(kv.ScanBack(from, to, limit, &got).ok());
    want.clear();
    for (auto it = ref.lower_bound(to); it != ref.begin() && want.size() < limit;) {
      if ((--it)->first < from) break;
      want.emplace_back(*it);
    }
    ASSERT_EQ(got, want) << "round " << round << " backwards";
    ASSERT_EQ(Value(kv, from), ref.count(from) ? ref[from] : "<absent>");
  }
  EXPECT_EQ(kv.size(), ref.size());
}

// Over short and long keys, while the trees split and merge nodes.
TEST(MemKvStore, AgreesWithAnOrderedMapUnderRandomOperations) {
  std::mt19937_64 rng(7);
  AgreesWithAnOrderedMap(rng, [&] {
    std::string k(1 + rng() % 40, '\0');
    for (char& c : k) c = static_cast<char>('a' + rng() % 3);
    return k;
  });
}

// Keys laid out as the cores lay them out, a tag and a big-endian id, then
// a few more bytes: most keys and scans share a partition's prefix, some
// are shorter than it, and scans run from one partition into the next.
TEST(MemKvStore, AgreesWithAnOrderedMapOverKeysSharingPrefixes) {
  std::mt19937_64 rng(11);
  AgreesWithAnOrderedMap(rng, [&] {
    std::string k(1, static_cast<char>('a' + rng() % 2));
    k.append(7, '\0');
    k.push_back(static_cast<char>(rng() % 3 == 0 ? 0xff : rng() % 3));
    k.resize(rng() % 4 == 0 ? rng() % 10 : k.size());  // some end inside the prefix
    for (size_t extra = rng() % 3; extra > 0; --extra) k.push_back(static_cast<char>(rng() % 2 ? 0x80 : 1));
    return k;
  });
}

}  // namespace
}  // namespace msgbed
