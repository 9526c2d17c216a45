// The three runtimes, each able to run probe instances (probe_role.h) the
// same way, so that one suite of tests pins what they must agree on.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/time.h"

namespace msgbed::probe {

using Observed = std::vector<Metrics>;  // what each probe instance counted, by index

struct Plan {
  int act = 1;
  uint32_t instances = 2;
  // How long the world runs: world time for the test cluster and the
  // simulator; for the live runtime, the bound on waiting for `done`.
  Micros run_for = kSecond;
  // The live runtime stops waiting as soon as this holds.
  std::function<bool(const Observed&)> done = [](const Observed&) { return false; };
  // Crash this probe, then start it again: at 100 ms and 150 ms of world
  // time (test cluster, simulator); live, as soon as crash_when holds.
  int crash = -1;
  std::function<bool(const Observed&)> crash_when = [](const Observed&) { return true; };
};

class ProbeWorld {
 public:
  virtual ~ProbeWorld() = default;
  virtual Observed Run(const Plan& plan) = 0;
  // Opens `connections` device connections to one gateway whose
  // max_connections is 1, so that its core closes all but the first;
  // returns the gateway's counters once they are settled.
  virtual Metrics GatewayClosing(uint32_t connections) = 0;
};

// "test" (the unit-test cluster), "sim" (SimGrid, in a child process) or
// "live" (one Process per probe, on loopback).
std::unique_ptr<ProbeWorld> MakeWorld(const std::string& name);

}  // namespace msgbed::probe
