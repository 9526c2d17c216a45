// Metrics: named counters (and gauges) a core sets; the runtime reads and
// exports them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace msgbed {

class Metrics {
 public:
  void Add(const std::string& name, int64_t delta = 1) { counters_[name] += delta; }
  // A gauge: the latest value, not a sum.
  void Set(const std::string& name, int64_t value) { counters_[name] = value; }
  int64_t Get(const std::string& name) const {
    auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second;
  }
  // Ordered by name, so exports are deterministic.
  const std::map<std::string, int64_t>& counters() const { return counters_; }

 private:
  std::map<std::string, int64_t> counters_;
};

}  // namespace msgbed
