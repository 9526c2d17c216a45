#include "auth/credential.h"

#include <sodium.h>

namespace msgbed {

std::string BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

uint64_t FromBigEndian(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

std::string Credential::Encode() const { return BigEndian(user) + BigEndian(device) + secret; }

std::optional<Credential> Credential::Decode(std::string_view bytes) {
  if (bytes.size() != kBytes) return std::nullopt;
  Credential c{FromBigEndian(bytes.data()), FromBigEndian(bytes.data() + 8), std::string(bytes.substr(16))};
  if (c.user == 0 || c.device == 0) return std::nullopt;
  return c;
}

std::string SecretHash(std::string_view bytes) {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr, 0);
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace msgbed
