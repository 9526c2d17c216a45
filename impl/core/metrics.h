// Metrics: named counters (and gauges) a core sets; the runtime reads and
// exports them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace msgbed {

class Metrics {
 public:
  // Ordered by name, so exports are deterministic; looked up by
  // string_view, so counting an existing counter allocates nothing.
  using Counters = std::map<std::string, int64_t, std::less<>>;

  void Add(std::string_view name, int64_t delta = 1) { Slot(name) += delta; }
  // A gauge: the latest value, not a sum.
  void Set(std::string_view name, int64_t value) { Slot(name) = value; }
  int64_t Get(std::string_view name) const {
    auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second;
  }
  const Counters& counters() const { return counters_; }

 private:
  int64_t& Slot(std::string_view name) {
    auto it = counters_.find(name);
    if (it == counters_.end()) it = counters_.emplace(std::string(name), 0).first;
    return it->second;
  }

  Counters counters_;
};

}  // namespace msgbed
