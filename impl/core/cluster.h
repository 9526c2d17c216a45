// ClusterShape: how many instances of each role a deployment has, and the
// sharding functions every runtime and core must agree on.
//
// Sharding (stable across runs and machines):
//   owner of user U's message box   = messages[hash(U) % messages]
//   bus partition of U's updates    = hash(U) % partitions
//   sync instance serving U         = partition(U) % sync
// so the sync instance that consumes U's partition is the one that knows U's
// online devices.
#pragma once

#include <cstdint>

#include "core/address.h"

namespace msgbed {

inline constexpr const char* kUpdatesTopic = "updates";

// FNV-1a over the 8 bytes of a user id: cheap, stable, well mixed.
inline uint64_t StableHash(uint64_t v) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
  return h;
}

// Partition of a bus key (decimal user id or any bytes).
inline uint32_t PartitionOfKey(const std::string& key, uint32_t partitions) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<uint32_t>(h % partitions);
}

struct ClusterShape {
  uint32_t gateways = 1;
  uint32_t messages = 1;
  uint32_t sync = 1;
  uint32_t partitions = 8;

  static std::string UserKey(uint64_t user) { return std::to_string(user); }
  uint32_t PartitionOf(uint64_t user) const { return PartitionOfKey(UserKey(user), partitions); }
  rpc::Address BoxOwner(uint64_t user) const {
    return MakeAddress(role::kMessages, static_cast<uint32_t>(StableHash(user) % messages));
  }
  rpc::Address SyncOf(uint64_t user) const { return MakeAddress(role::kSync, PartitionOf(user) % sync); }
  // Partitions consumed by sync instance `index`.
  bool SyncConsumes(uint32_t index, uint32_t partition) const { return partition % sync == index; }
};

}  // namespace msgbed
