// A session's credential: what a signed-in device keeps and shows on every
// connection (Telegram's auth key plays this part). 48 bytes: the user id
// and session id (big-endian, so the gateway can route it) and 32 random
// bytes. The server stores only the BLAKE2b-256 hash of the random part:
// with 256 bits of entropy a fast hash is enough, and a stolen store
// yields no usable credential.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace msgbed {

struct Credential {
  static constexpr size_t kSecretBytes = 32;
  static constexpr size_t kBytes = 16 + kSecretBytes;

  uint64_t user = 0;
  uint64_t device = 0;
  std::string secret;  // kSecretBytes

  std::string Encode() const;
  // nullopt if bytes is not a credential's shape.
  static std::optional<Credential> Decode(std::string_view bytes);
};

// BLAKE2b-256 of bytes.
std::string SecretHash(std::string_view bytes);
// Equal contents, in time that depends only on the sizes.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// Big-endian bytes of v, and back (REQUIRES: 8 bytes at p).
std::string BigEndian(uint64_t v);
uint64_t FromBigEndian(const char* p);

}  // namespace msgbed
