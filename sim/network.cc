#include "network.h"

#include <algorithm>

namespace msgbed::sim {

double FifoLink::Pass(double t, size_t bytes) {
  const double start = std::max(t, free_at_);
  const double serialise = static_cast<double>(bytes) / spec_.bandwidth;
  free_at_ = start + serialise;
  busy_ += serialise;
  bytes_ += bytes;
  return free_at_;
}

int Network::AddEndpoint(const LinkSpec& link) {
  up_.emplace_back(link);
  down_.emplace_back(link);
  return static_cast<int>(up_.size()) - 1;
}

double Network::Arrival(int from, int to, size_t bytes, double now) {
  if (from == to) return now;
  const double serialised = down_[to].Pass(up_[from].Pass(now, bytes), bytes);
  return serialised + up_[from].latency() + down_[to].latency();
}

}  // namespace msgbed::sim
