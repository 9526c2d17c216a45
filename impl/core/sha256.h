// SHA-256 over bytes given in pieces (libsodium's): what names a blob.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace msgbed {

// Lowercase hex of bytes: how a SHA-256 is written in names.
inline std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

class Sha256 {
 public:
  Sha256() { crypto_hash_sha256_init(&state_); }
  void Update(std::string_view bytes) {
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
  // The 32 raw bytes of the digest. Call once.
  std::string Finish() {
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256_final(&state_, reinterpret_cast<unsigned char*>(out.data()));
    return out;
  }
  static std::string Of(std::string_view bytes) {
    Sha256 h;
    h.Update(bytes);
    return h.Finish();
  }

 private:
  crypto_hash_sha256_state state_;
};

}  // namespace msgbed
