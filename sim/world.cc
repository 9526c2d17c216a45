#include "world.h"

#include <limits>

#include "messages/placement.h"
#include "population.h"
#include "service_node.h"

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
    const auto v = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kPopulation, PopulationVertex(i)));
    g.AddEdge(v, attach[i], TopoEdge{sc.client_link});
  }
  if (sc.workload.bots.count() == 0) return g;
  const auto& botapis = sc.services.at(role::kBotApi);
  for (size_t i = 0; i < botapis.size(); ++i) {
    const auto v = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kPopulation, BotsVertex(i)));
    g.AddEdge(v, AttachPoint(g, *g.Find(botapis[i])), TopoEdge{sc.client_link});
  }
  return g;
}

std::optional<uint64_t> World::PickReadyDevice(Rng& rng, const std::function<bool(uint64_t)>& also) const {
  constexpr int kDraws = 16;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t device = rng.Below(users.devices());
    auto [pop, index] = Locate(device);
    if (pop->Ready(index) && (!also || also(device))) return device;
  }
  return std::nullopt;
}

std::string World::DatacenterOf(const std::string& host) const {
  const auto v = graph.Find(host);
  if (!v) return host;
  const auto fabric = graph.FabricOf(*v);
  return fabric ? graph.vertex(*fabric).name : host;
}

bool World::PickForTrace(uint64_t sender, uint64_t device, uint64_t peer) {
  if (traced > 0 || !trace.any()) return false;
  bool pick = recorder.sent() == trace.nth;
  if (!trace.where.empty() && Now() >= scenario.warmup) {
    const ServiceNode* a = FindService(BoxOwner(shape, sender));
    const ServiceNode* b = FindService(BoxOwner(shape, peer));
    pick = trace.where == "cross-box"
               ? a != b
               : DatacenterOf(a->Node::host()->get_name()) != DatacenterOf(b->Node::host()->get_name());
  }
  if (!pick) return false;
  traced = recorder.sent();
  traced_about =
      "user " + std::to_string(sender) + " (device " + std::to_string(device) + ") to user " + std::to_string(peer);
  return true;
}

}  // namespace msgbed::sim
