#include "network.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace msgbed::sim {

std::pair<double, double> LinkSchedule::Pass(double start, size_t bytes, double end_at_least, double now) {
  while (!busy_.empty() && busy_.begin()->second <= now) busy_.erase(busy_.begin());
  const double length = static_cast<double>(bytes) / spec_.bandwidth;
  busy_seconds_ += length;
  // Most messages find the link free from `start` on: book at the end, in
  // place when touching the last interval.
  if (busy_.empty() || busy_.rbegin()->second <= start) {
    const double finish = start + length;
    if (!busy_.empty() && busy_.rbegin()->second == start) {
      busy_.rbegin()->second = finish;
    } else {
      busy_.emplace_hint(busy_.end(), start, finish);
    }
    return {start, std::max(finish, end_at_least)};
  }
  // The first gap of `length` at or after start.
  auto next = busy_.upper_bound(start);
  if (next != busy_.begin()) start = std::max(start, std::prev(next)->second);
  while (next != busy_.end() && next->first < start + length) start = std::max(start, (next++)->second);
  const double finish = start + length;
  // Book [start, finish), merged with the intervals it touches.
  double from = start, to = finish;
  if (next != busy_.begin()) {
    auto prev = std::prev(next);
    if (prev->second >= start) {
      from = prev->first;
      busy_.erase(prev);
    }
  }
  if (next != busy_.end() && next->first <= finish) {
    to = next->second;
    busy_.erase(next);
  }
  busy_.emplace(from, to);
  return {start, std::max(finish, end_at_least)};
}

Network::Network(const TopologyGraph* graph) : graph_(graph) {
  for (size_t e = 0; e < graph->edge_count(); ++e) {
    links_.emplace_back(graph->edge(e).link);
    links_.emplace_back(graph->edge(e).link);
  }
}

const std::vector<TopologyGraph::Hop>& Network::RouteOf(TopologyGraph::VertexId from, TopologyGraph::VertexId to) {
  const uint64_t key = static_cast<uint64_t>(from) * graph_->vertex_count() + to;
  auto it = routes_.find(key);
  if (it != routes_.end()) return it->second;
  auto route = graph_->Route(from, to);
  if (route.empty()) {
    // Scenario validation rules this out; a silent zero-delay hop would be worse than stopping.
    throw std::logic_error("no route from " + graph_->vertex(from).name + " to " + graph_->vertex(to).name);
  }
  return routes_.emplace(key, std::move(route)).first->second;
}

double Network::Arrival(TopologyGraph::VertexId from, TopologyGraph::VertexId to, size_t bytes, double depart,
                        double now) {
  if (from == to) return depart;
  double start = depart;
  double end = depart;
  double latency = 0;
  for (const TopologyGraph::Hop& hop : RouteOf(from, to)) {
    LinkSchedule& l = links_[2 * hop.edge + (hop.forward ? 0 : 1)];
    std::tie(start, end) = l.Pass(start, bytes, end, now);
    latency += l.latency();
  }
  return end + latency;
}

}  // namespace msgbed::sim
