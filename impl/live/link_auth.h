// Authentication of service-to-service links with the deployment secret:
// a process that does not hold it can neither put a message into any
// service nor receive one meant for a service.
//
//   acceptor  -> LinkChallenge{nonce_a}
//   connector -> LinkHello{instances, target, nonce_c, mac_hello}
//   acceptor  -> LinkWelcome{mac_welcome}  (or LinkRefused, then close)
//
// mac_hello and mac_welcome are HMAC-SHA-256 under the secret over the same
// transcript (both nonces, the target, the connector's instances, the lane), each with
// its own label. The acceptor accepts only a target it serves, so a hello
// relayed to any other process fails; the connector sends nothing before it
// has checked the welcome, so whoever it reached must hold the secret; fresh
// nonces on both sides defeat replay. Envelopes on the link must name one of
// the hello's instances as sender. This authenticates; it does not encrypt
// (TLS comes with the encryption work).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/status.h"
#include "proto/rpc.pb.h"

namespace msgbed::live {

// At least this many secret bytes.
inline constexpr size_t kMinSecretBytes = 16;
inline constexpr size_t kNonceBytes = 32;

// Reads the secret (hex text; surrounding whitespace ignored) from path.
// If path does not exist and `create` holds, writes a new random 32-byte
// secret there first (mode 0600; atomically, so processes starting
// together agree on one).
Status LoadSecret(const std::string& path, bool create, std::string* secret);

std::string NewNonce();

// The Bot API operator's bearer key (docs/bots.md, "Operating bots"): the
// lowercase hex HMAC-SHA-256 of "msgbed bot operator" under the deployment
// secret. The botapi role's HTTP server and `msgbed bot` both derive it
// here, so whoever holds the secret can operate bots and nobody else can.
std::string OperatorKey(const std::string& secret);
// Whether `presented` is `key`, compared in constant time (an empty key
// matches nothing).
bool SameOperatorKey(std::string_view presented, const std::string& key);

// The connector's answer to a challenge; bulk for a link of the bulk lane.
rpc::LinkHello MakeHello(const std::string& secret, const std::string& nonce_a, const std::string& nonce_c,
                         const std::vector<Address>& instances, const Address& target, bool bulk = false);
// True when hello's MAC is right for nonce_a (the acceptor's own).
bool VerifyHello(const std::string& secret, const std::string& nonce_a, const rpc::LinkHello& hello);
// The acceptor's proof, for a hello it verified.
rpc::LinkWelcome MakeWelcome(const std::string& secret, const std::string& nonce_a, const rpc::LinkHello& hello);
// True when welcome answers hello (the connector's own) to challenge nonce_a.
bool VerifyWelcome(const std::string& secret, const std::string& nonce_a, const rpc::LinkHello& hello,
                   const rpc::LinkWelcome& welcome);

}  // namespace msgbed::live
