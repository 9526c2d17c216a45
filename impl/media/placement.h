// Where a file's media lives: the media instance that rendezvous hashing
// picks for its sha256, so every copy of a file meets at one instance.
// Media instances are not reshaped while running (docs/media.md).
#pragma once

#include <string_view>

#include "core/cluster.h"

namespace msgbed {

inline Address MediaOwner(const ClusterShape& shape, std::string_view sha256) {
  uint64_t h = 0;  // a SHA-256 is uniform: its first 8 bytes are hash enough
  for (size_t i = 0; i < 8 && i < sha256.size(); ++i) h = h << 8 | static_cast<unsigned char>(sha256[i]);
  return MakeAddress(role::kMedia, RendezvousOwner(h, shape.Count(role::kMedia)));
}

}  // namespace msgbed
