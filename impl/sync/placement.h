// Which sync instance serves a user: the one that consumes the user's bus
// partition, sync[partition(user) % sync], so the instance that reads a
// user's updates is the one that knows the user's online devices.
#pragma once

#include "core/cluster.h"

namespace msgbed {

inline rpc::Address SyncOf(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kSync, shape.PartitionOf(user) % shape.Count(role::kSync));
}

// Whether sync instance `index` consumes `partition`.
inline bool SyncConsumes(const ClusterShape& shape, uint32_t index, uint32_t partition) {
  return partition % shape.Count(role::kSync) == index;
}

}  // namespace msgbed
