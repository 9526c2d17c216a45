// Network: the light transport for small messages. Each endpoint (a host,
// or a client population's access point) has a full-duplex link to the
// datacenter fabric; each direction serialises messages first-in first-out:
//
//   start = max(t, link free); link free = start + bytes / bandwidth
//
// on the sender's uplink (t = now), then on the receiver's downlink (t = the
// end of the uplink pass); the message arrives that long plus both links'
// propagation latency later. Latency is added after both passes, not
// between them: otherwise a message on a slow-latency path would hold the
// receiver's downlink while still in flight and delay everything behind it.
// Messages between one pair of endpoints arrive in the order sent. Its cost
// per message is constant whatever the number of messages in flight, unlike
// SimGrid's max-min flow sharing (see docs/architecture.md for the numbers
// behind this choice); bulk transfers are left to SimGrid Comms.
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
  // Time the last byte of a message entering at t has been serialised.
  double Pass(double t, size_t bytes);
  double latency() const { return spec_.latency; }
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
