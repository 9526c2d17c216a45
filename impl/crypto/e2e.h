// End-to-end crypto for secret chats (docs/secret-chats.md): a thin wrapper
// over libsodium. Keys are byte strings of fixed sizes; every function
// checks them and fails (nullopt, false, empty) rather than reading out of
// bounds. No randomness here: callers pass seeds and nonces drawn from
// Env::SecretBytes, so a simulated run stays deterministic.
//
//   key agreement     X25519 (crypto_scalarmult)
//   identity          Ed25519 signatures (crypto_sign_detached)
//   messages          XChaCha20-Poly1305, IETF construction, 24-byte nonce
//   key derivation    keyed BLAKE2b-256 (crypto_generichash)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace msgbed::e2e {

inline constexpr size_t kKeyBytes = 32;        // X25519 keys, chat keys, Ed25519 public keys, seeds
inline constexpr size_t kSignatureBytes = 64;  // Ed25519
inline constexpr size_t kNonceBytes = 24;      // XChaCha20-Poly1305
inline constexpr size_t kTagBytes = 16;        // Poly1305
inline constexpr size_t kFingerprintBytes = 16;

struct KeyPair {
  std::string public_key;  // kKeyBytes
  std::string secret_key;  // X25519: kKeyBytes; Ed25519: 64 (seed and public key)
};

// An X25519 key pair from a kKeyBytes seed (clamped as X25519 does).
std::optional<KeyPair> DhKeyPair(std::string_view seed);
// The shared secret of my_secret and peer_public; nullopt for a peer key
// of low order (the result would be all zeros) or of a wrong size.
std::optional<std::string> Agree(std::string_view my_secret, std::string_view peer_public);

// An Ed25519 identity key pair from a kKeyBytes seed.
std::optional<KeyPair> IdentityKeyPair(std::string_view seed);
std::string Sign(const KeyPair& identity, std::string_view message);
bool Verify(std::string_view identity_public, std::string_view message, std::string_view signature);

// Ciphertext and tag of plaintext under key and nonce, authenticating ad
// too; empty on a key or nonce of a wrong size.
std::string Seal(std::string_view key, std::string_view nonce, std::string_view ad, std::string_view plaintext);
// The plaintext, or nullopt if sealed was not made by Seal with this key,
// nonce and ad (tampered, truncated, another chat's or generation's).
std::optional<std::string> Open(std::string_view key, std::string_view nonce, std::string_view ad,
                                std::string_view sealed);

// Keyed BLAKE2b-256 of the parts, each length-prefixed (so no two lists of
// parts hash alike), under key (empty: unkeyed).
std::string Hash(std::string_view key, const std::vector<std::string_view>& parts);

// What both devices of a chat compare: the first kFingerprintBytes of the
// hash of the chat's first key and both identity keys, as 32 hex digits
// and as 8 emoji (each 2 bytes, big-endian, mod 64 picks one of 64).
std::string FingerprintHex(std::string_view fingerprint);
std::vector<std::string> FingerprintEmoji(std::string_view fingerprint);

// Overwrites s's bytes with zeros (sodium_memzero), then empties it.
void Wipe(std::string& s);

}  // namespace msgbed::e2e
