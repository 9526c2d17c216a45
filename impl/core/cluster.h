// ClusterShape: how many instances of each role a deployment has, and the
// bus partitioning every runtime and core must agree on. Where a role's
// data lives is that role's business (messages/placement.h, sync/placement.h),
// computed from the shape alone: there is no directory service to ask.
#pragma once

#include <cstdint>
#include <map>
#include <string>

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

// Which of n instances owns a key (by its hash): rendezvous hashing, the
// instance whose score for the key is highest. Going from n to n + 1
// instances moves only the keys the new instance now wins, about
// 1/(n + 1) of them, and never between two old instances; dropping the
// last instance moves only its keys. REQUIRES: n > 0.
// Instance i's rendezvous score for a key.
inline uint64_t RendezvousScore(uint64_t key_hash, uint32_t i) {
  auto mix = [](uint64_t x) {  // splitmix64's finalizer
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  };
  return mix(key_hash ^ mix(i + 1));
}

inline uint32_t RendezvousOwner(uint64_t key_hash, uint32_t n) {
  uint32_t best = 0;
  uint64_t best_score = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t score = RendezvousScore(key_hash, i);
    if (i == 0 || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

// FNV-1a over the bytes of key.
inline uint64_t StableHash(const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Partition of a bus key (decimal user id or any bytes).
inline uint32_t PartitionOfKey(const std::string& key, uint32_t partitions) {
  return static_cast<uint32_t>(StableHash(key) % partitions);
}

struct ClusterShape {
  std::map<std::string, uint32_t> instances;  // role -> count
  uint32_t partitions = 8;

  // The built-in roles, and the partition count.
  static ClusterShape Of(uint32_t gateways, uint32_t messages, uint32_t sync, uint32_t partitions = 8,
                         uint32_t auth = 1) {
    return {{{role::kGateway, gateways}, {role::kMessages, messages}, {role::kSync, sync}, {role::kAuth, auth}},
            partitions};
  }

  uint32_t Count(const std::string& role) const {
    auto it = instances.find(role);
    return it == instances.end() ? 0 : it->second;
  }
  static std::string UserKey(uint64_t user) { return std::to_string(user); }
  // Bus partition of user's updates.
  uint32_t PartitionOf(uint64_t user) const { return PartitionOfKey(UserKey(user), partitions); }
};

}  // namespace msgbed
