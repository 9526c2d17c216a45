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

#include "servers.h"

namespace msgbed::sim {

class HostCpu {
 public:
  HostCpu(int cores, double speed) : cores_(cores), speed_(speed) {}

  // Flops its cores are booked for after t (work charged ahead of time).
  // REQUIRES: t >= the last `now` given to Run.
  double FlopsBeyond(double t) const { return cores_.BusyBeyond(t) * speed_; }

  // Runs `flops` of work that is ready at `ready` (>= now); returns when it is done.
  double Run(double now, double ready, double flops) { return cores_.Book(now, ready, flops / speed_); }

 private:
  Servers cores_;
  double speed_;
};

}  // namespace msgbed::sim
