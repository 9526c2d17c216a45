// Rng: the one source of randomness for a core; seeded by the runtime so a
// simulated run is reproducible.
#pragma once

#include <cstdint>
#include <random>

namespace msgbed {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t Next() { return gen_(); }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(gen_); }
  double Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }
  double Exponential(double rate) { return std::exponential_distribution<double>(rate)(gen_); }

 private:
  std::mt19937_64 gen_;
};

}  // namespace msgbed
