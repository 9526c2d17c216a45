#include "deployment_diagram.h"

#include <regex>
#include <set>
#include <sstream>

#include "config/units.h"
#include "config/yaml_reader.h"
#include "roles/registry.h"

namespace msgbed::sim {

namespace {

// Components a server may run: the registered roles, plus the
// infrastructure every deployment has (Kafka brokers, storage nodes).
std::set<std::string> KnownServices() {
  const auto roles = RoleRegistry::Global().Names();
  std::set<std::string> out(roles.begin(), roles.end());
  out.insert({"kafka", "storage"});
  return out;
}

std::vector<std::string> RequiredServices() {
  std::vector<std::string> out;
  for (const auto& r : RoleRegistry::Global().roles()) {
    if (r.required) out.push_back(r.name);
  }
  out.push_back("kafka");
  return out;
}

std::string Listed(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

[[noreturn]] void Fail(const std::string& file, int line, const std::string& what) {
  throw InputError(file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + what);
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// "10Gbps 80ms" -> LinkSpec.
std::optional<LinkSpec> ParseLink(const std::string& text) {
  std::istringstream in(text);
  std::string bw, lat, extra;
  if (!(in >> bw >> lat) || (in >> extra)) return std::nullopt;
  auto b = ParseBandwidth(bw);
  auto l = ParseDuration(lat);
  if (!b || !l || *b <= 0 || *l < 0) return std::nullopt;
  return LinkSpec{*b, *l};
}

std::optional<int> ParsePositiveInt(const std::string& s) {
  auto v = ParseNumber(s);
  if (!v || *v < 1 || *v > 1e6 || *v != static_cast<int>(*v)) return std::nullopt;
  return static_cast<int>(*v);
}

// Applies "<<a, b c, ...>>" attributes to node.
void ApplyAttributes(const std::string& file, int line, const std::string& attrs, DiagramNode* node) {
  std::istringstream items(attrs);
  std::string item;
  while (std::getline(items, item, ',')) {
    item = Trim(item);
    const auto space = item.find(' ');
    const std::string key = item.substr(0, space);
    const std::string value = space == std::string::npos ? "" : Trim(item.substr(space + 1));
    auto bad = [&](const std::string& expected) { Fail(file, line, "attribute '" + item + "': expected " + expected); };
    if (key == "datacenter" && value.empty()) {
      node->type = DiagramNode::Type::kDatacenter;
    } else if (key == "clients" && value.empty()) {
      node->type = DiagramNode::Type::kClients;
    } else if (key == "count" || key == "cores") {
      auto v = ParsePositiveInt(value);
      if (!v) bad(key + " N, a positive integer");
      (key == "count" ? node->count : node->cores) = v;
    } else if (key == "speed") {
      node->speed = ParseSpeed(value);
      if (!node->speed || *node->speed <= 0) bad("speed like 2Gf");
    } else if (key == "link") {
      node->link = ParseLink(value);
      if (!node->link) bad("link BANDWIDTH LATENCY like link 10Gbps 50us");
    } else {
      Fail(file, line, "unknown attribute '" + item + "' (known: datacenter, clients, count, cores, speed, link)");
    }
  }
}

// Line-by-line reader keeping the nesting of open nodes.
class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) { d_.file = file_; }

  DeploymentDiagram Run(const std::string& text) {
    std::istringstream in(text);
    std::string raw;
    int line = 0;
    while (std::getline(in, raw)) Line(++line, Trim(raw));
    if (!open_.empty()) Fail(file_, open_.back().line, "node '" + open_.back().alias + "' is never closed");
    return std::move(d_);
  }

 private:
  void Line(int line, const std::string& s) {
    static const std::regex ignore(R"(^$|^'.*|^@startuml\b.*|^@enduml$|^title\b.*|^skinparam\b.*)");
    static const std::regex element(R"re(^(node|cloud)\s+"([^"]+)"\s+as\s+(\w+)(?:\s*<<(.*)>>)?\s*(\{)?$)re");
    static const std::regex service(
        R"re(^(component|queue|database)\s+"([^"]+)"\s+as\s+(\w+)(?:\s*<<\s*instance\b\s*([^>]*?)\s*>>)?$)re");
    static const std::regex link(R"(^(\w+)\s+--\s+(\w+)\s*:\s*(.+)$)");
    std::smatch m;
    if (std::regex_match(s, ignore)) return;
    if (s == "}") return Close(line);
    if (std::regex_match(s, m, element)) return Element(line, m);
    if (std::regex_match(s, m, service)) return Service(line, m);
    if (std::regex_match(s, m, link)) return Link(line, m[1], m[2], m[3]);
    Fail(file_, line, "unsupported construct '" + s + "' (docs/diagrams.md lists what a deployment diagram may hold)");
  }

  void Element(int line, const std::smatch& m) {
    DiagramNode n;
    n.label = m[2];
    n.alias = m[3];
    n.line = line;
    if (!aliases_.insert(n.alias).second) Fail(file_, line, "duplicate alias '" + n.alias + "'");
    ApplyAttributes(file_, line, m[4], &n);
    const bool cloud = m[1] == "cloud";
    if (cloud != (n.type == DiagramNode::Type::kClients)) {
      Fail(file_, line, "a client cloud is written cloud \"name\" as alias <<clients>>");
    }
    const bool in_datacenter = !open_.empty();
    if (n.type == DiagramNode::Type::kServer && !in_datacenter) {
      Fail(file_, line, "server '" + n.alias + "' must be inside a node <<datacenter>>");
    }
    if (n.type != DiagramNode::Type::kServer && in_datacenter) {
      Fail(file_, line, "'" + n.alias + "' cannot be nested: only servers go inside a datacenter");
    }
    if (open_.size() > 1) Fail(file_, line, "servers cannot be nested in servers");
    if (m[5].matched) {
      open_.push_back(std::move(n));
    } else {
      Add(std::move(n));
    }
  }

  void Service(int line, const std::smatch& m) {
    const std::string shape = m[1], role = m[2], alias = m[3];
    if (open_.empty() || open_.back().type != DiagramNode::Type::kServer) {
      Fail(file_, line, "service '" + role + "' must be inside a server node");
    }
    if (const auto known = KnownServices(); !known.count(role)) {
      Fail(file_, line, "unknown service '" + role + "' (known: " + Listed(known) + ")");
    }
    const std::string want = role == "kafka" ? "queue" : role == "storage" ? "database" : "component";
    if (shape != want) Fail(file_, line, "service '" + role + "' is drawn as a " + want);
    if (!aliases_.insert(alias).second) Fail(file_, line, "duplicate alias '" + alias + "'");
    DiagramService service{role, std::nullopt, line};
    if (m[4].matched) service.instance = InstanceNumber(line, m[4]);
    open_.back().services.push_back(std::move(service));
  }

  int InstanceNumber(int line, const std::string& text) const {
    static const std::regex number(R"(\d{1,6})");
    if (!std::regex_match(text, number)) {
      Fail(file_, line, "instance number '" + text + "': expected a whole number from 0 to 999999");
    }
    return std::stoi(text);
  }

  void Close(int line) {
    if (open_.empty()) Fail(file_, line, "'}' closes nothing");
    DiagramNode n = std::move(open_.back());
    open_.pop_back();
    Add(std::move(n));
  }

  void Add(DiagramNode n) {
    if (n.type == DiagramNode::Type::kServer) {
      open_.back().servers.push_back(std::move(n));
    } else {
      d_.nodes.push_back(std::move(n));
    }
  }

  void Link(int line, const std::string& a, const std::string& b, const std::string& label) {
    auto spec = ParseLink(label);
    if (!spec) Fail(file_, line, "link " + a + " -- " + b + ": label must be BANDWIDTH LATENCY like 10Gbps 30ms");
    d_.links.push_back(DiagramLink{a, b, *spec, line});
  }

  std::string file_;
  DeploymentDiagram d_;
  std::vector<DiagramNode> open_;  // nodes whose '{' is not closed yet
  std::set<std::string> aliases_;
};

// Builds the graph; knows the alias -> vertex mapping while it does.
class Builder {
 public:
  Builder(const DeploymentDiagram& d, const std::map<std::string, NodeOverride>& o) : d_(d), overrides_(o) {}

  TopologyGraph Run() {
    for (const DiagramNode& n : d_.nodes) Top(n);
    for (const DiagramLink& l : d_.links) Link(l);
    NumberInstances();
    CheckRoles();
    CheckReachable();
    return std::move(g_);
  }

 private:
  DiagramNode Effective(const DiagramNode& n) const {
    DiagramNode e = n;
    auto it = overrides_.find(n.alias);
    if (it == overrides_.end()) return e;
    const NodeOverride& o = it->second;
    if (o.count) e.count = o.count;
    if (o.cores) e.cores = o.cores;
    if (o.speed) e.speed = o.speed;
    if (o.link) e.link = o.link;
    return e;
  }

  void Top(const DiagramNode& raw) {
    const DiagramNode n = Effective(raw);
    TopoVertex v;
    v.kind = n.type == DiagramNode::Type::kDatacenter ? TopoVertex::Kind::kFabric : TopoVertex::Kind::kClients;
    v.name = n.label;
    v.line = n.line;
    Name(n.label, n.line);
    const auto id = g_.AddVertex(v);
    vertex_of_[n.alias] = id;
    for (const DiagramNode& s : n.servers) Server(s, n, id);
  }

  void Server(const DiagramNode& raw, const DiagramNode& dc, TopologyGraph::VertexId fabric) {
    const DiagramNode s = Effective(raw);
    const std::optional<LinkSpec> link = s.link ? s.link : dc.link;
    if (!link) {
      Fail(d_.file, s.line,
           "server '" + s.alias + "' has no link capacity: give it or datacenter '" + dc.alias +
               "' an attribute like link 10Gbps 50us");
    }
    const int count = s.count.value_or(1);
    for (int i = 1; i <= count; ++i) {
      TopoVertex v;
      v.kind = TopoVertex::Kind::kHost;
      v.name = s.count ? s.label + "-" + std::to_string(i) : s.label;
      v.cores = s.cores.value_or(4);
      v.speed = s.speed.value_or(2e9);
      for (const DiagramService& service : s.services) {
        v.roles.push_back(service.role);
        if (!service.instance) {
          unnumbered_line_.try_emplace(service.role, service.line);
          continue;
        }
        if (s.count) Fail(d_.file, service.line, "an instance number needs a server without count");
        auto& slot = numbered_[service.role][*service.instance];
        if (!slot.host.empty()) {
          Fail(d_.file, service.line,
               "instance " + std::to_string(*service.instance) + " of '" + service.role + "' is numbered twice");
        }
        slot = {v.name, service.line};
      }
      v.line = s.line;
      Name(v.name, s.line);
      const auto id = g_.AddVertex(v);
      g_.AddEdge(id, fabric, TopoEdge{*link, s.line});
      if (count == 1) vertex_of_[s.alias] = id;
    }
    if (count > 1) counted_[s.alias] = count;
  }

  void Name(const std::string& name, int line) {
    if (!names_.insert(name).second) Fail(d_.file, line, "two hosts or datacenters are named '" + name + "'");
    if (const std::string why = ReservedNameProblem(name); !why.empty()) Fail(d_.file, line, why);
  }

  TopologyGraph::VertexId End(const std::string& alias, int line) const {
    if (counted_.count(alias)) {
      Fail(d_.file, line,
           "ambiguous link end '" + alias + "': it stands for " + std::to_string(counted_.at(alias)) +
               " servers; link its datacenter instead");
    }
    auto it = vertex_of_.find(alias);
    if (it == vertex_of_.end()) Fail(d_.file, line, "link end '" + alias + "' is not a node of the diagram");
    return it->second;
  }

  void Link(const DiagramLink& l) {
    const auto a = End(l.a, l.line), b = End(l.b, l.line);
    if (a == b) Fail(d_.file, l.line, "link from '" + l.a + "' to itself");
    g_.AddEdge(a, b, TopoEdge{l.link, l.line});
  }

  // Roles whose components carry <<instance N>> take that order: every
  // one of them numbered, 0 to n-1.
  void NumberInstances() {
    for (auto& [role, by_number] : numbered_) {
      const size_t n = g_.HostsWith(role).size();
      std::vector<std::string> hosts;
      for (auto& [number, placed] : by_number) {
        if (static_cast<size_t>(number) != hosts.size() || by_number.size() != n) {
          auto unnumbered = unnumbered_line_.find(role);
          Fail(d_.file, unnumbered != unnumbered_line_.end() ? unnumbered->second : placed.line,
               "the " + std::to_string(n) + " '" + role + "' components must be numbered 0 to " +
                   std::to_string(n - 1) + " (<<instance N>>), each once, or none of them");
        }
        hosts.push_back(std::move(placed.host));
      }
      g_.SetInstanceOrder(role, std::move(hosts));
    }
  }

  void CheckRoles() const {
    for (const auto& role : RequiredServices()) {
      if (g_.HostsWith(role).empty()) Fail(d_.file, 0, "no server runs '" + role + "'");
    }
  }

  void CheckReachable() const {
    for (const auto& gw : g_.HostsWith("gateway")) {
      const auto from = *g_.Find(gw);
      for (TopologyGraph::VertexId v = 0; v < g_.vertex_count(); ++v) {
        const TopoVertex& x = g_.vertex(v);
        if (x.roles.empty() || g_.Reachable(from, v)) continue;
        Fail(d_.file, x.line,
             "host '" + x.name + "' is unreachable from gateway host '" + gw + "': link its datacenter to the others");
      }
    }
  }

  const DeploymentDiagram& d_;
  const std::map<std::string, NodeOverride>& overrides_;
  TopologyGraph g_;
  std::map<std::string, TopologyGraph::VertexId> vertex_of_;
  std::map<std::string, int> counted_;
  std::set<std::string> names_;
  struct Placed {
    std::string host;
    int line = 0;
  };
  std::map<std::string, std::map<int, Placed>> numbered_;  // role -> instance number -> where
  std::map<std::string, int> unnumbered_line_;             // role -> its first component without a number
};

// PlantUML aliases for a written diagram: identifiers made from names,
// unique however alike the names are (gw-1 and gw_1; a role twice on a host).
class Aliases {
 public:
  std::string Make(const std::string& name) {
    std::string a;
    for (char c : name) a += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (a.empty() || std::isdigit(static_cast<unsigned char>(a[0]))) a = "n_" + a;
    std::string unique = a;
    for (int k = 2; !used_.insert(unique).second; ++k) unique = a + "_" + std::to_string(k);
    return unique;
  }
  // The alias of vertex v, made on first use.
  const std::string& Of(const TopologyGraph& g, TopologyGraph::VertexId v) {
    auto it = vertex_.find(v);
    if (it == vertex_.end()) it = vertex_.emplace(v, Make(g.vertex(v).name)).first;
    return it->second;
  }

 private:
  std::set<std::string> used_;
  std::map<TopologyGraph::VertexId, std::string> vertex_;
};

// The number of the k-th instance of role on host (from 0, by HostsWith).
size_t InstanceNumber(const TopologyGraph& g, const std::string& role, const std::string& host, size_t k) {
  const auto hosts = g.HostsWith(role);
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i] == host && k-- == 0) return i;
  }
  return hosts.size();  // not reached: every role entry of a host is an instance
}

std::string LinkText(const LinkSpec& l) { return FormatBandwidth(l.bandwidth) + " " + FormatDuration(l.latency); }

void WriteHost(const TopologyGraph& g, TopologyGraph::VertexId h, const LinkSpec& link, Aliases& aliases,
               std::ostream& out) {
  const TopoVertex& v = g.vertex(h);
  const std::string alias = aliases.Of(g, h);
  out << "  node \"" << v.name << "\" as " << alias << " <<cores " << v.cores << ", speed " << FormatSpeed(v.speed)
      << ", link " << LinkText(link) << ">> {\n";
  std::map<std::string, size_t> seen;  // role -> its components written on this host so far
  for (const auto& role : v.roles) {
    const char* shape = role == "kafka" ? "queue" : role == "storage" ? "database" : "component";
    out << "    " << shape << " \"" << role << "\" as " << aliases.Make(alias + "_" + role);
    if (!g.InVertexOrder(role)) out << " <<instance " << InstanceNumber(g, role, v.name, seen[role]++) << ">>";
    out << "\n";
  }
  out << "  }\n";
}

}  // namespace

const DiagramNode* DeploymentDiagram::FindNode(const std::string& alias) const {
  for (const DiagramNode& n : nodes) {
    if (n.alias == alias) return &n;
    for (const DiagramNode& s : n.servers) {
      if (s.alias == alias) return &s;
    }
  }
  return nullptr;
}

DeploymentDiagram ParseDeploymentDiagram(const std::string& text, const std::string& file) {
  return Parser(file).Run(text);
}

TopologyGraph BuildTopology(const DeploymentDiagram& diagram, const std::map<std::string, NodeOverride>& overrides) {
  return Builder(diagram, overrides).Run();
}

std::string WriteDeploymentDiagram(const TopologyGraph& g, const std::string& name, const std::string& title) {
  std::ostringstream out;
  out << "@startuml " << name << "\n' Written by msgbed diagram; msgbed can read it back as a topology.\ntitle "
      << title << "\n\n";
  std::set<size_t> host_edges;
  Aliases aliases;
  for (TopologyGraph::VertexId f = 0; f < g.vertex_count(); ++f) {
    if (g.vertex(f).kind != TopoVertex::Kind::kFabric) continue;
    out << "node \"" << g.vertex(f).name << "\" as " << aliases.Of(g, f) << " <<datacenter>> {\n";
    for (size_t e = 0; e < g.edge_count(); ++e) {
      auto [a, b] = g.ends(e);
      const auto host = a == f ? b : b == f ? a : f;
      if (host == f || g.vertex(host).kind != TopoVertex::Kind::kHost || g.FabricOf(host) != f) continue;
      WriteHost(g, host, g.edge(e).link, aliases, out);
      host_edges.insert(e);
    }
    out << "}\n\n";
  }
  for (TopologyGraph::VertexId c = 0; c < g.vertex_count(); ++c) {
    if (g.vertex(c).kind == TopoVertex::Kind::kClients) {
      out << "cloud \"" << g.vertex(c).name << "\" as " << aliases.Of(g, c) << " <<clients>>\n";
    }
  }
  out << "\n";
  for (size_t e = 0; e < g.edge_count(); ++e) {
    if (host_edges.count(e)) continue;
    auto [a, b] = g.ends(e);
    out << aliases.Of(g, a) << " -- " << aliases.Of(g, b) << " : " << LinkText(g.edge(e).link) << "\n";
  }
  out << "@enduml\n";
  return out.str();
}

}  // namespace msgbed::sim
