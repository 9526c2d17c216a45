// Where auth data lives: a phone number's sign-in state on
// auth[hash(digits) % auth], a user's account and sessions on
// auth[hash(user) % auth]. Every runtime and core computes the same.
#pragma once

#include <string>

#include "core/cluster.h"

namespace msgbed {

inline rpc::Address AuthOfPhone(const ClusterShape& shape, const std::string& digits) {
  return MakeAddress(role::kAuth, PartitionOfKey(digits, shape.Count(role::kAuth)));
}

inline rpc::Address AuthOfUser(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kAuth, static_cast<uint32_t>(StableHash(user) % shape.Count(role::kAuth)));
}

}  // namespace msgbed
