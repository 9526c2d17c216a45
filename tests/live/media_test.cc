// Media on real sockets: a file goes up in parts through the gateway to
// the media process, survives that process being stopped mid-upload, is
// stored once on disk, and comes back by ranges.
#include <gtest/gtest.h>

#include "client/file_upload.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "live/file_blob_store.h"
#include "live_fixture.h"
#include "support/file_bytes.h"

namespace msgbed::testing {
namespace {

namespace fs = std::filesystem;

// A device's observer that hands answers to an upload, if one is set.
struct Uploader final : Device::Observer {
  FileUpload* upload = nullptr;
  std::vector<api::ServerFrame> frames;
  int synced = 0;
  void OnServerFrame(Device&, const api::ServerFrame& f) override {
    frames.push_back(f);
    if (upload) upload->OnAnswer(f.request_id(), f);
  }
  void OnSynced(Device&) override { ++synced; }
};

class LiveMedia : public Split {
 protected:
  std::unique_ptr<live::DeviceConnection> Connect(uint64_t user, Uploader* seen) {
    auto c = std::make_unique<live::DeviceConnection>(io_, deploy_.Session(user, 1), seen);
    c->Connect("127.0.0.1", deploy_.client_port());
    EXPECT_TRUE(Run([&] { return seen->synced > 0; })) << "user " << user << " never synced";
    return c;
  }
  // The answer to frame, sent from d.
  api::ServerFrame Ask(live::DeviceConnection& d, Uploader& seen, api::ClientFrame frame) {
    const uint64_t id = d.device().Request(std::move(frame));
    const api::ServerFrame* answer = nullptr;
    EXPECT_TRUE(Run([&] {
      for (const auto& f : seen.frames) {
        if (f.request_id() == id) answer = &f;
      }
      return answer != nullptr;
    }));
    return answer ? *answer : api::ServerFrame();
  }
};

TEST_F(LiveMedia, AnUploadOutlivesAMediaRestartIsStoredOnceAndDownloadsByRanges) {
  const std::string file = FileBytes(3 * 512 * 1024 + 777, 11);  // four parts
  Uploader seen_a, seen_b;
  auto a = Connect(1, &seen_a);
  bool stopped = false;
  FileUpload up(42, file, "talk.webm", "video/webm", [&](api::ClientFrame f) {
    if (f.has_upload_part() && f.upload_part().part() == 2 && !stopped) {
      stopped = true;
      deploy_.Stop("media");  // the part goes to a process that is gone
    }
    return a->device().Request(std::move(f));
  });
  seen_a.upload = &up;
  up.Start();
  ASSERT_TRUE(Run([&] { return up.stalled() || up.done(); }));
  ASSERT_TRUE(up.stalled()) << (up.error() ? up.error()->message() : "finished without the media process");
  deploy_.Start("media");
  up.Resume();
  ASSERT_TRUE(Run([&] { return up.done() || up.stalled(); }));
  ASSERT_TRUE(up.document().has_value()) << (up.error() ? up.error()->message() : "stalled again");
  EXPECT_EQ(up.parts_sent(), 5u) << "parts 0 and 1 once; 2 again; 3";

  // On disk once, whole, named by its hash.
  const fs::path blobs = deploy_.dir() / "media-0.blobs" / "blobs";
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(blobs)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);

  // A second user asks by hash and uploads nothing.
  auto b = Connect(2, &seen_b);
  FileUpload again(7, file, "talk.webm", "video/webm", [&](api::ClientFrame f) { return b->device().Request(f); });
  seen_b.upload = &again;
  again.Start();
  ASSERT_TRUE(Run([&] { return again.done(); }));
  EXPECT_TRUE(again.skipped_by_hash());

  std::string down;
  while (down.size() < file.size()) {
    api::ClientFrame get;
    get.mutable_get_file()->set_sha256(again.document()->sha256());
    get.mutable_get_file()->set_document_id(again.document()->id());
    get.mutable_get_file()->set_file_reference(again.document()->file_reference());
    get.mutable_get_file()->set_offset(down.size());
    get.mutable_get_file()->set_limit(300000);
    const api::ServerFrame part = Ask(*b, seen_b, get);
    ASSERT_TRUE(part.has_file_part()) << part.ShortDebugString().substr(0, 200);
    ASSERT_FALSE(part.file_part().bytes().empty());
    down += part.file_part().bytes();
  }
  EXPECT_EQ(down, file);
}

}  // namespace
}  // namespace msgbed::testing
