// The media service through a gateway: uploads in parts, deduplication by
// content hash, downloads by range, file references, reference counts and
// the grace period, and every bad input's error.
#include <gtest/gtest.h>

#include <map>

#include "core/rng.h"
#include "core/sha256.h"
#include "media/media_service.h"
#include "media/media_store.h"
#include "media/placement.h"
#include "support/file_bytes.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

ClusterShape WithMedia(uint32_t media) {
  ClusterShape shape = Shape(1, 1, 1, 2);
  shape.instances[role::kMedia] = media;
  return shape;
}

std::string Part(const std::string& file, uint32_t i) { return file.substr(i * kFilePartBytes, kFilePartBytes); }

struct Media : ::testing::Test {
  TestCluster c{WithMedia(2)};
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  const std::string file = FileBytes(2 * kFilePartBytes + 1000, 5);  // three parts
  const std::string sha = Sha256::Of(file);
  uint64_t next_request = uint64_t{1} << 40;  // apart from the Device's own request ids

  void SetUp() override {
    c.Connect(a);
    c.Connect(b);
    c.Run();
  }
  // Sends frame from d and returns the answer to it.
  api::ServerFrame Ask(TestDevice& d, api::ClientFrame frame) {
    const uint64_t id = ++next_request;
    frame.set_request_id(id);
    c.SendRaw(d, std::move(frame));
    c.Run();
    for (const api::ServerFrame& f : d.frames) {
      if (f.request_id() == id) return f;
    }
    ADD_FAILURE() << "no answer to request " << id;
    return {};
  }
  api::ServerFrame SendPart(TestDevice& d, uint64_t file_id, const std::string& bytes, uint32_t i,
                            const std::string& part, const std::string* hash = nullptr) {
    api::ClientFrame f;
    auto* p = f.mutable_upload_part();
    p->set_file_id(file_id);
    p->set_sha256(hash ? *hash : Sha256::Of(bytes));
    p->set_size(bytes.size());
    p->set_part(i);
    p->set_bytes(part);
    return Ask(d, f);
  }
  api::ServerFrame Finish(TestDevice& d, uint64_t file_id, const std::string& hash) {
    api::ClientFrame f;
    f.mutable_finish_upload()->set_file_id(file_id);
    f.mutable_finish_upload()->set_sha256(hash);
    f.mutable_finish_upload()->set_name("clip.mp4");
    f.mutable_finish_upload()->set_mime_type("video/mp4");
    return Ask(d, f);
  }
  // Uploads bytes whole, parts in the order given (default: ascending).
  api::ServerFrame Upload(TestDevice& d, uint64_t file_id, const std::string& bytes, std::vector<uint32_t> order = {}) {
    if (order.empty()) {
      for (uint32_t i = 0; i < PartsOf(bytes.size()); ++i) order.push_back(i);
    }
    for (uint32_t i : order) EXPECT_TRUE(SendPart(d, file_id, bytes, i, Part(bytes, i)).has_upload_state());
    return Finish(d, file_id, Sha256::Of(bytes));
  }
  api::ServerFrame ByHash(TestDevice& d, const std::string& hash, uint64_t size) {
    api::ClientFrame f;
    f.mutable_get_document_by_hash()->set_sha256(hash);
    f.mutable_get_document_by_hash()->set_size(size);
    return Ask(d, f);
  }
  api::ServerFrame GetFile(TestDevice& d, const api::Document& doc, uint64_t offset, uint32_t limit) {
    api::ClientFrame f;
    f.mutable_get_file()->set_sha256(doc.sha256());
    f.mutable_get_file()->set_document_id(doc.id());
    f.mutable_get_file()->set_file_reference(doc.file_reference());
    f.mutable_get_file()->set_offset(offset);
    f.mutable_get_file()->set_limit(limit);
    return Ask(d, f);
  }
  api::ServerFrame GetDocument(TestDevice& d, const api::Document& doc, uint64_t access_hash) {
    api::ClientFrame f;
    f.mutable_get_document()->set_sha256(doc.sha256());
    f.mutable_get_document()->set_id(doc.id());
    f.mutable_get_document()->set_access_hash(access_hash);
    return Ask(d, f);
  }
  api::ServerFrame Delete(TestDevice& d, const api::Document& doc) {
    api::ClientFrame f;
    f.mutable_delete_document()->set_sha256(doc.sha256());
    f.mutable_delete_document()->set_id(doc.id());
    f.mutable_delete_document()->set_access_hash(doc.access_hash());
    return Ask(d, f);
  }
  std::string Download(TestDevice& d, const api::Document& doc, uint32_t limit) {
    std::string out;
    for (;;) {
      const api::ServerFrame f = GetFile(d, doc, out.size(), limit);
      EXPECT_TRUE(f.has_file_part()) << f.ShortDebugString().substr(0, 200);
      if (!f.has_file_part() || f.file_part().bytes().empty()) return out;
      out += f.file_part().bytes();
    }
  }
  MemBlobStore& BlobsOf(const std::string& hash) { return c.substrate(MediaOwner(c.shape(), hash)).blobs_; }
  Metrics& StatsOf(const std::string& hash) { return c.host(MediaOwner(c.shape(), hash)).Stats(); }
};

api::ErrorCode CodeOf(const api::ServerFrame& f) { return f.has_error() ? f.error().code() : api::ERROR_NONE; }

TEST_F(Media, PartsInAnyOrderMakeTheFileWhichDownloadsByRanges) {
  const api::ServerFrame done = Upload(a, 7, file, {2, 0, 1});
  ASSERT_TRUE(done.has_document()) << done.ShortDebugString();
  const api::Document& doc = done.document();
  EXPECT_EQ(doc.sha256(), sha);
  EXPECT_EQ(doc.size(), file.size());
  EXPECT_EQ(doc.name(), "clip.mp4");
  EXPECT_TRUE(Download(a, doc, 100000) == file);
  const api::ServerFrame middle = GetFile(a, doc, 600000, 5000);
  ASSERT_TRUE(middle.has_file_part());
  EXPECT_EQ(middle.file_part().bytes(), file.substr(600000, 5000));
  EXPECT_EQ(GetFile(a, doc, file.size() - 10, 4096).file_part().bytes(), file.substr(file.size() - 10));
  EXPECT_EQ(BlobsOf(sha).blob_bytes(), file.size());
  EXPECT_EQ(BlobsOf(sha).bytes(), file.size()) << "staged parts are gone";
}

TEST_F(Media, TheSameBytesUploadedTwiceAreStoredOnce) {
  const api::ServerFrame first = Upload(a, 7, file), second = Upload(b, 9, file);
  ASSERT_TRUE(first.has_document() && second.has_document());
  EXPECT_NE(first.document().id(), second.document().id());
  EXPECT_EQ(BlobsOf(sha).blobs(), 1u);
  EXPECT_EQ(BlobsOf(sha).bytes(), file.size());
  EXPECT_EQ(StatsOf(sha).Get("media.dedup_hits"), 1);
  EXPECT_TRUE(Download(b, second.document(), kMaxFilePartLimit) == file);
}

TEST_F(Media, ConcurrentIdenticalUploadsStoreOneBlob) {
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(SendPart(a, 7, file, i, Part(file, i)).has_upload_state());
    ASSERT_TRUE(SendPart(b, 7, file, 2 - i, Part(file, 2 - i)).has_upload_state());
  }
  ASSERT_TRUE(Finish(b, 7, sha).has_document());
  ASSERT_TRUE(Finish(a, 7, sha).has_document());
  EXPECT_EQ(BlobsOf(sha).blobs(), 1u);
  EXPECT_EQ(BlobsOf(sha).bytes(), file.size());
}

// Eight users take and drop references to one file at once: whole uploads,
// hits by hash and deletions arrive interleaved, in rounds, and the blob's
// reference count is exactly the documents alive after every round; the
// last deletion frees the bytes once the grace period has passed.
TEST_F(Media, ReferenceCountsStayExactUnderConcurrentUploadsHitsAndDeletes) {
  std::vector<TestDevice*> users;
  for (uint64_t u = 11; u <= 18; ++u) {
    users.push_back(&c.AddDevice(u, 1));
    c.Connect(*users.back());
  }
  c.Run();
  std::map<TestDevice*, std::vector<api::Document>> held;
  std::map<uint64_t, std::pair<TestDevice*, bool>> asked;  // request id -> (device, a delete)
  Rng rng(42);
  auto send = [&](TestDevice& d, api::ClientFrame f, bool del) {
    f.set_request_id(++next_request);
    asked[next_request] = {&d, del};
    c.SendRaw(d, std::move(f));
  };
  auto refs = [&] {
    Status s;
    auto blob = MediaStore(&c.substrate(MediaOwner(c.shape(), sha)).Store()).Blob(sha, &s);
    return blob ? blob->refs() : 0;
  };
  uint64_t file_id = 100;
  for (int round = 0; round < 12; ++round) {
    for (TestDevice* d : users) {
      api::ClientFrame f;
      if (!held[d].empty() && rng.Uniform() < 0.4) {  // drop one
        const api::Document doc = held[d].back();
        held[d].pop_back();
        f.mutable_delete_document()->set_sha256(doc.sha256());
        f.mutable_delete_document()->set_id(doc.id());
        f.mutable_delete_document()->set_access_hash(doc.access_hash());
        send(*d, std::move(f), true);
      } else if (rng.Uniform() < 0.5) {  // a hit by hash
        f.mutable_get_document_by_hash()->set_sha256(sha);
        f.mutable_get_document_by_hash()->set_size(file.size());
        send(*d, std::move(f), false);
      } else {  // a whole upload, its parts and its finish queued at once
        ++file_id;
        for (uint32_t i = 0; i < PartsOf(file.size()); ++i) {
          auto* p = f.mutable_upload_part();
          p->set_file_id(file_id);
          p->set_sha256(sha);
          p->set_size(file.size());
          p->set_part(i);
          p->set_bytes(Part(file, i));
          send(*d, f, false);
        }
        f.Clear();
        f.mutable_finish_upload()->set_file_id(file_id);
        f.mutable_finish_upload()->set_sha256(sha);
        send(*d, std::move(f), false);
      }
    }
    c.Run();
    for (TestDevice* d : users) {
      for (const api::ServerFrame& frame : d->frames) {
        auto it = asked.find(frame.request_id());
        if (it == asked.end()) continue;
        EXPECT_TRUE(!it->second.second || frame.has_done()) << "a delete: " << frame.ShortDebugString();
        if (frame.has_document()) held[d].push_back(frame.document());
        asked.erase(it);
      }
      d->frames.clear();
    }
    size_t alive = 0;
    for (const auto& [d, docs] : held) alive += docs.size();
    ASSERT_EQ(refs(), alive) << "round " << round;
  }
  EXPECT_TRUE(asked.empty()) << asked.size() << " requests got no answer";
  EXPECT_EQ(BlobsOf(sha).blobs(), 1u);
  for (auto& [d, docs] : held) {
    for (const api::Document& doc : docs) ASSERT_TRUE(Delete(*d, doc).has_done());
  }
  EXPECT_EQ(refs(), 0u);
  c.Advance(MediaLimits().grace_period + MediaLimits().sweep_interval * 2);
  EXPECT_EQ(BlobsOf(sha).blobs(), 0u) << "the last reference gone, the bytes go";
}

TEST_F(Media, AskingByHashFirstSkipsTheUpload) {
  EXPECT_EQ(CodeOf(ByHash(b, sha, file.size())), api::MEDIA_NOT_FOUND);
  ASSERT_TRUE(Upload(a, 7, file).has_document());
  EXPECT_EQ(CodeOf(ByHash(b, sha, file.size() + 1)), api::MEDIA_NOT_FOUND) << "the size must match too";
  const api::ServerFrame hit = ByHash(b, sha, file.size());
  ASSERT_TRUE(hit.has_document());
  EXPECT_EQ(StatsOf(sha).Get("media.bytes_not_uploaded"), static_cast<int64_t>(file.size()));
  EXPECT_TRUE(Download(b, hit.document(), kMaxFilePartLimit) == file);
}

TEST_F(Media, AnUploadResumesAfterADroppedConnection) {
  ASSERT_TRUE(SendPart(a, 7, file, 0, Part(file, 0)).has_upload_state());
  ASSERT_TRUE(SendPart(a, 7, file, 2, Part(file, 2)).has_upload_state());
  c.Disconnect(a);
  c.Connect(a);
  c.Run();
  api::ClientFrame f;
  f.mutable_get_upload_state()->set_file_id(7);
  f.mutable_get_upload_state()->set_sha256(sha);
  const api::ServerFrame state = Ask(a, f);
  ASSERT_TRUE(state.has_upload_state());
  EXPECT_EQ(state.upload_state().parts_received(), 2u);
  EXPECT_EQ(std::vector<uint32_t>(state.upload_state().missing().begin(), state.upload_state().missing().end()),
            std::vector<uint32_t>{1});
  EXPECT_EQ(CodeOf(Finish(a, 7, sha)), api::FILE_PART_MISSING);
  ASSERT_TRUE(SendPart(a, 7, file, 1, Part(file, 1)).has_upload_state());
  EXPECT_TRUE(Finish(a, 7, sha).has_document());
}

TEST_F(Media, AnUploadSurvivesARestartOfItsMediaInstance) {
  ASSERT_TRUE(SendPart(a, 7, file, 0, Part(file, 0)).has_upload_state());
  ASSERT_TRUE(SendPart(a, 7, file, 1, Part(file, 1)).has_upload_state());
  c.Restart(MediaOwner(c.shape(), sha));
  c.Run();
  ASSERT_TRUE(SendPart(a, 7, file, 2, Part(file, 2)).has_upload_state());
  const api::ServerFrame done = Finish(a, 7, sha);
  ASSERT_TRUE(done.has_document());
  c.Restart(MediaOwner(c.shape(), sha));
  c.Run();
  EXPECT_TRUE(Download(a, done.document(), kMaxFilePartLimit) == file) << "the file reference outlives a restart";
}

TEST_F(Media, BytesThatDoNotMatchTheHashAreRefusedAndNothingIsStored) {
  const std::string other = FileBytes(file.size(), 6);
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(SendPart(a, 7, file, i, Part(other, i), &sha).has_upload_state());
  EXPECT_EQ(CodeOf(Finish(a, 7, sha)), api::FILE_HASH_MISMATCH);
  EXPECT_EQ(CodeOf(Finish(a, 7, sha)), api::FILE_ID_INVALID) << "the upload is spent";
  EXPECT_EQ(BlobsOf(sha).bytes(), 0u);
  EXPECT_EQ(CodeOf(ByHash(b, sha, file.size())), api::MEDIA_NOT_FOUND);
}

TEST_F(Media, BadPartsAndFilesGetTheirErrors) {
  EXPECT_EQ(CodeOf(SendPart(a, 7, file, 0, Part(file, 0).substr(1))), api::FILE_PART_INVALID) << "short part";
  EXPECT_EQ(CodeOf(SendPart(a, 7, file, 2, Part(file, 2) + "x")), api::FILE_PART_INVALID) << "long last part";
  EXPECT_EQ(CodeOf(SendPart(a, 7, file, 3, "x")), api::FILE_PART_INVALID) << "past the last part";
  const std::string short_hash = sha.substr(1);
  EXPECT_EQ(CodeOf(SendPart(a, 7, file, 0, Part(file, 0), &short_hash)), api::FILE_SIZE_INVALID);
  EXPECT_EQ(CodeOf(SendPart(a, 7, "", 0, "")), api::FILE_SIZE_INVALID) << "empty file";
  api::ClientFrame huge;
  huge.mutable_upload_part()->set_sha256(sha);
  huge.mutable_upload_part()->set_size((2ull << 30) + 1);
  huge.mutable_upload_part()->set_bytes(Part(file, 0));
  EXPECT_EQ(CodeOf(Ask(a, huge)), api::FILE_SIZE_INVALID) << "over 2 GiB";
  ASSERT_TRUE(SendPart(a, 7, file, 0, Part(file, 0)).has_upload_state());
  EXPECT_TRUE(SendPart(a, 7, file, 0, Part(file, 0)).has_upload_state()) << "the same part again is fine";
  std::string changed = Part(file, 0);
  changed[5] ^= 1;
  EXPECT_EQ(CodeOf(SendPart(a, 7, file, 0, changed, &sha)), api::FILE_PART_INVALID) << "the same part, other bytes";
  const std::string longer = file + "x";
  EXPECT_EQ(CodeOf(SendPart(a, 7, longer, 0, Part(longer, 0), &sha)), api::FILE_ID_CONFLICT) << "same hash, other size";
  EXPECT_EQ(CodeOf(Finish(a, 8, sha)), api::FILE_ID_INVALID) << "no such upload";
  const std::string other = FileBytes(100, 1);
  EXPECT_TRUE(SendPart(a, 7, other, 0, other).has_upload_state()) << "the same file_id may upload another file";
  EXPECT_TRUE(Finish(a, 7, Sha256::Of(other)).has_document());
  EXPECT_EQ(CodeOf(Finish(a, 7, sha)), api::FILE_PART_MISSING) << "the first upload is still under way";
}

TEST_F(Media, FileReferencesExpireAndGetDocumentRefreshesThem) {
  const api::Document doc = Upload(a, 7, file).document();
  api::Document forged = doc;
  forged.mutable_file_reference()->back() ^= 1;
  EXPECT_EQ(CodeOf(GetFile(a, forged, 0, 100)), api::FILE_REFERENCE_EXPIRED);
  EXPECT_EQ(CodeOf(GetFile(a, doc, 0, 0)), api::LIMIT_INVALID);
  EXPECT_EQ(CodeOf(GetFile(a, doc, 0, kMaxFilePartLimit + 1)), api::LIMIT_INVALID);
  EXPECT_EQ(CodeOf(GetFile(a, doc, file.size() + 1, 100)), api::LIMIT_INVALID);
  c.Advance(MediaLimits().file_reference_ttl + kSecond);
  EXPECT_EQ(CodeOf(GetFile(a, doc, 0, 100)), api::FILE_REFERENCE_EXPIRED);
  EXPECT_EQ(CodeOf(GetDocument(b, doc, doc.access_hash() + 1)), api::FILE_ID_INVALID);
  const api::ServerFrame fresh = GetDocument(b, doc, doc.access_hash());
  ASSERT_TRUE(fresh.has_document());
  EXPECT_EQ(GetFile(b, fresh.document(), 0, 100).file_part().bytes(), file.substr(0, 100));
}

TEST_F(Media, TheLastDeletedReferenceFreesTheBytesAfterTheGracePeriod) {
  const api::Document mine = Upload(a, 7, file).document(), theirs = Upload(b, 9, file).document();
  EXPECT_EQ(CodeOf(Delete(b, mine)), api::FILE_ID_INVALID) << "only its holder deletes a document";
  ASSERT_TRUE(Delete(a, mine).has_done());
  EXPECT_EQ(CodeOf(Delete(a, mine)), api::FILE_ID_INVALID) << "gone";
  c.Advance(MediaLimits().grace_period * 2);
  EXPECT_TRUE(Download(b, GetDocument(b, theirs, theirs.access_hash()).document(), kMaxFilePartLimit) == file);
  ASSERT_TRUE(Delete(b, theirs).has_done());
  c.Advance(MediaLimits().grace_period / 2);
  EXPECT_EQ(BlobsOf(sha).blobs(), 1u) << "kept through the grace period";
  c.Advance(MediaLimits().grace_period / 2 + MediaLimits().sweep_interval * 2);
  EXPECT_EQ(BlobsOf(sha).blobs(), 0u);
  EXPECT_EQ(StatsOf(sha).Get("media.bytes_freed"), static_cast<int64_t>(file.size()));
  EXPECT_EQ(CodeOf(ByHash(a, sha, file.size())), api::MEDIA_NOT_FOUND);
}

TEST_F(Media, AReferenceTakenDuringTheGracePeriodKeepsTheBytes) {
  const api::Document doc = Upload(a, 7, file).document();
  ASSERT_TRUE(Delete(a, doc).has_done());
  c.Advance(MediaLimits().grace_period / 2);
  const api::ServerFrame hit = ByHash(b, sha, file.size());
  ASSERT_TRUE(hit.has_document());
  c.Advance(MediaLimits().grace_period * 2);
  EXPECT_EQ(Download(b, GetDocument(b, hit.document(), hit.document().access_hash()).document(), kMaxFilePartLimit),
            file);
}

TEST_F(Media, AnUploadThatStopsIsDroppedWithItsParts) {
  ASSERT_TRUE(SendPart(a, 7, file, 0, Part(file, 0)).has_upload_state());
  EXPECT_EQ(BlobsOf(sha).bytes(), kFilePartBytes);
  c.Advance(MediaLimits().upload_expiry + MediaLimits().sweep_interval * 2);
  EXPECT_EQ(BlobsOf(sha).bytes(), 0u);
  EXPECT_EQ(CodeOf(Finish(a, 7, sha)), api::FILE_ID_INVALID);
}

// Found by a hostile tester: eight ranges of 512 KiB in flight filled the
// device's outbound buffer and the gateway dropped it as a slow reader.
TEST_F(Media, AConnectionMayHaveFourFileRangesInFlight) {
  const api::Document doc = Upload(a, 7, file).document();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    api::ClientFrame f;
    f.set_request_id(++next_request);
    *f.mutable_get_file() = api::GetFile();
    f.mutable_get_file()->set_sha256(doc.sha256());
    f.mutable_get_file()->set_document_id(doc.id());
    f.mutable_get_file()->set_file_reference(doc.file_reference());
    f.mutable_get_file()->set_limit(kMaxFilePartLimit);
    ids.push_back(f.request_id());
    c.SendRaw(a, f);
  }
  c.Run();
  int parts = 0, waits = 0;
  for (const api::ServerFrame& f : a.frames) {
    if (std::find(ids.begin(), ids.end(), f.request_id()) == ids.end()) continue;
    parts += f.has_file_part();
    waits += CodeOf(f) == api::FLOOD_WAIT;
  }
  EXPECT_EQ(parts, 4);
  EXPECT_EQ(waits, 1);
  EXPECT_TRUE(GetFile(a, doc, 0, 10).has_file_part()) << "and more once they are answered";
}

TEST_F(Media, ADocumentSentInAMessageReachesThePeerWhoFetchesIt) {
  const api::Document doc = Upload(a, 7, file).document();
  a.core.SendDocument(2, doc, "", 77);
  c.Run();
  ASSERT_EQ(b.delivered.size(), 1u);
  const api::Message& m = b.delivered[0];
  EXPECT_EQ(m.text(), "") << "a document's caption may be empty";
  EXPECT_EQ(m.document().id(), doc.id());
  EXPECT_EQ(m.document().sha256(), sha);
  const api::ServerFrame theirs = GetDocument(b, m.document(), m.document().access_hash());
  ASSERT_TRUE(theirs.has_document());
  EXPECT_TRUE(Download(b, theirs.document(), kMaxFilePartLimit) == file);
}

TEST_F(Media, AMessageWithABrokenDocumentOrNoTextIsRefused) {
  auto send = [&](uint64_t random_id, const std::string& text, const api::Document* doc) {
    api::ClientFrame f;
    f.mutable_send_message()->set_peer_user(2);
    f.mutable_send_message()->set_random_id(random_id);
    f.mutable_send_message()->set_text(text);
    if (doc) *f.mutable_send_message()->mutable_document() = *doc;
    return CodeOf(Ask(a, f));
  };
  api::Document broken;
  broken.set_id(5);
  broken.set_size(10);
  EXPECT_EQ(send(1, "", &broken), api::MEDIA_INVALID) << "no sha256";
  EXPECT_EQ(send(2, "", nullptr), api::MESSAGE_EMPTY);
  broken.set_sha256(sha);
  EXPECT_EQ(send(3, "look", &broken), api::ERROR_NONE);
  broken.set_id(6);
  EXPECT_EQ(send(3, "look", &broken), api::RANDOM_ID_DUPLICATE) << "the same random_id for another document";
}

TEST(MediaAbsent, ADeploymentWithoutMediaSaysSo) {
  TestCluster c{Shape(1, 1, 1, 2)};
  TestDevice& a = c.AddDevice(1, 1);
  c.Connect(a);
  c.Run();
  api::ClientFrame f;
  f.set_request_id(5);
  f.mutable_get_document_by_hash()->set_sha256(std::string(32, 'x'));
  f.mutable_get_document_by_hash()->set_size(1);
  c.SendRaw(a, f);
  c.Run();
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code(), api::UNAVAILABLE);
}

}  // namespace
}  // namespace msgbed::testing
