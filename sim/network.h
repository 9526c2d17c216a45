// Network: the light transport for small messages, over a TopologyGraph.
// Every edge is two links, one per direction, each carrying messages
// first-in first-out. A message follows the lowest-latency route and cuts
// through it: on each link its last byte leaves no earlier than it left the
// previous link, and no earlier than bytes/bandwidth after that link freed
// up (the first link starts at max(now, link free)). It arrives that long
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
#include <functional>
#include <map>
#include <queue>
#include <vector>

#include "topology.h"

namespace msgbed::sim {

// Bytes each message costs on the wire beyond its payload: the 4-byte frame
// header plus TCP/IPv4 headers (40 bytes).
inline constexpr size_t kWireOverheadBytes = 44;

// One direction of a link: FIFO serialisation. Messages are booked in
// call order, which is simulated-time order except for one case: a busy
// node books an output that will leave when its work is done, ahead of
// time. Such a booking is kept aside ("ahead") and holds up only messages
// that leave after it starts; one leaving before it is not queued behind
// it (the two may overlap by up to one serialisation time: a
// simplification). Ahead bookings queue behind each other in call order.
class FifoLink {
 public:
  explicit FifoLink(LinkSpec spec) : spec_(spec) {}
  // Serialises bytes starting no earlier than `start`, ending no earlier
  // than `end_at_least`; returns when the last byte is out. `ahead`: booked
  // before simulated time reached `start` (see above).
  double Pass(double start, size_t bytes, double end_at_least, bool ahead);
  double latency() const { return spec_.latency; }
  // When a message leaving at `start` may begin.
  double FreeFor(double start, bool ahead);

 private:
  LinkSpec spec_;
  double free_at_ = 0;        // end of the bookings made in time
  double ahead_free_at_ = 0;  // end of the bookings made ahead
  // (start, end) of ahead bookings not yet overtaken by time, earliest first.
  std::priority_queue<std::pair<double, double>, std::vector<std::pair<double, double>>, std::greater<>> ahead_;
};

class Network {
 public:
  // REQUIRES: graph outlives the Network and does not change after.
  explicit Network(const TopologyGraph* graph);
  // Arrival time at vertex `to` of `bytes` sent from vertex `from` at
  // `depart`, booked at simulated time `now` (<= depart). Same vertex: depart.
  double Arrival(TopologyGraph::VertexId from, TopologyGraph::VertexId to, size_t bytes, double depart, double now);

 private:
  const std::vector<TopologyGraph::Hop>& RouteOf(TopologyGraph::VertexId from, TopologyGraph::VertexId to);

  const TopologyGraph* graph_;
  std::vector<FifoLink> links_;  // 2 per edge: forward, backward
  std::map<std::pair<TopologyGraph::VertexId, TopologyGraph::VertexId>, std::vector<TopologyGraph::Hop>> routes_;
};

}  // namespace msgbed::sim
