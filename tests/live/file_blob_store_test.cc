// The live BlobStore on a real directory: the contract, and what a crash
// leaves.
#include "live/file_blob_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/blob_store_contract.h"

namespace msgbed::live {
namespace {
namespace fs = std::filesystem;

struct FileBlobs : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("msgbed-blobs-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { fs::remove_all(dir); }
  void TearDown() override { fs::remove_all(dir); }
  bool sync = true;
  std::unique_ptr<FileBlobStore> Open() {
    std::unique_ptr<FileBlobStore> store;
    EXPECT_TRUE(FileBlobStore::Open(dir, sync, &store).ok());
    return store;
  }
};

TEST_F(FileBlobs, KeepsTheBlobStoreContract) {
  auto store = Open();
  testing::ExpectBlobStoreContract(*store);
}

TEST_F(FileBlobs, KeepsTheContractWithoutFsync) {
  sync = false;
  auto store = Open();
  testing::ExpectBlobStoreContract(*store);
}

TEST_F(FileBlobs, OpeningCreatesNothingUntilSomethingIsWritten) {
  Open();
  EXPECT_FALSE(fs::exists(dir / "blobs"));
  EXPECT_FALSE(fs::exists(dir / "uploads"));
}

TEST_F(FileBlobs, BlobsAndPartsOutliveTheStoreAndHalfWrittenFilesDoNot) {
  const std::string bytes = "a file's bytes";
  const std::string sha = Sha256::Of(bytes);
  {
    auto store = Open();
    ASSERT_TRUE(store->PutPart("u-1", 0, bytes).ok());
    ASSERT_TRUE(store->Seal("u-1", 1, sha).ok());
    ASSERT_TRUE(store->PutPart("u-2", 3, "staged").ok());
    // What a crash in the middle of a write leaves: a file in tmp/.
    std::ofstream(dir / "tmp" / "half") << "half a blo";
  }
  auto store = Open();
  EXPECT_FALSE(fs::exists(dir / "tmp" / "half"));
  std::string out;
  ASSERT_TRUE(store->Read(sha, 0, 100, &out).ok());
  EXPECT_EQ(out, bytes);
  ASSERT_TRUE(store->ReadPart("u-2", 3, &out).ok());
  EXPECT_EQ(out, "staged");
  EXPECT_TRUE(fs::exists(store->BlobPath(sha)));
  EXPECT_EQ(fs::file_size(store->BlobPath(sha)), bytes.size());
}

TEST_F(FileBlobs, ARefusedSealLeavesNoBlobAndNoTemporaryFile) {
  auto store = Open();
  const std::string sha = Sha256::Of("the real bytes");
  ASSERT_TRUE(store->PutPart("u", 0, "other bytes").ok());
  EXPECT_TRUE(store->Seal("u", 1, sha).IsCorruption());
  EXPECT_FALSE(fs::exists(store->BlobPath(sha)));
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));
}

}  // namespace
}  // namespace msgbed::live
