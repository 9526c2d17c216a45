#include "network.h"

#include <algorithm>
#include <stdexcept>

namespace msgbed::sim {

double FifoLink::Pass(double start, size_t bytes, double end_at_least) {
  const double serialise = static_cast<double>(bytes) / spec_.bandwidth;
  free_at_ = std::max(std::max(start, free_at_) + serialise, end_at_least);
  return free_at_;
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

double Network::Arrival(TopologyGraph::VertexId from, TopologyGraph::VertexId to, size_t bytes, double now) {
  if (from == to) return now;
  double start = now;
  double end = now;
  double latency = 0;
  for (const TopologyGraph::Hop& hop : RouteOf(from, to)) {
    FifoLink& l = links_[2 * hop.edge + (hop.forward ? 0 : 1)];
    start = std::max(start, l.free_at());
    end = l.Pass(start, bytes, end);
    latency += l.latency();
  }
  return end + latency;
}

}  // namespace msgbed::sim
