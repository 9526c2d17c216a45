#include "topology.h"

#include <algorithm>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <sstream>

namespace msgbed::sim {

const char* KindName(TopoVertex::Kind k) {
  switch (k) {
    case TopoVertex::Kind::kFabric: return "datacenter";
    case TopoVertex::Kind::kHost: return "host";
    case TopoVertex::Kind::kClients: return "clients";
    case TopoVertex::Kind::kPopulation: return "population";
  }
  return "?";
}

TopologyGraph::VertexId TopologyGraph::AddVertex(TopoVertex v) { return boost::add_vertex(std::move(v), g_); }

size_t TopologyGraph::AddEdge(VertexId a, VertexId b, TopoEdge e) {
  boost::add_edge(a, b, EdgeIndex{edges_.size()}, g_);
  edges_.push_back(EdgeRecord{a, b, std::move(e)});
  return edges_.size() - 1;
}

std::optional<TopologyGraph::VertexId> TopologyGraph::Find(const std::string& name) const {
  for (VertexId v = 0; v < vertex_count(); ++v) {
    if (g_[v].name == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> TopologyGraph::HostsWith(const std::string& role) const {
  auto it = instance_order_.find(role);
  return it != instance_order_.end() ? it->second : HostsInVertexOrder(role);
}

void TopologyGraph::SetInstanceOrder(const std::string& role, std::vector<std::string> hosts) {
  if (hosts == HostsInVertexOrder(role)) {
    instance_order_.erase(role);
  } else {
    instance_order_[role] = std::move(hosts);
  }
}

std::string ReservedNameProblem(const std::string& name) {
  for (const char* prefix : {"clients-", "botclients-"}) {
    const std::string_view p(prefix);
    if (name.size() <= p.size() || name.compare(0, p.size(), p) != 0) continue;
    if (name.find_first_not_of("0123456789", p.size()) != std::string::npos) continue;
    return "'" + name + "' is reserved: the simulator names its simulated " + (p == "clients-" ? "devices" : "bots") +
           " so; name the host otherwise";
  }
  return "";
}

bool TopologyGraph::InVertexOrder(const std::string& role) const { return !instance_order_.contains(role); }

std::vector<std::string> TopologyGraph::HostsInVertexOrder(const std::string& role) const {
  std::vector<std::string> out;
  for (VertexId v = 0; v < vertex_count(); ++v) {
    for (const std::string& r : g_[v].roles) {
      if (r == role) out.push_back(g_[v].name);  // once per instance
    }
  }
  return out;
}

std::vector<TopologyGraph::Hop> TopologyGraph::Route(VertexId a, VertexId b) const {
  if (a == b) return {};
  const size_t n = vertex_count();
  std::vector<VertexId> pred(n);
  std::vector<double> dist(n);
  const auto index = boost::get(boost::vertex_index, g_);
  // Latency plus a picosecond per hop: among equal latencies, fewer hops.
  // A client cloud is never a shortcut between datacenters: unless the
  // route starts or ends at a device population, its edges weigh kNoTransit.
  constexpr double kNoTransit = 1e9;
  const bool devices = g_[a].kind == TopoVertex::Kind::kPopulation || g_[b].kind == TopoVertex::Kind::kPopulation;
  const auto weight = boost::make_function_property_map<Graph::edge_descriptor>([&](const Graph::edge_descriptor& e) {
    const EdgeRecord& r = edges_[g_[e].index];
    const auto transit = [&](VertexId v) {
      return !devices && v != a && v != b && g_[v].kind == TopoVertex::Kind::kClients;
    };
    return r.props.link.latency + 1e-12 + (transit(r.a) || transit(r.b) ? kNoTransit : 0);
  });
  boost::dijkstra_shortest_paths(g_, a,
                                 boost::predecessor_map(boost::make_iterator_property_map(pred.begin(), index))
                                     .distance_map(boost::make_iterator_property_map(dist.begin(), index))
                                     .weight_map(weight));
  if (pred[b] == b || dist[b] >= kNoTransit) return {};  // unreachable
  std::vector<Hop> hops;
  for (VertexId v = b; v != a; v = pred[v]) {
    const size_t e = g_[boost::edge(pred[v], v, g_).first].index;
    hops.push_back(Hop{e, ends(e).first == pred[v]});  // forward: as the edge was added
  }
  std::reverse(hops.begin(), hops.end());
  return hops;
}

double TopologyGraph::Latency(const std::vector<Hop>& route) const {
  double latency = 0;
  for (const Hop& hop : route) latency += edge(hop.edge).link.latency;
  return latency;
}

bool TopologyGraph::Reachable(VertexId a, VertexId b) const { return a == b || !Route(a, b).empty(); }

std::optional<TopologyGraph::VertexId> TopologyGraph::FabricOf(VertexId host) const {
  for (auto [it, end] = boost::adjacent_vertices(host, g_); it != end; ++it) {
    if (g_[*it].kind == TopoVertex::Kind::kFabric) return *it;
  }
  return std::nullopt;
}

std::string TopologyGraph::Canonical() const {
  std::vector<std::string> lines;
  for (VertexId v = 0; v < vertex_count(); ++v) {
    const TopoVertex& x = g_[v];
    std::ostringstream os;
    os << "vertex " << KindName(x.kind) << " " << x.name;
    if (x.kind == TopoVertex::Kind::kHost) {
      os << " cores " << x.cores << " speed " << x.speed << " roles";
      std::vector<std::string> roles = x.roles;
      std::sort(roles.begin(), roles.end());
      for (const auto& r : roles) os << " " << r;
    }
    lines.push_back(os.str());
  }
  for (const auto& [role, hosts] : instance_order_) {
    std::string line = "instances " + role;
    for (const auto& h : hosts) line += " " + h;
    lines.push_back(line);
  }
  for (size_t e = 0; e < edges_.size(); ++e) {
    auto [a, b] = ends(e);
    std::string x = g_[a].name, y = g_[b].name;
    if (y < x) std::swap(x, y);
    std::ostringstream os;
    os << "edge " << x << " " << y << " bandwidth " << edge(e).link.bandwidth << " latency " << edge(e).link.latency;
    lines.push_back(os.str());
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace msgbed::sim
