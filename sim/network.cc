#include "network.h"

#include <algorithm>

namespace msgbed::sim {

double FifoLink::Pass(double start, size_t bytes, double end_at_least) {
  const double serialise = static_cast<double>(bytes) / spec_.bandwidth;
  free_at_ = std::max(std::max(start, free_at_) + serialise, end_at_least);
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
  FifoLink& up = up_[from];
  FifoLink& down = down_[to];
  const double up_start = std::max(now, up.free_at());
  const double up_end = up.Pass(now, bytes);
  const double down_end = down.Pass(up_start, bytes, up_end);
  return down_end + up.latency() + down.latency();
}

}  // namespace msgbed::sim
