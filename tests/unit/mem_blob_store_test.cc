#include "core/mem_blob_store.h"

#include <gtest/gtest.h>

#include "support/blob_store_contract.h"

namespace msgbed::testing {
namespace {

TEST(MemBlobStore, KeepsTheBlobStoreContract) {
  MemBlobStore store;
  ExpectBlobStoreContract(store);
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(MemBlobStore, CountsBlobAndStagedBytes) {
  MemBlobStore store;
  ASSERT_TRUE(store.PutPart("u", 0, "12345").ok());
  ASSERT_TRUE(store.PutPart("u", 0, "123").ok());
  EXPECT_EQ(store.bytes(), 3u);
  ASSERT_TRUE(store.Seal("u", 1, Sha256::Of("123")).ok());
  EXPECT_EQ(store.blob_bytes(), 3u);
  EXPECT_EQ(store.bytes(), 3u);
}

}  // namespace
}  // namespace msgbed::testing
