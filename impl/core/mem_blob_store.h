// MemBlobStore: a BlobStore in memory, for the simulator and tests. A
// simulated crash keeps it, as a disk would.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "core/blob_store.h"

namespace msgbed {

class MemBlobStore final : public BlobStore {
 public:
  Status PutPart(std::string_view upload, uint32_t part, std::string_view bytes) override;
  Status ReadPart(std::string_view upload, uint32_t part, std::string* out) override;
  Status Seal(std::string_view upload, uint32_t parts, std::string_view sha256) override;
  Status DropUpload(std::string_view upload) override;
  Status Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) override;
  Status Delete(std::string_view sha256) override;

  size_t blobs() const { return blobs_.size(); }
  // Bytes held: blobs and staged parts.
  uint64_t bytes() const { return blob_bytes_ + staged_bytes_; }
  uint64_t blob_bytes() const { return blob_bytes_; }
  // Bytes staged for upload.
  uint64_t UploadBytes(std::string_view upload) const;

 private:
  using UploadKey = std::pair<std::string, uint32_t>;
  std::map<UploadKey, std::string, std::less<>> parts_;
  std::map<std::string, std::string, std::less<>> blobs_;
  uint64_t blob_bytes_ = 0, staged_bytes_ = 0;
};

}  // namespace msgbed
