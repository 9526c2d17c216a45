// Where the message store's tier keeps a box: on the `replicas` store
// nodes with the highest rendezvous scores for its id (core/cluster.h), so
// that a store node added or lost moves only the copies it wins or held.
#pragma once

#include <algorithm>
#include <vector>

#include "core/address.h"
#include "core/cluster.h"

namespace msgbed {

inline constexpr const char* kStoreRole = "store";

// The indexes of box id's replicas among `nodes` store nodes, best first:
// min(replicas, nodes) of them.
inline std::vector<uint32_t> ReplicasOf(uint64_t id, uint32_t nodes, uint32_t replicas) {
  std::vector<std::pair<uint64_t, uint32_t>> scored;
  for (uint32_t i = 0; i < nodes; ++i) scored.push_back({RendezvousScore(StableHash(id), i), i});
  const size_t n = std::min<size_t>(replicas, nodes);
  std::partial_sort(scored.begin(), scored.begin() + n, scored.end(), std::greater<>());
  std::vector<uint32_t> out;
  for (size_t k = 0; k < n; ++k) out.push_back(scored[k].second);
  return out;
}

inline Address StoreNode(uint32_t index) { return MakeAddress(kStoreRole, index); }

}  // namespace msgbed
