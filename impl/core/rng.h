// Rng: a stream of random numbers, seeded by the runtime so that a simulated
// run is reproducible. The generator is std::mt19937_64, whose output the
// C++ standard fixes exactly; the distributions are written here (not the
// standard library's, whose algorithms vary between implementations), so a
// seed gives the same numbers with any standard library.
//
// Streams are derived by purpose (DeriveSeed): a simulation draws its
// workload, its device placement and each instance's randomness from
// separate streams, so adding a host to a scenario changes none of the
// others (paired A/B comparisons see the same offered load).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace msgbed {

// A seed for the stream named `purpose` under `seed`: SplitMix64 of the
// seed mixed with the FNV-1a hash of the name.
inline uint64_t DeriveSeed(uint64_t seed, std::string_view purpose) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : purpose) {
    h ^= c;
    h *= 1099511628211ull;
  }
  uint64_t z = seed ^ h;
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t Next() { return gen_(); }
  // Uniform in [0, n), without modulo bias. REQUIRES: n > 0.
  uint64_t Below(uint64_t n) {
    const uint64_t reject_below = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t r = gen_();
      if (r >= reject_below) return r % n;
    }
  }
  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  // Exponential with the given rate (mean 1 / rate). REQUIRES: rate > 0.
  double Exponential(double rate) { return -std::log1p(-Uniform()) / rate; }
  // An index drawn with probability proportional to its weight.
  // REQUIRES: weights non-negative, their sum positive.
  size_t Pick(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    for (size_t i = 0; i + 1 < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace msgbed
