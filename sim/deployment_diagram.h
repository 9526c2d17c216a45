// Deployment diagrams: a PlantUML deployment diagram read as a simulated
// topology, and a topology written back as one. The subset understood
// (docs/diagrams.md has the full grammar):
//
//   node "dc-ams" as ams <<datacenter, link 10Gbps 50us>> {     a fabric
//     node "gw" as gw <<count 2, cores 4, speed 2Gf>> {          servers
//       component "gateway" as gw_gateway [<<instance N>>]      services:
//     }                                                          gateway,
//   }                                                            messages,
//   cloud "clients" as clients <<clients>>                       sync,
//   ams -- clients : 10Gbps 10ms                                 queue kafka,
//                                                                database storage
// Anything else is an error naming the file and line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "topology.h"

namespace msgbed::sim {

// A service component on a server; `instance` numbers it among its
// role's instances (<<instance N>>, from 0), where the writer had to.
struct DiagramService {
  std::string role;
  std::optional<int> instance;
  int line = 0;
};

// A diagram as written, before counts are expanded.
struct DiagramNode {
  enum class Type { kDatacenter, kServer, kClients };
  Type type = Type::kServer;
  std::string label, alias;
  int line = 0;
  std::optional<int> count, cores;
  std::optional<double> speed;
  std::optional<LinkSpec> link;          // datacenter: default for its servers
  std::vector<DiagramService> services;  // servers
  std::vector<DiagramNode> servers;      // datacenters
};

struct DiagramLink {
  std::string a, b;
  LinkSpec link;
  int line = 0;
};

struct DeploymentDiagram {
  std::string file;
  std::vector<DiagramNode> nodes;  // datacenters and client clouds
  std::vector<DiagramLink> links;
  const DiagramNode* FindNode(const std::string& alias) const;
};

// Replaces what the diagram says about one node (scenario overrides).
struct NodeOverride {
  std::optional<int> count, cores;
  std::optional<double> speed;
  std::optional<LinkSpec> link;
};

// Throws InputError ("file:line: ...") on anything outside the subset.
DeploymentDiagram ParseDeploymentDiagram(const std::string& text, const std::string& file);

// Expands counts (server "gw" with count 3 becomes hosts gw-1..gw-3) and
// validates: every link has a capacity, every role is placed, every host
// running a service is reachable from every gateway. Throws InputError.
// REQUIRES: every key of overrides names a node of the diagram.
TopologyGraph BuildTopology(const DeploymentDiagram& diagram, const std::map<std::string, NodeOverride>& overrides);

// The graph as a diagram that BuildTopology(ParseDeploymentDiagram(...))
// reads back into an equal graph (TopologyGraph::Canonical).
// `name` names the diagram (PlantUML names its image after it).
std::string WriteDeploymentDiagram(const TopologyGraph& graph, const std::string& name, const std::string& title);

}  // namespace msgbed::sim
