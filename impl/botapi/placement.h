// Which botapi instance serves a bot: the one rendezvous hashing picks for
// its id. Its update queue and webhook live there; another instance that
// receives the bot's HTTP request relays it (botapi.Relay).
#pragma once

#include "core/cluster.h"

namespace msgbed {

inline Address BotApiOf(const ClusterShape& shape, uint64_t bot) {
  return MakeAddress(role::kBotApi, RendezvousOwner(StableHash(bot), shape.Count(role::kBotApi)));
}

}  // namespace msgbed
