// The client's FileUpload against the real media service: by hash first,
// parts in parallel for big files, and a resume that sends only what is
// missing.
#include "client/file_upload.h"

#include <gtest/gtest.h>

#include "media/media_service.h"
#include "support/file_bytes.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

struct Uploads : ::testing::Test {
  TestCluster c{[] {
    ClusterShape s = Shape(1, 1, 1, 2);
    s.instances[role::kMedia] = 1;
    return s;
  }()};
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  const std::string big = FileBytes((10 << 20) + 3 * 1000, 3);  // 21 parts, over 10 MiB: 4 in flight
  size_t max_in_flight = 0, in_flight = 0;
  std::map<const TestDevice*, size_t> handed;  // frames of each device given to an upload

  void SetUp() override {
    c.Connect(a);
    c.Connect(b);
    c.Run();
  }
  FileUpload For(TestDevice& d, uint64_t file_id, const std::string& bytes) {
    return FileUpload(file_id, bytes, "film.mkv", "video/x-matroska", [this, &d](api::ClientFrame f) {
      if (f.has_upload_part()) max_in_flight = std::max(max_in_flight, ++in_flight);
      return d.core.Request(std::move(f));
    });
  }
  // Runs the cluster and hands d's answers to up until nothing moves.
  void Drive(TestDevice& d, FileUpload& up) {
    size_t& seen = handed[&d];
    c.Run();
    while (seen < d.frames.size()) {
      const api::ServerFrame f = d.frames[seen++];
      if (f.has_upload_state() || (f.has_error() && f.request_id() != 0)) in_flight = in_flight > 0 ? in_flight - 1 : 0;
      up.OnAnswer(f.request_id(), f);
      c.Run();
    }
  }
};

TEST_F(Uploads, ABigFileGoesUpInParallelPartsAndASecondUploaderSendsNothing) {
  FileUpload first = For(a, 1, big);
  first.Start();
  Drive(a, first);
  ASSERT_TRUE(first.document().has_value()) << (first.error() ? first.error()->message() : "not done");
  EXPECT_EQ(first.parts_sent(), 21u);
  EXPECT_EQ(max_in_flight, FileUpload::kParallelParts);
  FileUpload second = For(b, 1, big);
  second.Start();
  Drive(b, second);
  ASSERT_TRUE(second.document().has_value());
  EXPECT_TRUE(second.skipped_by_hash());
  EXPECT_EQ(second.parts_sent(), 0u);
  EXPECT_EQ(c.substrate(MakeAddress(role::kMedia, 0)).blobs_.blob_bytes(), big.size());
}

TEST_F(Uploads, AfterAnOutageOnlyTheMissingPartsAreSentAgain) {
  const std::string file = FileBytes(3 * kFilePartBytes, 4);  // 3 parts, one at a time
  size_t parts_seen = 0;
  c.drop = [&](const Envelope& e) { return BodyAs<media::UploadPart>(e) && ++parts_seen > 2; };
  FileUpload up = For(a, 1, file);
  up.Start();
  Drive(a, up);
  c.Advance(11 * kSecond);  // the gateway's request timeout
  Drive(a, up);
  ASSERT_TRUE(up.stalled());
  c.drop = nullptr;
  up.Resume();
  Drive(a, up);
  ASSERT_TRUE(up.document().has_value()) << (up.error() ? up.error()->message() : "not done");
  EXPECT_EQ(up.parts_sent(), 4u) << "parts 0 and 1 once, part 2 twice";
  EXPECT_EQ(up.document()->size(), file.size());
}

TEST_F(Uploads, AFinalErrorEndsTheUpload) {
  FileUpload up = FileUpload(1, "", "empty", "text/plain", [this](api::ClientFrame f) { return a.core.Request(f); });
  up.Start();
  Drive(a, up);
  ASSERT_TRUE(up.error().has_value());
  EXPECT_EQ(up.error()->code(), api::FILE_SIZE_INVALID);
  EXPECT_FALSE(up.stalled());
}

}  // namespace
}  // namespace msgbed::testing
