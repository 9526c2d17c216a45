// Epochs: a counter in an instance's own store, bumped at every start, so
// that names it hands out (connection ids) never match one from an
// earlier run (the gateway's and the Bot API server's ClientRefs).
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"

namespace msgbed {

// The epoch after the last one stored under key, stored. Without a
// working store, a random one with the top bit set (counted as
// "<counter>"): a collision with an earlier epoch is then as unlikely as
// guessing 63 random bits.
uint64_t NextEpoch(Env& env, const std::string& key, const std::string& counter);

}  // namespace msgbed
