// The S3 BlobStore: its request signing against AWS's published example,
// and the BlobStore contract against a real S3-compatible server, s3rver
// (npm; scripts/test.sh installs it into build/s3rver). s3rver checks the
// access key but not Version 4 signatures, so the S3Verified tests put
// tests/live/sigv4_verifier.py in front of it: it signs every request
// again with botocore and refuses any whose signature differs. The
// servers run on free loopback ports for each test.
#include "live/s3_blob_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "live/free_ports.h"
#include "support/blob_store_contract.h"

extern char** environ;

namespace msgbed::live {
namespace {
namespace fs = std::filesystem;

// AWS's example of a signed GET with a range (Signature Version 4 docs).
TEST(SigV4, SignsAwsPublishedExample) {
  SignedRequest r;
  r.method = "GET";
  r.path = "/test.txt";
  r.amz_date = "20130524T000000Z";
  r.payload_sha256 = Sha256Hex("");
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"},
               {"range", "bytes=0-9"},
               {"x-amz-content-sha256", r.payload_sha256},
               {"x-amz-date", r.amz_date}};
  const S3Credentials c{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"};
  EXPECT_EQ(SigV4Authorization(r, c),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// s3rver on 127.0.0.1, stopped with the fixture.
class S3 : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(MSGBED_S3RVER)) << MSGBED_S3RVER << " is missing: npm install --prefix build/s3rver "
                                           << "s3rver@3.7.1 (scripts/test.sh does it)";
    dir_ = fs::temp_directory_path() / ("msgbed-s3-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::vector<uint16_t> ports = FreePorts(2);
    const std::string port = std::to_string(ports[0]), dir = dir_.string();
    Spawn({MSGBED_S3RVER, "-d", dir, "-a", "127.0.0.1", "-p", port, "--silent"}, &pid_);
    port_ = ports[0];
    if (verified_) {
      Spawn({"/usr/bin/python3", MSGBED_TEST_DIR "/live/sigv4_verifier.py", std::to_string(ports[1]), port, "S3RVER"},
            &verifier_pid_);
      port_ = ports[1];
    }
    // Until it takes connections (bounded).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!Open(&store_).ok() && std::chrono::steady_clock::now() < deadline) {
      ASSERT_EQ(waitpid(pid_, nullptr, WNOHANG), 0) << "s3rver exited";
      ASSERT_EQ(verifier_pid_ > 0 ? waitpid(verifier_pid_, nullptr, WNOHANG) : 0, 0)
          << "sigv4_verifier.py exited (is python3-botocore installed?)";
    }
    ASSERT_TRUE(store_) << "s3rver did not start on port " << port_;
  }
  void TearDown() override {
    store_.reset();
    Stop(&verifier_pid_);
    Stop(&pid_);
    fs::remove_all(dir_);
  }
  static void Spawn(std::vector<std::string> args, pid_t* pid) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(pid, argv[0], nullptr, nullptr, argv.data(), environ), 0) << argv[0];
  }
  static void Stop(pid_t* pid) {
    if (*pid <= 0) return;
    kill(*pid, SIGTERM);
    waitpid(*pid, nullptr, 0);
    *pid = 0;
  }
  Status Open(std::unique_ptr<S3BlobStore>* out, std::string access_key = "S3RVER", std::string secret_key = "S3RVER") {
    S3Options o;
    o.host = "127.0.0.1";
    o.port = std::to_string(port_);
    o.bucket = "msgbed-test";
    o.prefix = "deployment/";
    o.instance = "media-0";
    o.credentials = {std::move(access_key), std::move(secret_key), "us-east-1"};
    return S3BlobStore::Open(o, out);
  }

  bool verified_ = false;  // the store talks to sigv4_verifier.py, which talks to s3rver
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = 0, verifier_pid_ = 0;
  std::unique_ptr<S3BlobStore> store_;
};

class S3Verified : public S3 {
 protected:
  S3Verified() { verified_ = true; }
};

TEST_F(S3, KeepsTheBlobStoreContract) { testing::ExpectBlobStoreContract(*store_); }

// Every request of the contract (parts, multipart seals, ranges, deletes,
// listings) carries a signature botocore computes alike.
TEST_F(S3Verified, EveryRequestOfTheContractIsSignedAsTheAwsSdkSignsIt) { testing::ExpectBlobStoreContract(*store_); }

TEST_F(S3Verified, AWrongSecretKeyIsRefusedAsASignatureMismatch) {
  std::unique_ptr<S3BlobStore> forger;
  const Status s = Open(&forger, "S3RVER", "not-the-secret");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s.message();
}

TEST_F(S3Verified, ABlobOfManyPiecesIsWholeAndRangesReadItBack) {
  // 20 parts of 512 KiB and a short one: two multipart pieces of 8 MiB and one more.
  std::string file;
  for (uint32_t i = 0; i < 21; ++i) {
    const std::string part(i < 20 ? 512 * 1024 : 1000, static_cast<char>('a' + i));
    ASSERT_TRUE(store_->PutPart("big", i, part).ok());
    file += part;
  }
  const std::string sha = Sha256::Of(file);
  ASSERT_TRUE(store_->Seal("big", 21, sha).ok());
  std::string out;
  ASSERT_TRUE(store_->Read(sha, 0, file.size() + 10, &out).ok());
  EXPECT_TRUE(out == file);
  ASSERT_TRUE(store_->Read(sha, 8 * 1024 * 1024 - 3, 6, &out).ok());
  EXPECT_EQ(out, file.substr(8 * 1024 * 1024 - 3, 6)) << "across a piece boundary";
  ASSERT_TRUE(store_->Read(sha, file.size(), 10, &out).ok());
  EXPECT_EQ(out, "");
}

TEST_F(S3, AnUnknownAccessKeyIsRefusedWithTheServersReason) {
  std::unique_ptr<S3BlobStore> stranger;
  const Status s = Open(&stranger, "NOBODY");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("InvalidAccessKeyId"), std::string::npos) << s.message();
}

TEST_F(S3, AServerThatIsGoneFailsTheCallWithTheReason) {
  ASSERT_TRUE(store_->PutPart("u", 0, "bytes").ok());
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
  const Status s = store_->PutPart("u", 1, "more");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot connect"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace msgbed::live
