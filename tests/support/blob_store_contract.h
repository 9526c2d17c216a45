// What every BlobStore must do (core/blob_store.h), checked against one.
#pragma once

#include <gtest/gtest.h>

#include "core/blob_store.h"
#include "core/sha256.h"

namespace msgbed::testing {

inline void ExpectBlobStoreContract(BlobStore& store) {
  const std::string one = "the first part, ", two = "and the second";
  const std::string sha = Sha256::Of(one + two);
  std::string out;
  EXPECT_TRUE(store.Read(sha, 0, 10, &out).IsNotFound());
  EXPECT_TRUE(store.PutPart("Bad Name", 0, one).IsInvalid());
  ASSERT_TRUE(store.PutPart("up-1", 1, two).ok());
  EXPECT_TRUE(store.Seal("up-1", 2, sha).IsNotFound()) << "part 0 is missing";
  ASSERT_TRUE(store.PutPart("up-1", 0, "replaced below").ok());
  ASSERT_TRUE(store.PutPart("up-1", 0, one).ok());
  ASSERT_TRUE(store.ReadPart("up-1", 0, &out).ok());
  EXPECT_EQ(out, one);
  ASSERT_TRUE(store.Seal("up-1", 2, sha).ok());
  EXPECT_TRUE(store.ReadPart("up-1", 0, &out).IsNotFound()) << "sealing removes the upload";
  ASSERT_TRUE(store.Read(sha, 4, 5, &out).ok());
  EXPECT_EQ(out, "first");
  ASSERT_TRUE(store.Read(sha, 20, 1000, &out).ok());
  EXPECT_EQ(out, (one + two).substr(20));
  ASSERT_TRUE(store.Read(sha, 1000, 10, &out).ok());
  EXPECT_EQ(out, "");

  // The same bytes again keep the blob; other bytes under its name are refused.
  ASSERT_TRUE(store.PutPart("up-2", 0, one + two).ok());
  EXPECT_TRUE(store.Seal("up-2", 1, sha).ok());
  ASSERT_TRUE(store.PutPart("up-3", 0, "forged").ok());
  EXPECT_TRUE(store.Seal("up-3", 1, sha).IsCorruption());
  EXPECT_TRUE(store.ReadPart("up-3", 0, &out).IsNotFound()) << "a refused upload is removed";
  ASSERT_TRUE(store.Read(sha, 0, 1000, &out).ok());
  EXPECT_EQ(out, one + two);
  EXPECT_TRUE(store.Seal("up-4", 1, Sha256::Of("forged")).IsNotFound());

  ASSERT_TRUE(store.PutPart("up-5", 0, one).ok());
  ASSERT_TRUE(store.DropUpload("up-5").ok());
  EXPECT_TRUE(store.ReadPart("up-5", 0, &out).IsNotFound());
  EXPECT_TRUE(store.DropUpload("never").ok());

  ASSERT_TRUE(store.Delete(sha).ok());
  EXPECT_TRUE(store.Read(sha, 0, 10, &out).IsNotFound());
  EXPECT_TRUE(store.Delete(sha).ok()) << "deleting what is gone is fine";
}

}  // namespace msgbed::testing
