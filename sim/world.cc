#include "world.h"

#include <limits>

namespace msgbed::sim {

namespace {

// Where gateway host h's clients come in: the nearest client cloud, else
// h's datacenter fabric, else h itself.
TopologyGraph::VertexId AttachPoint(const TopologyGraph& g, TopologyGraph::VertexId h) {
  std::optional<TopologyGraph::VertexId> best;
  double best_latency = std::numeric_limits<double>::infinity();
  for (TopologyGraph::VertexId v = 0; v < g.vertex_count(); ++v) {
    if (g.vertex(v).kind != TopoVertex::Kind::kClients) continue;
    const auto route = g.Route(v, h);
    if (route.empty()) continue;
    const double latency = g.Latency(route);
    if (latency < best_latency) best = v, best_latency = latency;
  }
  if (best) return *best;
  return g.FabricOf(h).value_or(h);
}

}  // namespace

TopologyGraph WithClientPopulations(const Scenario& sc) {
  TopologyGraph g = sc.graph;
  std::vector<TopologyGraph::VertexId> attach;
  for (const auto& gw : sc.services.at("gateway")) attach.push_back(AttachPoint(g, *g.Find(gw)));
  for (size_t i = 0; i < attach.size(); ++i) {
    const auto v = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kPopulation, "clients-" + std::to_string(i)));
    g.AddEdge(v, attach[i], TopoEdge{sc.client_link});
  }
  return g;
}

}  // namespace msgbed::sim
