#include "network.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace msgbed::sim {

std::pair<double, double> LinkSchedule::Pass(double start, size_t bytes, double end_at_least, double now) {
  while (!busy_.empty() && busy_.front().second <= now) busy_.pop_front();
  const double length = static_cast<double>(bytes) / spec_.bandwidth;
  busy_seconds_ += length;
  // Most messages find the link free from `start` on: book at the end, in
  // place when touching the last interval.
  if (busy_.empty() || busy_.back().second <= start) {
    const double finish = start + length;
    if (!busy_.empty() && busy_.back().second == start) {
      busy_.back().second = finish;
    } else {
      busy_.emplace_back(start, finish);
    }
    return {start, std::max(finish, end_at_least)};
  }
  // The first gap of `length` at or after start: past the interval that
  // began last at or before start, and any that begin within the gap.
  size_t next = std::upper_bound(busy_.begin(), busy_.end(), start,
                                 [](double t, const std::pair<double, double>& b) { return t < b.first; }) -
                busy_.begin();
  if (next > 0) start = std::max(start, busy_[next - 1].second);
  while (next < busy_.size() && busy_[next].first < start + length) start = std::max(start, busy_[next++].second);
  const double finish = start + length;
  // Book [start, finish), merged with the intervals it touches: those in
  // [lo, hi) become one.
  size_t lo = next, hi = next;
  double from = start, to = finish;
  if (next > 0 && busy_[next - 1].second >= start) from = busy_[lo = next - 1].first;
  if (next < busy_.size() && busy_[next].first <= finish) to = busy_[hi++].second;
  if (lo == hi) {
    busy_.insert(busy_.begin() + static_cast<ptrdiff_t>(lo), {from, to});
  } else {
    busy_[lo] = {from, to};
    busy_.erase(busy_.begin() + static_cast<ptrdiff_t>(lo) + 1, busy_.begin() + static_cast<ptrdiff_t>(hi));
  }
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
