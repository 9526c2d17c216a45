// Authentication of service-to-service links with the deployment secret:
// a process that does not hold it cannot put a message into any service.
// The accepting side sends a fresh random nonce (LinkChallenge); the
// connecting side answers with its address and an HMAC-SHA-256 over the
// nonce and that address (LinkHello); the acceptor checks it in constant
// time. A replayed hello fails against a new nonce. This authenticates
// but does not encrypt: mutual TLS comes with the encryption work.
#pragma once

#include <string>

#include "core/status.h"
#include "proto/rpc.pb.h"

namespace msgbed::live {

// At least this many secret bytes.
inline constexpr size_t kMinSecretBytes = 16;
inline constexpr size_t kNonceBytes = 32;

// Reads the secret (hex text) from path. If path does not exist and
// `create` holds, writes a new random 32-byte secret there first (mode
// 0600; atomically, so processes starting together agree on one).
Status LoadSecret(const std::string& path, bool create, std::string* secret);

std::string NewNonce();
std::string LinkMac(const std::string& secret, const std::string& nonce, const rpc::Address& from);
// True when hello carries the MAC of nonce and hello.from under secret.
bool VerifyHello(const std::string& secret, const std::string& nonce, const rpc::LinkHello& hello);

}  // namespace msgbed::live
