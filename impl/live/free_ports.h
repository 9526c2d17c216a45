// Loopback ports for tests and benches that start deployments with fixed
// addresses (several processes must know each other's ports in advance).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace msgbed::live {

// n loopback ports that were free a moment ago. Below the kernel's
// ephemeral range where there is room: a port the kernel picks itself (for
// the outgoing connections a deployment makes while it starts: to the bus,
// between instances) is never one of these, so only another explicit bind
// can take one before the process that wants it listens on it. Throws
// std::runtime_error if it finds too few.
std::vector<uint16_t> FreePorts(size_t n);

}  // namespace msgbed::live
