// Network: the light transport for small messages. Each endpoint (a host,
// or a client population's access point) has a full-duplex link to the
// datacenter fabric, and each direction carries messages first-in
// first-out. A message from A to B is serialised on A's uplink from
// max(now, uplink free), and cut through B's downlink: its last byte leaves
// the downlink no earlier than it left the uplink, and no earlier than
// bytes/bandwidth after the downlink freed up. It arrives that long plus
// both links' latencies later. Alone on its path, a message therefore takes
// latency_A + latency_B + bytes / min(bandwidth_A, bandwidth_B): exactly a
// SimGrid Comm under CM02 with unit factors (tests/sim/transport_test.cc
// checks this against SimGrid itself). Messages between one pair of
// endpoints arrive in the order sent.
//
// Unlike SimGrid's max-min flow sharing, its cost per message is constant
// whatever the number of messages in flight (see docs/architecture.md);
// concurrent messages are served one after the other instead of sharing
// the bandwidth, so the last one finishes when it would under sharing but
// the first ones finish earlier. Bulk transfers are left to SimGrid Comms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scenario.h"

namespace msgbed::sim {

// Bytes each message costs on the wire beyond its payload: the 4-byte frame
// header plus TCP/IPv4 headers (40 bytes).
inline constexpr size_t kWireOverheadBytes = 44;

class FifoLink {
 public:
  explicit FifoLink(LinkSpec spec) : spec_(spec) {}
  // Serialises bytes starting no earlier than `start`, ending no earlier
  // than `end_at_least`; returns when the last byte is out.
  double Pass(double start, size_t bytes, double end_at_least = 0);
  double latency() const { return spec_.latency; }
  double free_at() const { return free_at_; }
  double busy_seconds() const { return busy_; }
  uint64_t bytes() const { return bytes_; }

 private:
  LinkSpec spec_;
  double free_at_ = 0;
  double busy_ = 0;
  uint64_t bytes_ = 0;
};

class Network {
 public:
  // Adds an endpoint with its own link; returns its id.
  int AddEndpoint(const LinkSpec& link);
  // Arrival time at `to` of `bytes` sent from `from` at `now`. Same endpoint: now.
  double Arrival(int from, int to, size_t bytes, double now);

  const FifoLink& up(int e) const { return up_[e]; }
  const FifoLink& down(int e) const { return down_[e]; }

 private:
  std::vector<FifoLink> up_, down_;
};

}  // namespace msgbed::sim
