// Network: the light transport for small messages, over a TopologyGraph.
// Every edge is two links, one per direction, each serving messages in the
// order they leave (LinkSchedule). A message follows the lowest-latency route and cuts
// through it: on each link its last byte leaves no earlier than it left the
// previous link, and no earlier than bytes/bandwidth after that link freed
// up. It arrives that long
// plus the route's latencies later. Alone on its path, a message therefore
// takes the sum of latencies + bytes / the lowest bandwidth: exactly a
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
#include <deque>
#include <functional>
#include <unordered_map>
#include <vector>

#include "topology.h"

namespace msgbed::sim {

// Bytes each message costs on the wire beyond its payload: the 4-byte frame
// header plus TCP/IPv4 headers (40 bytes).
inline constexpr size_t kWireOverheadBytes = 44;

// One direction of a link: a calendar of the times it is busy serialising.
// A message takes the first free gap long enough for it at or after the
// time it leaves, so messages are served in simulated-time order whatever
// the order they were booked in: a busy node books its outputs when it
// decides them, each leaving when its own work is done, and with several
// workers those times are not in booking order. A message that leaves
// before an earlier booking starts goes first if it fits in the gap.
class LinkSchedule {
 public:
  explicit LinkSchedule(LinkSpec spec) : spec_(spec) {}
  // Serialises bytes in the first gap at or after `start`, ending no
  // earlier than `end_at_least`; returns (begin, end): when its first byte
  // goes out and when its last does. `now` (<= start) lets the calendar
  // forget what is over.
  std::pair<double, double> Pass(double start, size_t bytes, double end_at_least, double now);
  double latency() const { return spec_.latency; }
  // Seconds spent serialising so far (booked, including ahead of time).
  double busy_seconds() const { return busy_seconds_; }

 private:
  LinkSpec spec_;
  double busy_seconds_ = 0;
  // Disjoint busy intervals (begin, end), ascending: nearly all bookings
  // append at the back and expire at the front.
  std::deque<std::pair<double, double>> busy_;
};

class Network {
 public:
  // REQUIRES: graph outlives the Network and does not change after.
  explicit Network(const TopologyGraph* graph);
  // Arrival time at vertex `to` of `bytes` sent from vertex `from` at
  // `depart`, booked at simulated time `now` (<= depart). Same vertex: depart.
  double Arrival(TopologyGraph::VertexId from, TopologyGraph::VertexId to, size_t bytes, double depart, double now);
  // Link direction i (2 per edge: forward = from its first end, backward).
  const LinkSchedule& link(size_t i) const { return links_[i]; }
  size_t link_count() const { return links_.size(); }

 private:
  const std::vector<TopologyGraph::Hop>& RouteOf(TopologyGraph::VertexId from, TopologyGraph::VertexId to);

  const TopologyGraph* graph_;
  std::vector<LinkSchedule> links_;                                       // 2 per edge: forward, backward
  std::unordered_map<uint64_t, std::vector<TopologyGraph::Hop>> routes_;  // by from * vertices + to
};

}  // namespace msgbed::sim
