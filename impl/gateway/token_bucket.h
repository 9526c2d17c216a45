// TokenBucket: a request budget refilled at `rate` per second up to
// `burst` (a gateway's per-connection and per-source limits).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/time.h"

namespace msgbed {

struct TokenBucket {
  double tokens = 0;
  Micros refilled_at = 0;

  void Fill(double burst, Micros now) {
    tokens = burst;
    refilled_at = now;
  }
  // Takes one token; false, with the whole seconds until one is due (at
  // least 1) in *wait_s, if none is left.
  bool Take(double rate, double burst, Micros now, uint32_t* wait_s) {
    tokens = std::min(burst, tokens + static_cast<double>(now - refilled_at) * rate / kSecond);
    refilled_at = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    *wait_s = static_cast<uint32_t>(std::max(1.0, std::ceil((1 - tokens) / rate)));
    return false;
  }
};

}  // namespace msgbed
