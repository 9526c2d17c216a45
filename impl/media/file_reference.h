// File references: what lets the holder of a document download it, for a
// while. A reference is the date it expires (8 bytes, big-endian) and a
// 16-byte MAC (keyed BLAKE2b) of the document's id, access hash and that
// date under the media instance's key: nothing to store, nothing to forge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace msgbed {

inline constexpr size_t kFileReferenceKeyBytes = 32;

// REQUIRES: key is kFileReferenceKeyBytes long.
std::string MakeFileReference(std::string_view key, uint64_t id, uint64_t access_hash, int64_t expires);

// The date ref expires, if it is one MakeFileReference made for (id,
// access_hash) under key; nullopt otherwise.
std::optional<int64_t> FileReferenceExpiry(std::string_view key, std::string_view ref, uint64_t id,
                                           uint64_t access_hash);

}  // namespace msgbed
