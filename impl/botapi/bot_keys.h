// The botapi role's store keys: a bot's state and its queued updates, in
// update_id order.
#pragma once

#include <string>

#include "auth/credential.h"

namespace msgbed {

inline std::string BotStateKey(uint64_t bot) { return "b/" + BigEndian(bot); }
inline std::string BotQueueKey(uint64_t bot, uint64_t update_id) {
  return "q/" + BigEndian(bot) + BigEndian(update_id);
}

}  // namespace msgbed
