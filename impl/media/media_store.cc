#include "media/media_store.h"

#include "core/kv_proto.h"

namespace msgbed {

std::string MediaStore::BE(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * (7 - i))) & 0xff);
  return s;
}

uint64_t MediaStore::FromBE(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// Keys are built by append: GCC 12 at -O3 warns falsely (-Wrestrict) of
// "literal" + std::string.
std::string MediaStore::BlobKey(std::string_view sha256) { return std::string("b").append(sha256); }

std::string MediaStore::DocumentKey(std::string_view sha256, uint64_t id) {
  return std::string("d").append(sha256).append(BE(id));
}

std::string MediaStore::UploadKey(uint64_t user, uint64_t file_id, std::string_view sha256) {
  return std::string("u").append(BE(user)).append(BE(file_id)).append(sha256);
}

std::string MediaStore::ExpiryKey(int64_t date, uint64_t user, uint64_t file_id, std::string_view sha256) {
  return std::string("e").append(BE(static_cast<uint64_t>(date))).append(BE(user)).append(BE(file_id)).append(sha256);
}

std::string MediaStore::GraceKey(int64_t date, std::string_view sha256) {
  return std::string("g").append(BE(static_cast<uint64_t>(date))).append(sha256);
}

std::optional<media::BlobRecord> MediaStore::Blob(std::string_view sha256, Status* status) {
  return ReadProto<media::BlobRecord>(kv_, BlobKey(sha256), status, "blob record");
}

std::optional<media::DocumentRecord> MediaStore::Document(std::string_view sha256, uint64_t id, Status* status) {
  return ReadProto<media::DocumentRecord>(kv_, DocumentKey(sha256, id), status, "document record");
}

std::optional<media::UploadRecord> MediaStore::Upload(uint64_t user, uint64_t file_id, std::string_view sha256,
                                                      Status* status) {
  return ReadProto<media::UploadRecord>(kv_, UploadKey(user, file_id, sha256), status, "upload record");
}

Status MediaStore::DueEntries(char tag, int64_t upto, size_t limit, std::vector<Due>* out) {
  out->clear();
  if (upto < 0) return Status::Ok();
  KvStore::Entries entries;
  const std::string from(1, tag), to = std::string(1, tag) + BE(static_cast<uint64_t>(upto) + 1);
  if (Status s = kv_->Scan(from, to, limit, &entries); !s.ok()) return s;
  for (auto& [key, value] : entries) {
    if (key.size() < 9) return Status::Corruption("short queue key");
    out->push_back({key, static_cast<int64_t>(FromBE(std::string_view(key).substr(1, 8))), key.substr(9)});
  }
  return Status::Ok();
}

}  // namespace msgbed
