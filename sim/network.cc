#include "network.h"

#include <algorithm>
#include <stdexcept>

namespace msgbed::sim {

double FifoLink::FreeFor(double start, bool ahead) {
  // Ahead bookings that begin by `start` are in the past for this message.
  while (!ahead_.empty() && ahead_.top().first <= start) {
    free_at_ = std::max(free_at_, ahead_.top().second);
    ahead_.pop();
  }
  return ahead ? std::max(free_at_, ahead_free_at_) : free_at_;
}

double FifoLink::Pass(double start, size_t bytes, double end_at_least, bool ahead) {
  const double serialise = static_cast<double>(bytes) / spec_.bandwidth;
  const double from = std::max(start, FreeFor(start, ahead));
  const double end = std::max(from + serialise, end_at_least);
  if (!ahead) return free_at_ = end;
  ahead_.emplace(from, end);
  ahead_free_at_ = std::max(ahead_free_at_, end);
  return end;
}

Network::Network(const TopologyGraph* graph) : graph_(graph) {
  for (size_t e = 0; e < graph->edge_count(); ++e) {
    links_.emplace_back(graph->edge(e).link);
    links_.emplace_back(graph->edge(e).link);
  }
}

const std::vector<TopologyGraph::Hop>& Network::RouteOf(TopologyGraph::VertexId from, TopologyGraph::VertexId to) {
  auto it = routes_.find({from, to});
  if (it != routes_.end()) return it->second;
  auto route = graph_->Route(from, to);
  if (route.empty()) {
    // Scenario validation rules this out; a silent zero-delay hop would be worse than stopping.
    throw std::logic_error("no route from " + graph_->vertex(from).name + " to " + graph_->vertex(to).name);
  }
  return routes_.emplace(std::make_pair(from, to), std::move(route)).first->second;
}

double Network::Arrival(TopologyGraph::VertexId from, TopologyGraph::VertexId to, size_t bytes, double depart,
                        double now) {
  if (from == to) return depart;
  const bool ahead = depart > now + 1e-12;
  double start = depart;
  double end = depart;
  double latency = 0;
  for (const TopologyGraph::Hop& hop : RouteOf(from, to)) {
    FifoLink& l = links_[2 * hop.edge + (hop.forward ? 0 : 1)];
    start = std::max(start, l.FreeFor(start, ahead));
    end = l.Pass(start, bytes, end, ahead);
    latency += l.latency();
  }
  return end + latency;
}

}  // namespace msgbed::sim
