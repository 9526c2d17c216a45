// Where a user's message box, a basic group's record and a channel live:
// messages[hash(id) % messages]. Stable across runs and machines; every
// runtime and core computes the same.
#pragma once

#include "core/cluster.h"

namespace msgbed {

inline rpc::Address BoxOwner(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kMessages, static_cast<uint32_t>(StableHash(user) % shape.Count(role::kMessages)));
}

inline rpc::Address ChatOwner(const ClusterShape& shape, uint64_t chat) { return BoxOwner(shape, chat); }

// A channel's (or supergroup's) record, members and box.
inline rpc::Address ChannelOwner(const ClusterShape& shape, uint64_t channel) { return BoxOwner(shape, channel); }

}  // namespace msgbed
