// TopologyGraph: the network a simulated deployment runs on, whether it
// came from a scenario's inline host list or from a deployment diagram.
// Vertices are datacenter fabrics (zero-cost switches), hosts (cores, speed,
// the roles they run) and client clouds; every edge is a full-duplex link
// with a bandwidth and a latency. A host's link to its datacenter is an
// edge like any other. Stored in a Boost.Graph adjacency list; routes are
// lowest-latency paths.
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace msgbed::sim {

struct LinkSpec {
  double bandwidth = 1.25e9;  // bytes/s (10 Gbps)
  double latency = 50e-6;     // seconds, one way
  bool operator==(const LinkSpec&) const = default;
};

struct TopoVertex {
  // kPopulation: the simulated devices of one gateway (added by the
  // simulation, never read from or written to a diagram).
  enum class Kind { kFabric, kHost, kClients, kPopulation };
  Kind kind = Kind::kHost;
  std::string name;
  int cores = 4;                   // hosts
  double speed = 2e9;              // hosts: flop/s per core
  std::vector<std::string> roles;  // hosts: gateway, messages, sync, kafka, storage
  int line = 0;                    // where it was declared (0: not from a file)

  static TopoVertex Of(Kind kind, std::string name) {
    TopoVertex v;
    v.kind = kind;
    v.name = std::move(name);
    return v;
  }
};

struct TopoEdge {
  LinkSpec link;
  int line = 0;
};

class TopologyGraph {
 public:
  // Edge properties live in edges_ (index order), the graph keeps the
  // index: descriptors of a copied graph would point into the original.
  struct EdgeIndex {
    size_t index = 0;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, TopoVertex, EdgeIndex>;
  using VertexId = size_t;
  // One hop of a route: the edge and whether it is travelled from its
  // source to its target (each direction is a separate link).
  struct Hop {
    size_t edge;
    bool forward;
  };

  VertexId AddVertex(TopoVertex v);
  // Returns the edge's index (edges are numbered in insertion order).
  size_t AddEdge(VertexId a, VertexId b, TopoEdge e);

  size_t vertex_count() const { return boost::num_vertices(g_); }
  size_t edge_count() const { return edges_.size(); }
  const TopoVertex& vertex(VertexId v) const { return g_[v]; }
  TopoVertex& vertex(VertexId v) { return g_[v]; }
  const TopoEdge& edge(size_t e) const { return edges_[e].props; }
  std::pair<VertexId, VertexId> ends(size_t e) const { return {edges_[e].a, edges_[e].b}; }
  std::optional<VertexId> Find(const std::string& name) const;
  // The hosts of role's instances in instance order (instance i runs on
  // the i-th): as SetInstanceOrder gave them, else in vertex order.
  std::vector<std::string> HostsWith(const std::string& role) const;
  // Numbers role's instances by `hosts` rather than by vertex order (an
  // inline scenario lists them so). REQUIRES: hosts is a reordering of
  // HostsWith(role).
  void SetInstanceOrder(const std::string& role, std::vector<std::string> hosts);
  // Whether role's instances are numbered in vertex order.
  bool InVertexOrder(const std::string& role) const;
  // Lowest-latency path from a to b (empty when a == b or unreachable).
  // Client clouds carry traffic only to and from device populations.
  std::vector<Hop> Route(VertexId a, VertexId b) const;
  bool Reachable(VertexId a, VertexId b) const;
  // The sum of a route's link latencies, seconds.
  double Latency(const std::vector<Hop>& route) const;
  // The fabric a host hangs off (its first fabric neighbour), if any.
  std::optional<VertexId> FabricOf(VertexId host) const;

  // Vertices and edges as sorted text, without source lines: two graphs
  // describe the same deployment exactly when these are equal.
  std::string Canonical() const;

 private:
  struct EdgeRecord {
    VertexId a, b;
    TopoEdge props;
  };
  std::vector<std::string> HostsInVertexOrder(const std::string& role) const;

  Graph g_;
  std::vector<EdgeRecord> edges_;
  std::map<std::string, std::vector<std::string>> instance_order_;  // by role, where set
};

const char* KindName(TopoVertex::Kind k);

// The simulator adds a vertex for each gateway's devices ("clients-<g>")
// and each Bot API server's bots ("botclients-<b>"); a topology's own
// hosts and datacenters must be named otherwise. Empty if `name` is free,
// else why it is not.
std::string ReservedNameProblem(const std::string& name);
inline std::string PopulationVertex(uint32_t gateway) { return "clients-" + std::to_string(gateway); }
inline std::string BotsVertex(uint32_t botapi) { return "botclients-" + std::to_string(botapi); }

}  // namespace msgbed::sim
