#include "core/mem_blob_store.h"

#include "core/sha256.h"

namespace msgbed {
namespace {

Status CheckName(std::string_view upload) {
  return ValidUploadName(upload) ? Status::Ok() : Status::Invalid("bad upload name '" + std::string(upload) + "'");
}

}  // namespace

Status MemBlobStore::PutPart(std::string_view upload, uint32_t part, std::string_view bytes) {
  if (Status s = CheckName(upload); !s.ok()) return s;
  std::string& slot = parts_[{std::string(upload), part}];
  staged_bytes_ += bytes.size();
  staged_bytes_ -= slot.size();
  slot.assign(bytes);
  return Status::Ok();
}

Status MemBlobStore::ReadPart(std::string_view upload, uint32_t part, std::string* out) {
  auto it = parts_.find(UploadKey{std::string(upload), part});
  if (it == parts_.end()) return Status::NotFound("no part " + std::to_string(part) + " of " + std::string(upload));
  *out = it->second;
  return Status::Ok();
}

Status MemBlobStore::Seal(std::string_view upload, uint32_t parts, std::string_view sha256) {
  if (Status s = CheckName(upload); !s.ok()) return s;
  std::string blob;
  Sha256 hash;
  for (uint32_t i = 0; i < parts; ++i) {
    auto it = parts_.find(UploadKey{std::string(upload), i});
    if (it == parts_.end()) return Status::NotFound("part " + std::to_string(i) + " of " + std::string(upload));
    hash.Update(it->second);
    blob += it->second;
  }
  const bool matches = hash.Finish() == sha256;
  if (Status s = DropUpload(upload); !s.ok()) return s;
  if (!matches) return Status::Corruption("the parts of " + std::string(upload) + " do not hash to the blob's name");
  if (blobs_.contains(sha256)) return Status::Ok();
  blob_bytes_ += blob.size();
  blobs_.emplace(std::string(sha256), std::move(blob));
  return Status::Ok();
}

Status MemBlobStore::DropUpload(std::string_view upload) {
  auto it = parts_.lower_bound(UploadKey{std::string(upload), 0});
  while (it != parts_.end() && it->first.first == upload) {
    staged_bytes_ -= it->second.size();
    it = parts_.erase(it);
  }
  return Status::Ok();
}

uint64_t MemBlobStore::UploadBytes(std::string_view upload) const {
  uint64_t n = 0;
  for (auto it = parts_.lower_bound(UploadKey{std::string(upload), 0}); it != parts_.end() && it->first.first == upload;
       ++it) {
    n += it->second.size();
  }
  return n;
}

Status MemBlobStore::Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) {
  auto it = blobs_.find(sha256);
  if (it == blobs_.end()) return Status::NotFound("no such blob");
  out->clear();
  if (offset < it->second.size()) *out = it->second.substr(offset, limit);
  return Status::Ok();
}

Status MemBlobStore::Delete(std::string_view sha256) {
  auto it = blobs_.find(sha256);
  if (it == blobs_.end()) return Status::Ok();
  blob_bytes_ -= it->second.size();
  blobs_.erase(it);
  return Status::Ok();
}

}  // namespace msgbed
