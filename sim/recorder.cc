#include "recorder.h"

#include <algorithm>
#include <cmath>

namespace msgbed::sim {

Percentiles Percentiles::Of(std::vector<double> s, uint64_t unfinished) {
  Percentiles p;
  p.count = s.size();
  p.unfinished = unfinished;
  if (s.empty()) {
    p.p50 = p.p90 = p.p99 = p.max = std::nan("");  // no figure: longer than the run, or no sample at all
    return p;
  }
  std::sort(s.begin(), s.end());
  // Nearest rank; reported in ms, rounded to the microsecond.
  auto at = [&](double q) {
    const size_t rank = static_cast<size_t>(std::ceil(q * (s.size() + unfinished)));
    if (rank > s.size()) return std::nan("");
    return std::round(s[std::max<size_t>(rank, 1) - 1] * 1e6) / 1e3;
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = unfinished > 0 ? std::nan("") : std::round(s.back() * 1e6) / 1e3;
  return p;
}

}  // namespace msgbed::sim
