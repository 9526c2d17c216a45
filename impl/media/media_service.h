// MediaService: files, stored once however many hold them (docs/media.md).
//
// A file is named by its SHA-256, which the client computes first; every
// request about a file goes to the media instance that owns its hash
// (placement.h), so one instance sees every copy and keeps one blob with
// a reference count. A client asks by hash first (GetDocumentByHash) and
// uploads only what is not stored: parts of 512 KiB in any order,
// resumable (GetUploadState), then FinishUpload, which checks the hash.
// Each upload or hit gives the asker a document of its own; deleting the
// last document of a blob frees the bytes after a grace period, during
// which a new reference keeps them.
//
// Crash safety: a part is durable in the BlobStore before its record
// says it arrived; a blob's record (unreferenced, in the grace queue) is
// written before its bytes are sealed, so bytes sealed by a run that then
// crashed are either claimed by a retried FinishUpload or freed by the
// grace sweep, never leaked.
#pragma once

#include <cstdint>
#include <string>

#include "core/service.h"
#include "core/time.h"
#include "media/media_store.h"
#include "proto/media.pb.h"

namespace msgbed {

inline constexpr uint64_t kFilePartBytes = 512 * 1024;
inline constexpr uint32_t kMaxFilePartLimit = 512 * 1024;  // GetFile's largest limit

struct MediaLimits {
  uint64_t max_file_bytes = 2ull << 30;
  Micros file_reference_ttl = 2 * 3600 * kSecond;
  Micros grace_period = 3600 * kSecond;        // an unreferenced blob is kept this long
  Micros upload_expiry = 24 * 3600 * kSecond;  // an upload with no new part this long is dropped
  Micros sweep_interval = 60 * kSecond;
};

class MediaService final : public Service {
 public:
  MediaService(Env* env, MediaLimits limits);
  void Register(Handlers& handlers) override;

 private:
  void HandleByHash(const Incoming& in, const media::GetDocumentByHash& req);
  void HandlePart(const Incoming& in, const media::UploadPart& req);
  void HandleUploadState(const Incoming& in, const media::GetUploadState& req);
  void HandleFinish(const Incoming& in, const media::FinishUpload& req);
  void HandleGetDocument(const Incoming& in, const media::GetDocument& req);
  void HandleGetFile(const Incoming& in, const media::GetFile& req);
  void HandleDelete(const Incoming& in, const media::DeleteDocument& req);

  // The answer to FinishUpload once every part is in.
  api::ServerFrame Finish(uint64_t user, const api::FinishUpload& req, const media::UploadRecord& up);
  // Seals the upload's parts into the blob, unless it is stored already.
  Status SealBlob(const std::string& upload, const media::UploadRecord& up);
  // A new document of user for blob sha256 (whose record is `blob`), in
  // batch with the blob's count raised; written by the caller.
  api::Document NewDocument(uint64_t user, const std::string& sha256, media::BlobRecord blob, const std::string& mime,
                            const std::string& name, WriteBatch* batch);
  api::Document Present(const media::DocumentRecord& doc);
  bool BlobStored(const std::string& sha256);
  api::UploadState StateOf(uint64_t file_id, const media::UploadRecord& up) const;
  // Whether (sha256, size) can name a file: 32 bytes, 1 byte to max_file_bytes.
  bool NamesAFile(const std::string& sha256, uint64_t size) const {
    return sha256.size() == kSha256Bytes && size > 0 && size <= limits_.max_file_bytes;
  }
  // The document named by (sha256, id, access_hash), or nullopt with *error set.
  std::optional<media::DocumentRecord> Named(const std::string& sha256, uint64_t id, uint64_t access_hash,
                                             api::ServerFrame* error);

  // Frees blobs past their grace and drops expired uploads, then again
  // after sweep_interval.
  void Sweep();
  // Each true if it stopped at a full batch (more are due).
  bool SweepGrace();
  bool SweepUploads();

  void Answer(const ReplyTo& to, api::ServerFrame frame);
  void Fail(const ReplyTo& to, api::ErrorCode code, const std::string& why);

  Env* env_;
  MediaLimits limits_;
  MediaStore store_;
  std::string reference_key_;
  uint64_t next_document_ = 1;
  bool healthy_ = true;  // false: the store failed at start; every request gets INTERNAL
};

// Upload part count of a file of `size` bytes.
inline uint32_t PartsOf(uint64_t size) { return static_cast<uint32_t>((size + kFilePartBytes - 1) / kFilePartBytes); }

// The staging name of (user, file_id, sha256)'s upload in the BlobStore.
std::string UploadName(uint64_t user, uint64_t file_id, std::string_view sha256);

}  // namespace msgbed
