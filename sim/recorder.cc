#include "recorder.h"

#include <algorithm>
#include <cmath>

namespace msgbed::sim {

Percentiles Percentiles::Of(std::vector<double> s) {
  Percentiles p;
  p.count = s.size();
  if (s.empty()) return p;
  std::sort(s.begin(), s.end());
  // Nearest rank; reported in ms, rounded to the microsecond.
  auto at = [&](double q) {
    const size_t rank = static_cast<size_t>(std::ceil(q * s.size()));
    return std::round(s[std::max<size_t>(rank, 1) - 1] * 1e6) / 1e3;
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = std::round(s.back() * 1e6) / 1e3;
  return p;
}

}  // namespace msgbed::sim
