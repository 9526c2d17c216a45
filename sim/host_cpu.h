// HostCpu: the cores of one simulated host, as a queue per core. A batch of
// handler work starts on the core that frees up first, no earlier than it
// was ready, and holds that core for flops / speed. Nodes on one host thus
// compete for its cores; a single node, like a single-threaded service
// process, uses one core at a time.
//
// It replaces an s4u `execute` per batch: the same times while a host has a
// core per busy node, at a constant cost per batch instead of a simcall and
// a solver pass (docs/benchmarks.md). Under overload, work queues FIFO per
// core where SimGrid would share the cores fairly.
#pragma once

#include <algorithm>
#include <vector>

namespace msgbed::sim {

class HostCpu {
 public:
  HostCpu(int cores, double speed) : free_at_(std::max(cores, 1), 0.0), speed_(speed) {}

  // Flops its cores are booked for after t (work charged ahead of time).
  double FlopsBeyond(double t) const {
    double seconds = 0;
    for (double f : free_at_) seconds += std::max(0.0, f - t);
    return seconds * speed_;
  }

  // Runs `flops` of work that is ready at `ready`; returns when it is done.
  double Run(double ready, double flops) {
    auto core = std::min_element(free_at_.begin(), free_at_.end());
    *core = std::max(ready, *core) + flops / speed_;
    return *core;
  }

 private:
  std::vector<double> free_at_;
  double speed_;
};

}  // namespace msgbed::sim
