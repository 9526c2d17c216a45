// Sizing a run before it starts: the memory a scenario needs, estimated
// from what runs of this code measured, against what the machine allows.
#pragma once

#include "scenario.h"

namespace msgbed::sim {

// The memory a run of sc needs, estimated from what runs measured on this
// code (docs/benchmarks.md): per device, per message offered, plus a base.
double EstimateMemoryBytes(const Scenario& sc);
// Throws ScenarioError naming the estimate when it exceeds `available`
// bytes: a run that cannot fit is refused up front, not killed by the
// allocator minutes in.
void CheckMemory(const Scenario& sc, double available);
// This machine's physical memory in bytes, or the process's address-space
// limit (ulimit -v) if that is lower.
double UsableMemoryBytes();

}  // namespace msgbed::sim
