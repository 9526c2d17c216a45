// MediaStore: the media service's records on its KvStore (the bytes are in
// its BlobStore). Key layout (big-endian integers; a sha256 is 32 raw bytes):
//   'b' sha256                 -> media.BlobRecord      (a stored file, its reference count)
//   'd' sha256 id              -> media.DocumentRecord  (one user's handle on it)
//   'u' user file_id sha256    -> media.UploadRecord    (an upload under way)
//   'e' date user file_id sha256 -> ""                  (uploads by their newest part's date: expiry)
//   'g' date sha256            -> ""                    (blobs no document holds, by when: the grace queue)
//   'k'                        -> 32 bytes              (the key of file references)
//   'n'                        -> 8 bytes               (the next document number)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kv_store.h"
#include "proto/media.pb.h"

namespace msgbed {

class MediaStore {
 public:
  explicit MediaStore(KvStore* kv) : kv_(kv) {}

  static std::string BlobKey(std::string_view sha256);
  static std::string DocumentKey(std::string_view sha256, uint64_t id);
  static std::string UploadKey(uint64_t user, uint64_t file_id, std::string_view sha256);
  static std::string ExpiryKey(int64_t date, uint64_t user, uint64_t file_id, std::string_view sha256);
  static std::string GraceKey(int64_t date, std::string_view sha256);
  static std::string SecretKey() { return "k"; }
  static std::string CounterKey() { return "n"; }
  static std::string BE(uint64_t v);
  // The big-endian integer in s's first 8 bytes (fewer: as many as there are).
  static uint64_t FromBE(std::string_view s);

  // Each nullopt if absent (or on failure: *status says).
  std::optional<media::BlobRecord> Blob(std::string_view sha256, Status* status);
  std::optional<media::DocumentRecord> Document(std::string_view sha256, uint64_t id, Status* status);
  std::optional<media::UploadRecord> Upload(uint64_t user, uint64_t file_id, std::string_view sha256, Status* status);
  std::optional<std::string> Raw(const std::string& key, Status* status) { return kv_->Get(key, status); }

  // Queue entries ('e' or 'g') dated at most `upto`, oldest first, at most limit.
  struct Due {
    std::string key;
    int64_t date;
    std::string rest;  // what follows the date: user, file_id and sha256; or sha256
  };
  Status DueEntries(char tag, int64_t upto, size_t limit, std::vector<Due>* out);

  Status Write(const WriteBatch& batch) { return kv_->Write(batch); }

 private:
  KvStore* kv_;
};

// Bytes as a Protobuf message, for a WriteBatch.
inline std::string Bytes(const google::protobuf::MessageLite& m) { return m.SerializeAsString(); }

}  // namespace msgbed
