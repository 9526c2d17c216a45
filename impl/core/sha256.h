// SHA-256 over bytes given in pieces (libsodium's): what names a blob.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace msgbed {

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
