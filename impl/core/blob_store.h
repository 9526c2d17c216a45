// BlobStore: large immutable byte strings ("blobs") named by their
// SHA-256, beside a core's KvStore. Live: content-addressed files on local
// disk (live/file_blob_store.h). Simulated and in tests: MemBlobStore.
//
// Uploads arrive part by part into a staging area; Seal turns one into a
// blob atomically: a reader sees a blob whole or not at all, and a crash
// leaves no part of one. Durable when a call returns Ok, like KvStore.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace msgbed {

inline constexpr size_t kSha256Bytes = 32;

// [0-9a-z_-]{1,64}: safe as a file name everywhere.
inline bool ValidUploadName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-')) return false;
  }
  return true;
}

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores part `part` of staging area `upload` (a name of [0-9a-z_-],
  // at most 64 characters), replacing what that part held.
  virtual Status PutPart(std::string_view upload, uint32_t part, std::string_view bytes) = 0;
  // Bytes of one staged part; NotFound if it was never stored.
  virtual Status ReadPart(std::string_view upload, uint32_t part, std::string* out) = 0;
  // Makes blob sha256 (32 raw bytes) of parts 0 .. parts - 1 of upload,
  // in order, and removes the upload. Corruption if they do not hash to
  // sha256 (the upload is removed, nothing is stored); NotFound if a part
  // is missing (the upload stays). A blob that exists already is kept.
  virtual Status Seal(std::string_view upload, uint32_t parts, std::string_view sha256) = 0;
  // Removes an upload's parts; Ok if it had none.
  virtual Status DropUpload(std::string_view upload) = 0;

  // Bytes [offset, offset + limit) of blob sha256, fewer at its end.
  // NotFound if there is no such blob.
  virtual Status Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) = 0;
  // Removes blob sha256; Ok if there was none.
  virtual Status Delete(std::string_view sha256) = 0;
};

}  // namespace msgbed
