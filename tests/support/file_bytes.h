// Test files: n pseudo-random bytes, the same for the same seed.
#pragma once

#include <string>

#include "core/rng.h"

namespace msgbed::testing {

inline std::string FileBytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng.Next() & 0xff);
  return out;
}

}  // namespace msgbed::testing
