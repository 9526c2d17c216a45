// Where a user's message box, a basic group's record and a channel live:
// the messages instance that rendezvous hashing picks for the id
// (RendezvousOwner), so that a deployment given one more instance moves
// only the boxes the new one wins (box_handoff.h moves them). Stable
// across runs and machines; every runtime and core computes the same.
#pragma once

#include <optional>
#include <string_view>

#include "core/cluster.h"

namespace msgbed {

// Index of the messages instance that owns id among `count`. REQUIRES: count > 0.
inline uint32_t OwnerIndex(uint64_t id, uint32_t count) { return RendezvousOwner(StableHash(id), count); }

inline Address BoxOwner(const ClusterShape& shape, uint64_t user) {
  return MakeAddress(role::kMessages, OwnerIndex(user, shape.Count(role::kMessages)));
}

inline Address ChatOwner(const ClusterShape& shape, uint64_t chat) { return BoxOwner(shape, chat); }

// A channel's (or supergroup's) record, members and box.
inline Address ChannelOwner(const ClusterShape& shape, uint64_t channel) { return BoxOwner(shape, channel); }

// The id (a user's box, a group, a channel) a key of a messages store
// belongs to, and so where it lives: every key is a one-byte tag, after
// an optional 'C' (channel boxes), then the id as 8 big-endian bytes
// (box_store.h, channel_keys.h, chats.cc). Keys starting with '~' are the
// instance's own (box_handoff.h): nullopt, as for a key too short.
// Every tag a messages store's keys have (box_store.h, channel_keys.h, secret_store.h,
// chats.cc, store/box_keys.h), and those after 'C': a box's keys are found
// by one scan per tag. Tests check that a store holds no other
// (StoreTier.EveryKeyOfAMessagesStoreHasAKnownTag).
inline constexpr std::string_view kIdTags = "ceghijmopqrsuyKMPQV";
inline constexpr std::string_view kChannelBoxTags = "chijmorsu";

inline std::optional<uint64_t> PlacementIdOfKey(std::string_view key) {
  if (key.empty() || key[0] == '~') return std::nullopt;
  const size_t at = key[0] == 'C' ? 2 : 1;
  if (key.size() < at + 8) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = at; i < at + 8; ++i) id = id << 8 | static_cast<unsigned char>(key[i]);
  return id;
}

}  // namespace msgbed
