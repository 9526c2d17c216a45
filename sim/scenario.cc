#include "scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "config/role_settings.h"
#include "config/units.h"
#include "deployment_diagram.h"
#include "fault_reader.h"
#include "group_layout.h"
#include "messages/replicator.h"
#include "scale_reader.h"
#include "store/placement.h"

namespace msgbed::sim {
namespace {

using Reader = YamlReader;

void ReadLink(const Reader& r, const YAML::Node& n, const std::string& path, LinkSpec* link) {
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, path, {"bandwidth", "latency"});
  r.Bandwidth(n, path, "bandwidth", &link->bandwidth);
  r.DurationOrZero(n, path, "latency", &link->latency);
}

// `disk: {read: 2GBps, write: 1GBps, latency: 100us, queue_depth: 32, cache_hit: 0.9}`.
void ReadDisk(const Reader& r, const YAML::Node& n, const std::string& path, DiskSpec* disk) {
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, path, {"read", "write", "latency", "queue_depth", "cache_hit"});
  r.Required(n, path, "read", "the disk's read bandwidth, like 2GBps");
  r.Required(n, path, "write", "the disk's write bandwidth, like 1GBps");
  r.Bandwidth(n, path, "read", &disk->read_bandwidth);
  r.Bandwidth(n, path, "write", &disk->write_bandwidth);
  r.DurationOrZero(n, path, "latency", &disk->latency);
  r.Count(n, path, "queue_depth", &disk->queue_depth);
  if (disk->queue_depth > 1024) r.Fail(n["queue_depth"], path + ".queue_depth", "at most 1024");
  r.Number(n, path, "cache_hit", &disk->cache_hit, 0, 1);
}

void ReadHosts(const Reader& r, const YAML::Node& topo, Scenario* sc) {
  LinkSpec default_link;
  ReadLink(r, topo["link"], "topology.link", &default_link);
  DiskSpec default_disk;
  ReadDisk(r, topo["disk"], "topology.disk", &default_disk);
  const YAML::Node hosts = topo["hosts"];
  if (!hosts.IsDefined() || !hosts.IsSequence() || hosts.size() == 0)
    r.Fail(hosts.IsDefined() ? hosts : topo, "topology.hosts", "expected a non-empty list of hosts");
  std::set<std::string> seen;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const YAML::Node h = hosts[i];
    const std::string path = "topology.hosts[" + std::to_string(i) + "]";
    r.OnlyKeys(h, path, {"name", "cores", "speed", "link", "disk"});
    HostSpec spec;
    spec.link = default_link;
    spec.disk = default_disk;
    if (!h["name"].IsDefined()) r.Fail(h, path + ".name", "every host needs a name");
    spec.name = r.Scalar(h["name"], path + ".name");
    if (!seen.insert(spec.name).second) r.Fail(h["name"], path + ".name", "duplicate host name '" + spec.name + "'");
    if (const std::string why = ReservedNameProblem(spec.name); !why.empty()) r.Fail(h["name"], path + ".name", why);
    r.Count(h, path, "cores", &spec.cores);
    r.Speed(h, path, "speed", &spec.speed);
    ReadLink(r, h["link"], path + ".link", &spec.link);
    ReadDisk(r, h["disk"], path + ".disk", &spec.disk);
    sc->hosts.push_back(spec);
  }
}

// A list of names of hosts declared in topology.hosts.
std::vector<std::string> HostNames(const Reader& r, const YAML::Node& n, const std::string& key, const Scenario& sc) {
  auto names = r.Names(n, key);
  for (const auto& name : names) {
    bool known = false;
    for (const auto& h : sc.hosts) known |= h.name == name;
    if (!known) r.Fail(n, key, "unknown host '" + name + "'");
  }
  return names;
}

void ReadServices(const Reader& r, const YAML::Node& topo, const RoleRegistry& roles, Scenario* sc) {
  const YAML::Node s = topo["services"];
  if (!s.IsDefined()) r.Fail(topo, "topology.services", "missing: place gateway, messages and sync on hosts");
  const auto names = roles.Names();
  r.OnlyKeys(s, "topology.services", std::set<std::string>(names.begin(), names.end()));
  for (const RoleSpec& role : roles.roles()) {
    const std::string key = "topology.services." + role.name;
    if (!s[role.name].IsDefined()) {
      if (role.required) r.Fail(s, key, "missing: at least one host");
      continue;
    }
    sc->services[role.name] = HostNames(r, s[role.name], key, *sc);
  }
}

void ReadKafkaTuning(const Reader& r, const YAML::Node& k, Scenario* sc) {
  const std::string path = "topology.kafka";
  r.OnlyKeys(k, path,
             {"brokers", "partitions", "linger", "batch_bytes", "replication", "failover_after", "session_timeout",
              "rebalance_time"});
  r.Count(k, path, "partitions", &sc->kafka.partitions);
  r.DurationOrZero(k, path, "linger", &sc->kafka.linger);
  r.Bytes(k, path, "batch_bytes", &sc->kafka.batch_bytes, 1e9);
  r.Count(k, path, "replication", &sc->kafka.replication);
  r.DurationOrZero(k, path, "failover_after", &sc->kafka.failover_after);
  r.DurationOrZero(k, path, "session_timeout", &sc->kafka.session_timeout);
  r.DurationOrZero(k, path, "rebalance_time", &sc->kafka.rebalance_time);
  if (sc->kafka.session_timeout > 300) {
    r.Fail(k["session_timeout"], path + ".session_timeout", "at most 300s (Kafka's max.poll.interval.ms)");
  }
  if (sc->kafka.rebalance_time > 60) {
    r.Fail(k["rebalance_time"], path + ".rebalance_time",
           "at most 60s (every start waits this long before sync gets a partition)");
  }
  if (k["failover_after"].IsDefined() && sc->kafka.replication < 2) {
    r.Fail(k["failover_after"], path + ".failover_after", "only with replication 2 or more: nothing to fail over to");
  }
  if (sc->kafka.replication > sc->kafka.brokers.size()) {
    r.Fail(k["replication"], path + ".replication",
           "more replicas than brokers (" + std::to_string(sc->kafka.brokers.size()) + ")");
  }
}

void ReadKafka(const Reader& r, const YAML::Node& k, Scenario* sc) {
  const std::string path = "topology.kafka";
  if (!k.IsDefined()) r.Fail(k, path, "missing: name the broker hosts");
  sc->kafka.brokers = HostNames(r, k["brokers"], path + ".brokers", *sc);
  ReadKafkaTuning(r, k, sc);
}

// The defaults of every deployed role and of the infrastructure, with the
// scenario's `costs:` on top; an unknown key is an error naming the known ones.
void ReadCosts(const Reader& r, const YAML::Node& c, const RoleRegistry& roles, Scenario* sc) {
  CostTable& t = sc->costs;
  t = {{"broker.append", 10e-6}, {"broker.record", 2e-6}, {"storage.write", 20e-6}};
  for (const auto& [role, hosts] : sc->services) {
    for (const auto& [key, seconds] : DefaultCosts(roles.Get(role))) t.emplace(key, seconds);
  }
  if (!c.IsDefined()) return;
  std::set<std::string> known;
  for (const auto& [k, v] : t) known.insert(k);
  r.OnlyKeys(c, "costs", known);
  for (auto& [k, v] : t) ServiceTime::Read(r, c, "costs", k, &v);
}

// `slo: {<flow>: {<quantile>: <duration>}}`.
void ReadSlo(const Reader& r, const YAML::Node& n, Scenario* sc) {
  if (!n.IsDefined()) return;
  const std::set<std::string> flows = {"send_to_ack", "send_to_delivered", "send_to_visible", "offline_catch_up"};
  r.OnlyKeys(n, "slo", flows);
  for (const std::string& flow : flows) {
    if (!n[flow].IsDefined()) continue;
    const std::string path = "slo." + flow;
    r.OnlyKeys(n[flow], path, {"p50", "p90", "p99", "max"});
    for (const char* q : {"p50", "p90", "p99", "max"}) {
      if (!n[flow][q].IsDefined()) continue;
      SloSpec s{flow, q, 0};
      r.Duration(n[flow], path, q, &s.limit);
      sc->slo.push_back(s);
    }
  }
}

// `<channel>: {providers: [{latency, timeout, failure_rate, delivery, loss,
// outages: [{at, for}]}]}`, channel sms or push.
void ReadProviders(const Reader& r, const YAML::Node& n, const std::string& channel, std::vector<ProviderSpec>* out) {
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, channel, {"providers"});
  const YAML::Node list = n["providers"];
  if (!list.IsSequence() || list.size() == 0) r.Fail(n, channel + ".providers", "a list of one or more providers");
  const ProviderSpec defaults = out->empty() ? ProviderSpec{} : out->front();
  out->clear();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = channel + ".providers[" + std::to_string(i) + "]";
    const YAML::Node p = list[i];
    r.OnlyKeys(p, path, {"latency", "timeout", "failure_rate", "delivery", "loss", "outages"});
    ProviderSpec spec = defaults;
    r.DurationOrZero(p, path, "latency", &spec.latency);
    r.Duration(p, path, "timeout", &spec.timeout);
    r.Number(p, path, "failure_rate", &spec.failure_rate, 0, 1);
    r.Number(p, path, "loss", &spec.loss, 0, 1);
    ServiceTime::Read(r, p, path, "delivery", &spec.delivery);
    if (p["outages"].IsDefined()) {
      if (!p["outages"].IsSequence()) r.Fail(p["outages"], path + ".outages", "a list of {at, for}");
      for (size_t k = 0; k < p["outages"].size(); ++k) {
        const YAML::Node o = p["outages"][k];
        const std::string opath = path + ".outages[" + std::to_string(k) + "]";
        r.OnlyKeys(o, opath, {"at", "for"});
        r.Required(o, opath, "at", "when the outage starts, like 60s");
        r.Required(o, opath, "for", "how long it lasts, like 2min");
        double at = 0, length = 0;
        r.DurationOrZero(o, opath, "at", &at);
        r.Duration(o, opath, "for", &length);
        spec.outages.emplace_back(at, at + length);
      }
    }
    out->push_back(std::move(spec));
  }
}

// `instances:` by deployed role; every deployed role gets an entry.
void ReadInstances(const Reader& r, const YAML::Node& n, Scenario* sc) {
  std::set<std::string> deployed;
  for (const auto& [role, hosts] : sc->services) deployed.insert(role);
  for (const std::string& role : deployed) sc->instances[role];
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, "instances", deployed);
  for (const std::string& role : deployed) {
    if (!n[role].IsDefined()) continue;
    const std::string path = "instances." + role;
    r.OnlyKeys(n[role], path, {"workers", "queue_limit"});
    InstanceSpec& spec = sc->instances[role];
    r.Count(n[role], path, "workers", &spec.workers);
    if (spec.workers > 1024) r.Fail(n[role]["workers"], path + ".workers", "at most 1024 workers per instance");
    double limit = spec.queue_limit;
    r.Number(n[role], path, "queue_limit", &limit, 0, 4294967295.0);
    if (limit != std::floor(limit)) r.Fail(n[role]["queue_limit"], path + ".queue_limit", "expected a whole number");
    spec.queue_limit = static_cast<uint32_t>(limit);
  }
}

// Inline topologies are one datacenter fabric with every host linked to it.
TopologyGraph InlineGraph(const Scenario& sc) {
  TopologyGraph g;
  // Named apart from every host, so that a diagram of it reads back.
  std::string fabric = "datacenter";
  for (int k = 2; std::any_of(sc.hosts.begin(), sc.hosts.end(), [&](const HostSpec& h) { return h.name == fabric; });
       ++k) {
    fabric = "datacenter-" + std::to_string(k);
  }
  const auto f = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kFabric, fabric));
  for (const HostSpec& h : sc.hosts) {
    TopoVertex v = TopoVertex::Of(TopoVertex::Kind::kHost, h.name);
    v.cores = h.cores;
    v.speed = h.speed;
    for (const auto& [role, names] : sc.services) {
      for (const std::string& name : names) {
        if (name == h.name) v.roles.push_back(role);  // once per instance
      }
    }
    for (const std::string& broker : sc.kafka.brokers) {
      if (broker == h.name) v.roles.push_back("kafka");  // once per broker
    }
    g.AddEdge(g.AddVertex(v), f, TopoEdge{h.link});
  }
  for (const auto& [role, names] : sc.services) g.SetInstanceOrder(role, names);
  g.SetInstanceOrder("kafka", sc.kafka.brokers);
  return g;
}

NodeOverride ReadOverride(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.OnlyKeys(n, path, {"count", "cores", "speed", "link"});
  NodeOverride o;
  int count = 0, cores = 0;
  double speed = 0;
  r.Count(n, path, "count", &count);
  r.Count(n, path, "cores", &cores);
  r.Speed(n, path, "speed", &speed);
  if (count) o.count = count;
  if (cores) o.cores = cores;
  if (speed) o.speed = speed;
  if (n["link"].IsDefined()) {
    LinkSpec link;
    ReadLink(r, n["link"], path + ".link", &link);
    o.link = link;
  }
  return o;
}

// topology.diagram: the hosts, services and brokers come from the diagram.
void ReadDiagramTopology(const Reader& r, const YAML::Node& topo, const RoleRegistry& roles, Scenario* sc) {
  for (const char* k : {"hosts", "services", "link"}) {
    if (topo[k].IsDefined())
      r.Fail(topo[k], std::string("topology.") + k, "not with topology.diagram: the diagram places hosts");
  }
  if (topo["kafka"].IsDefined() && topo["kafka"]["brokers"].IsDefined()) {
    r.Fail(topo["kafka"]["brokers"], "topology.kafka.brokers", "not with topology.diagram: the diagram places brokers");
  }
  std::string path = r.Scalar(topo["diagram"], "topology.diagram");
  if (!path.empty() && path[0] != '/') path = (std::filesystem::path(sc->file).parent_path() / path).string();
  sc->diagram = path;
  const DeploymentDiagram diagram = ParseDeploymentDiagram(ReadTextFile(path), path);
  std::map<std::string, NodeOverride> overrides;
  if (const YAML::Node o = topo["overrides"]; o.IsDefined()) {
    if (!o.IsMap()) r.Fail(o, "topology.overrides", "expected a mapping of diagram aliases");
    for (const auto& kv : o) {
      const std::string alias = kv.first.as<std::string>();
      const std::string key = "topology.overrides." + alias;
      if (!diagram.FindNode(alias)) r.Fail(kv.first, key, "no node with alias '" + alias + "' in " + path);
      overrides[alias] = ReadOverride(r, kv.second, key);
    }
  }
  sc->graph = BuildTopology(diagram, overrides);
  DiskSpec disk;
  ReadDisk(r, topo["disk"], "topology.disk", &disk);
  for (TopologyGraph::VertexId v = 0; v < sc->graph.vertex_count(); ++v) {
    const TopoVertex& x = sc->graph.vertex(v);
    if (x.kind == TopoVertex::Kind::kHost) sc->hosts.push_back(HostSpec{x.name, x.cores, x.speed, {}, disk});
  }
  for (const auto& name : roles.Names()) {
    auto hosts = sc->graph.HostsWith(name);
    if (!hosts.empty()) sc->services[name] = std::move(hosts);
  }
  sc->kafka.brokers = sc->graph.HostsWith("kafka");
}

}  // namespace

namespace {
Scenario ParseScenarioText(const std::string& text, const std::string& file, const RoleRegistry& roles);
}  // namespace

Scenario ParseScenario(const std::string& text, const std::string& file, const RoleRegistry& roles) {
  return GuardYaml(file, [&] { return ParseScenarioText(text, file, roles); });
}

namespace {

// workload.bots against the deployment and the Bot API server's settings.
void CheckBots(const Reader& r, const YAML::Node& root, const Scenario& sc) {
  const BotLoad& b = sc.workload.bots;
  if (b.count() == 0) return;
  const YAML::Node bots = root["workload"]["bots"];
  if (!sc.services.contains(role::kBotApi)) {
    r.Fail(bots, "workload.bots", "needs a Bot API server (topology.services: {botapi: [hosts]})");
  }
  if (b.broadcast_recipients > 0) {
    const YAML::Node cast = bots["broadcast"];
    if (b.broadcast_at >= sc.duration) {
      r.Fail(cast["at"], "workload.bots.broadcast.at", "must be before the end of the loaded period (duration)");
    }
    if (b.broadcast_at < 0 && sc.workload.connect_ramp >= sc.duration) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "starts at %g s (connect_ramp), not before the end of the loaded period (duration %g s): give at",
                    sc.workload.connect_ramp, sc.duration);
      r.Fail(cast, "workload.bots.broadcast", text);
    }
  }
  const double per_source = sc.role_settings.at(role::kBotApi).at("max_connections_per_source");
  auto count = [](double v) { return std::to_string(static_cast<uint64_t>(v)); };
  if (b.broadcast_recipients > 0 && b.broadcast_connections > per_source) {
    r.Fail(bots["broadcast"]["connections"], "workload.bots.broadcast.connections",
           "more than botapi.max_connections_per_source (" + count(per_source) + ")");
  }
  if (b.echo > 0 && BotLoad::kEchoConnections > per_source) {
    r.Fail(bots["echo"], "workload.bots.echo",
           "an echo bot takes " + count(BotLoad::kEchoConnections) +
               " connections, more than botapi.max_connections_per_source (" + count(per_source) + ")");
  }
}

// The messages role's settings against the deployment: the store tier's
// against the store nodes (docs/storage.md); the retention against the
// run, since the end-of-run checks look for every acknowledged message in
// its boxes and a message the retention removed would count as lost.
void CheckMessagesSettings(const YamlReader& r, const YAML::Node& root, const Scenario& sc) {
  auto messages = sc.role_settings.find(role::kMessages);
  const auto store = sc.services.find(kStoreRole);
  const uint32_t nodes = store == sc.services.end() ? 0 : static_cast<uint32_t>(store->second.size());
  if (auto bad = CheckReplication(messages == sc.role_settings.end() ? RoleSettings{} : messages->second, nodes)) {
    r.Fail(root[role::kMessages][bad->first], std::string(role::kMessages) + "." + bad->first, bad->second);
  }
  if (messages == sc.role_settings.end() || !messages->second.contains("retention")) return;
  const double retention = messages->second.at("retention");
  if (retention > 0 && retention <= sc.duration + sc.drain) {
    r.Fail(root[role::kMessages]["retention"], "messages.retention",
           "must be 0 or longer than the run (duration + drain, " + FormatDuration(sc.duration + sc.drain) +
               "): the end-of-run checks would count expired messages as lost");
  }
}

Scenario ParseScenarioText(const std::string& text, const std::string& file, const RoleRegistry& roles) {
  Reader r(file);
  const YAML::Node root = r.Load(text);
  Scenario sc;
  sc.file = file;
  std::set<std::string> keys = {"name",  "seed",   "duration",  "drain", "warmup", "topology", "clients", "workload",
                                "costs", "faults", "instances", "slo",   "sweep",  "sms",      "push",    "scale"};
  keys.merge(RoleSettingSections(roles));
  r.OnlyKeys(root, "", keys);
  if (root["sweep"].IsDefined()) r.Fail(root["sweep"], "sweep", "a sweep runs with `msgbed sweep`, one run per point");
  if (!root["name"].IsDefined()) r.Fail(root, "name", "missing: the scenario's name (used for results/<name>/)");
  sc.name = r.Scalar(root["name"], "name");
  if (sc.name.empty() || sc.name.find('/') != std::string::npos || sc.name[0] == '.') {
    r.Fail(root["name"], "name", "must be a plain file name");
  }
  r.Count(root, "", "seed", &sc.seed);
  r.Duration(root, "", "duration", &sc.duration);
  r.DurationOrZero(root, "", "drain", &sc.drain);
  r.DurationOrZero(root, "", "warmup", &sc.warmup);
  if (sc.warmup >= sc.duration) r.Fail(root["warmup"], "warmup", "must end before the load does (duration)");

  const YAML::Node topo = root["topology"];
  if (!topo.IsDefined()) r.Fail(root, "topology", "missing: hosts, services and kafka");
  r.OnlyKeys(topo, "topology", {"link", "disk", "hosts", "services", "kafka", "diagram", "overrides"});
  if (topo["diagram"].IsDefined()) {
    ReadDiagramTopology(r, topo, roles, &sc);
    if (topo["kafka"].IsDefined()) ReadKafkaTuning(r, topo["kafka"], &sc);
  } else {
    if (topo["overrides"].IsDefined()) r.Fail(topo["overrides"], "topology.overrides", "only with topology.diagram");
    ReadHosts(r, topo, &sc);
    ReadServices(r, topo, roles, &sc);
    ReadKafka(r, topo["kafka"], &sc);
    sc.graph = InlineGraph(sc);
  }
  if (root["clients"].IsDefined()) {
    r.OnlyKeys(root["clients"], "clients", {"link"});
    ReadLink(r, root["clients"]["link"], "clients.link", &sc.client_link);
  }
  ReadWorkload(r, root["workload"], &sc.workload);
  if (const uint64_t needed = GroupLayout(sc.workload.groups, sc.seed).users(); needed > sc.workload.users) {
    r.Fail(root["workload"]["groups"]["count"], "workload.groups.count",
           "the groups drawn (seed " + std::to_string(sc.seed) + ") take " + std::to_string(needed) +
               " users and workload.users is " + std::to_string(sc.workload.users) +
               " (a user is in one group): fewer groups, smaller sizes, or more users");
  }
  for (const auto& kv : root) {  // the key's line: a block map's own mark is its first entry
    if (kv.first.as<std::string>() == "workload" && kv.first.Mark().line >= 0)
      sc.workload_line = kv.first.Mark().line + 1;
  }
  if (sc.workload.media.file_bytes > 0) {
    const YAML::Node media = root["workload"]["media"];
    if (!sc.services.contains(role::kMedia)) {
      r.Fail(media, "workload.media", "needs a media service (topology.services: {media: [hosts]})");
    }
    if (sc.workload.media.start >= sc.duration) {
      r.Fail(media["start"], "workload.media.start", "must be before the end of the loaded period (duration)");
    }
  }
  ReadCosts(r, root["costs"], roles, &sc);
  ReadInstances(r, root["instances"], &sc);
  ReadSlo(r, root["slo"], &sc);
  ReadProviders(r, root[kSmsChannel], kSmsChannel, &sc.sms);
  ReadProviders(r, root[kPushChannel], kPushChannel, &sc.push);
  ReadRoleSettings(r, root, roles, &sc.role_settings);
  CheckMessagesSettings(r, root, sc);
  ReadScale(r, root["scale"], roles, &sc);
  ReadFaults(r, root["faults"], &sc);
  // Simulated devices do not ping (a population would spend most of its
  // wake-ups on it), so gateways keep idle connections unless told otherwise.
  if (sc.services.contains(role::kGateway)) sc.role_settings[role::kGateway].try_emplace("idle_timeout", 0.0);
  // Every deployed role's settings, defaults filled in: what the run used.
  for (const auto& [role, hosts] : sc.services) {
    const RoleSpec& r = roles.Get(role);
    for (const SettingSpec& spec : r.settings) {
      auto simulated = r.simulated_defaults.find(spec.key);
      sc.role_settings[role].try_emplace(
          spec.key, simulated != r.simulated_defaults.end() ? simulated->second : spec.default_value);
    }
  }
  CheckBots(r, root, sc);
  return sc;
}

}  // namespace

Scenario LoadScenario(const std::string& path, const RoleRegistry& roles) {
  return ParseScenario(ReadTextFile(path), path, roles);
}

}  // namespace msgbed::sim
