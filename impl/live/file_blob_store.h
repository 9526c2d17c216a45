// FileBlobStore: the live BlobStore, content-addressed files under one
// directory per service instance:
//   blobs/<first 2 hex digits>/<64 hex digits>   a sealed blob
//   uploads/<upload>/<part, 8 digits>            a staged part
//   tmp/                                         files being written
// Every file is written in tmp/, fsynced, renamed into place, and its
// directory fsynced: a crash leaves a part or blob whole or absent, never
// half written, and Open clears what tmp/ holds. Without sync (storage.sync:
// false, as RocksDbStore) nothing is fsynced: a process crash still leaves
// no half-written file, a machine crash may lose the last writes.
// Directories are made on first write.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/blob_store.h"

namespace msgbed::live {

class FileBlobStore final : public BlobStore {
 public:
  // Opens or creates the store at dir (parents included).
  static Status Open(const std::filesystem::path& dir, bool sync, std::unique_ptr<FileBlobStore>* out);

  Status PutPart(std::string_view upload, uint32_t part, std::string_view bytes) override;
  Status ReadPart(std::string_view upload, uint32_t part, std::string* out) override;
  Status Seal(std::string_view upload, uint32_t parts, std::string_view sha256) override;
  Status DropUpload(std::string_view upload) override;
  Status Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) override;
  Status Delete(std::string_view sha256) override;

  std::filesystem::path BlobPath(std::string_view sha256) const;

 private:
  FileBlobStore(std::filesystem::path dir, bool sync) : dir_(std::move(dir)), sync_(sync) {}
  Status Fsync(int fd, const std::filesystem::path& path) const;
  // Renames a written tmp file into place (durably, with sync).
  Status Publish(const std::filesystem::path& tmp, const std::filesystem::path& to) const;
  std::filesystem::path PartPath(std::string_view upload, uint32_t part) const;
  std::filesystem::path NewTmp();

  std::filesystem::path dir_;
  bool sync_;
  uint64_t next_tmp_ = 0;
};

}  // namespace msgbed::live
