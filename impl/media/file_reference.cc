#include "media/file_reference.h"

#include <sodium.h>

#include "media/media_store.h"

namespace msgbed {
namespace {

constexpr size_t kMacBytes = 16;

std::string Mac(std::string_view key, uint64_t id, uint64_t access_hash, int64_t expires) {
  const std::string what = MediaStore::BE(id) + MediaStore::BE(access_hash) + MediaStore::BE(expires);
  std::string mac(kMacBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(mac.data()), mac.size(),
                     reinterpret_cast<const unsigned char*>(what.data()), what.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return mac;
}

}  // namespace

std::string MakeFileReference(std::string_view key, uint64_t id, uint64_t access_hash, int64_t expires) {
  return MediaStore::BE(static_cast<uint64_t>(expires)) + Mac(key, id, access_hash, expires);
}

std::optional<int64_t> FileReferenceExpiry(std::string_view key, std::string_view ref, uint64_t id,
                                           uint64_t access_hash) {
  if (ref.size() != 8 + kMacBytes) return std::nullopt;
  const auto expires = static_cast<int64_t>(MediaStore::FromBE(ref));
  const std::string want = Mac(key, id, access_hash, expires);
  if (sodium_memcmp(want.data(), ref.data() + 8, kMacBytes) != 0) return std::nullopt;
  return expires;
}

}  // namespace msgbed
