// Where a user's message box, a basic group's record and a channel live:
// the messages instance that rendezvous hashing picks for the id
// (RendezvousOwner), so that a deployment given one more instance moves
// only the boxes the new one wins. Stable across runs and machines; every
// runtime and core computes the same.
#pragma once

#include "core/cluster.h"

namespace msgbed {

inline rpc::Address BoxOwner(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kMessages, RendezvousOwner(StableHash(user), shape.Count(role::kMessages)));
}

inline rpc::Address ChatOwner(const ClusterShape& shape, uint64_t chat) { return BoxOwner(shape, chat); }

// A channel's (or supergroup's) record, members and box.
inline rpc::Address ChannelOwner(const ClusterShape& shape, uint64_t channel) { return BoxOwner(shape, channel); }

}  // namespace msgbed
