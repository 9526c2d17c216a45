#include "crypto/e2e.h"

#include <sodium.h>

#include <array>

namespace msgbed::e2e {
namespace {

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

bool Ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

}  // namespace

std::optional<KeyPair> DhKeyPair(std::string_view seed) {
  if (seed.size() != kKeyBytes || !Ready()) return std::nullopt;
  KeyPair pair{std::string(crypto_scalarmult_BYTES, '\0'), std::string(seed)};
  if (crypto_scalarmult_base(U(pair.public_key), U(pair.secret_key)) != 0) return std::nullopt;
  return pair;
}

std::optional<std::string> Agree(std::string_view my_secret, std::string_view peer_public) {
  if (my_secret.size() != kKeyBytes || peer_public.size() != kKeyBytes || !Ready()) return std::nullopt;
  std::string shared(crypto_scalarmult_BYTES, '\0');
  if (crypto_scalarmult(U(shared), U(my_secret), U(peer_public)) != 0) return std::nullopt;
  return shared;
}

std::optional<KeyPair> IdentityKeyPair(std::string_view seed) {
  if (seed.size() != crypto_sign_SEEDBYTES || !Ready()) return std::nullopt;
  KeyPair pair{std::string(crypto_sign_PUBLICKEYBYTES, '\0'), std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  if (crypto_sign_seed_keypair(U(pair.public_key), U(pair.secret_key), U(seed)) != 0) return std::nullopt;
  return pair;
}

std::string Sign(const KeyPair& identity, std::string_view message) {
  if (identity.secret_key.size() != crypto_sign_SECRETKEYBYTES || !Ready()) return {};
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(U(signature), nullptr, U(message), message.size(), U(identity.secret_key));
  return signature;
}

bool Verify(std::string_view identity_public, std::string_view message, std::string_view signature) {
  if (identity_public.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES || !Ready())
    return false;
  return crypto_sign_verify_detached(U(signature), U(message), message.size(), U(identity_public)) == 0;
}

std::string Seal(std::string_view key, std::string_view nonce, std::string_view ad, std::string_view plaintext) {
  if (key.size() != kKeyBytes || nonce.size() != kNonceBytes || !Ready()) return {};
  std::string sealed(plaintext.size() + kTagBytes, '\0');
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(U(sealed), &n, U(plaintext), plaintext.size(), U(ad), ad.size(), nullptr,
                                             U(nonce), U(key));
  sealed.resize(n);
  return sealed;
}

std::optional<std::string> Open(std::string_view key, std::string_view nonce, std::string_view ad,
                                std::string_view sealed) {
  if (key.size() != kKeyBytes || nonce.size() != kNonceBytes || sealed.size() < kTagBytes || !Ready())
    return std::nullopt;
  std::string plain(sealed.size() - kTagBytes, '\0');
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(U(plain), &n, nullptr, U(sealed), sealed.size(), U(ad), ad.size(),
                                                 U(nonce), U(key)) != 0)
    return std::nullopt;
  plain.resize(n);
  return plain;
}

std::string Hash(std::string_view key, const std::vector<std::string_view>& parts) {
  std::string out(crypto_generichash_BYTES, '\0');
  if (key.size() > crypto_generichash_KEYBYTES_MAX || !Ready()) return {};
  crypto_generichash_state state;
  crypto_generichash_init(&state, U(key), key.size(), out.size());
  for (std::string_view part : parts) {
    std::array<unsigned char, 8> length{};
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(part.size() >> (8 * (7 - i)));
    crypto_generichash_update(&state, length.data(), length.size());
    crypto_generichash_update(&state, U(part), part.size());
  }
  crypto_generichash_final(&state, U(out), out.size());
  return out;
}

std::string FingerprintHex(std::string_view fingerprint) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : fingerprint) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

std::vector<std::string> FingerprintEmoji(std::string_view fingerprint) {
  // 64 emoji that read alike on every platform (no skin tones, no flags).
  static constexpr const char* kEmoji[64] = {
      "😀",    "😎", "😇", "🤖", "👻",    "🐶",    "🐱", "🦊", "🐻", "🐼", "🐨",    "🐯", "🦁", "🐮", "🐷", "🐸",
      "🐵",    "🐔", "🐧", "🐦",    "🦆", "🦉", "🐴", "🦄", "🐝", "🐛", "🦋", "🐌", "🐞",    "🐢", "🐍", "🐙",
      "🦀", "🐬", "🐳", "🌵",    "🌲",    "🍀",    "🍁", "🌻",    "🌙", "⭐", "🔥",    "🌈", "☔",    "⛄", "🍎", "🍋",
      "🍌",    "🍉", "🍇", "🍓",    "🍒",    "🍑",    "🍍", "🥕", "🌽", "🍄", "🍕",    "🍩", "🎁",    "🎈", "🔑", "⚓"};
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < fingerprint.size(); i += 2) {
    const unsigned v = static_cast<unsigned char>(fingerprint[i]) << 8 | static_cast<unsigned char>(fingerprint[i + 1]);
    out.emplace_back(kEmoji[v % 64]);
  }
  return out;
}

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace msgbed::e2e
