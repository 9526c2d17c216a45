// Servers: c identical servers taking jobs in arrival order, each job on
// the server that frees up first (a host's cores, a disk's channels). It
// remembers what it has booked from `now` on, so the busy time after any t
// is exact even when work is booked ahead of a backlog, with idle gaps
// between (a sum of free-at times would count the gaps as busy).
#pragma once

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

namespace msgbed::sim {

class Servers {
 public:
  explicit Servers(int count) : booked_(std::max(count, 1)) {}

  // Books a job of `seconds` ready at `ready` (>= now); returns when it is
  // done. Forgets bookings that ended by `now`.
  double Book(double now, double ready, double seconds) {
    auto server = std::min_element(booked_.begin(), booked_.end(),
                                   [](const Timeline& a, const Timeline& b) { return FreeAt(a) < FreeAt(b); });
    const double start = std::max(ready, FreeAt(*server));
    const double end = start + seconds;
    if (!server->empty() && server->back().second == start) {
      server->back().second = end;
    } else {
      server->emplace_back(start, end);
    }
    for (Timeline& t : booked_) {
      while (!t.empty() && t.front().second <= now) t.pop_front();
    }
    busy_ += seconds;
    return end;
  }
  // Server-seconds booked after t. REQUIRES: t >= every `now` given.
  double BusyBeyond(double t) const {
    double s = 0;
    for (const Timeline& timeline : booked_) {
      for (const auto& [start, end] : timeline) s += std::max(0.0, end - std::max(start, t));
    }
    return s;
  }
  // Server-seconds ever booked.
  double busy_seconds() const { return busy_; }
  int count() const { return static_cast<int>(booked_.size()); }

 private:
  using Timeline = std::deque<std::pair<double, double>>;  // busy [start, end), in order
  static double FreeAt(const Timeline& t) { return t.empty() ? 0 : t.back().second; }

  std::vector<Timeline> booked_;
  double busy_ = 0;
};

}  // namespace msgbed::sim
