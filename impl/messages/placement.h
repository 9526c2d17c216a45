// Where a user's message box, and a basic group's record, live:
// messages[hash(id) % messages]. Stable across runs and machines; every
// runtime and core computes the same.
#pragma once

#include "core/cluster.h"

namespace msgbed {

inline rpc::Address BoxOwner(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kMessages, static_cast<uint32_t>(StableHash(user) % shape.Count(role::kMessages)));
}

inline rpc::Address ChatOwner(const ClusterShape& shape, uint64_t chat) { return BoxOwner(shape, chat); }

}  // namespace msgbed
