// Simulated or real time as seen by service cores.
#pragma once

#include <cstdint>

namespace msgbed {

// Microseconds since the runtime started. Monotonic; the only clock a core sees.
using Micros = int64_t;

constexpr Micros kMillisecond = 1000;
constexpr Micros kSecond = 1000 * kMillisecond;

}  // namespace msgbed
