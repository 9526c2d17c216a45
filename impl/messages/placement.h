// Where a user's message box lives: messages[hash(user) % messages]. Stable
// across runs and machines; every runtime and core computes the same.
#pragma once

#include "core/cluster.h"

namespace msgbed {

inline rpc::Address BoxOwner(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kMessages, static_cast<uint32_t>(StableHash(user) % shape.Count(role::kMessages)));
}

}  // namespace msgbed
