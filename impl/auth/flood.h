// Flood control of sign-in, per phone number and per source address: at
// most `codes` code requests and `failures` wrong codes per window; past
// either, the number (or address) is blocked for first_wait, doubling with
// each block (a strike) up to max_wait. Strikes are forgotten after a day
// without a block. Times are dates (Env::Date), so a stored block outlives
// a restart.
#pragma once

#include <cstdint>

#include "core/time.h"
#include "proto/auth.pb.h"

namespace msgbed {

struct FloodRules {
  uint32_t codes = 5;
  uint32_t failures = 5;
  Micros window = 3600 * kSecond;
  Micros first_wait = 60 * kSecond;
  Micros max_wait = 86400 * kSecond;
};

// Whole seconds f stays blocked after now; 0 if it is not blocked.
uint32_t BlockedFor(const auth::Flood& f, Micros now);

// Counts one code request (or one wrong code) at now. True if that passed
// the limit: f is then blocked (BlockedFor tells how long).
bool CountCode(auth::Flood* f, const FloodRules& rules, Micros now);
bool CountFailure(auth::Flood* f, const FloodRules& rules, Micros now);

}  // namespace msgbed
