// Where auth data lives: a phone number's sign-in state on the auth
// instance rendezvous hashing picks for the digits, a user's account and
// sessions on the one it picks for the user (RendezvousOwner: one more
// instance moves only what it wins). Every runtime and core computes the
// same.
#pragma once

#include <string>

#include "core/cluster.h"
#include "core/utf8.h"

namespace msgbed {

inline Address AuthOfPhone(const ClusterShape& shape, const std::string& digits) {
  return MakeAddress(role::kAuth, RendezvousOwner(StableHash(digits), shape.Count(role::kAuth)));
}

// A username's record (usernames are unique ignoring case). (append, not
// "@" + ...: GCC 12 at -O3 warns falsely of overlapping copies there.)
inline Address AuthOfUsername(const ClusterShape& shape, const std::string& username) {
  const std::string key = std::string("@").append(AsciiLowercase(username));
  return MakeAddress(role::kAuth, RendezvousOwner(StableHash(key), shape.Count(role::kAuth)));
}

inline Address AuthOfUser(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kAuth, RendezvousOwner(StableHash(user), shape.Count(role::kAuth)));
}

}  // namespace msgbed
