#include "scenario.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "units.h"

namespace msgbed::sim {
namespace {

// Reads one YAML document, failing with file:line and the dotted key path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
    std::ostringstream os;
    os << file_;
    if (at.IsDefined() && at.Mark().line >= 0) os << ":" << at.Mark().line + 1;
    os << ": key '" << key << "': " << what;
    throw ScenarioError(os.str());
  }

  // Fails on keys of map node that are not in allowed: catches typos.
  void OnlyKeys(const YAML::Node& node, const std::string& path, const std::set<std::string>& allowed) const {
    if (!node.IsMap()) Fail(node, path, "expected a mapping");
    for (const auto& kv : node) {
      const std::string k = kv.first.as<std::string>();
      if (!allowed.count(k)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Fail(kv.first, Join(path, k), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  std::string Scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n, key, "expected a single value");
    return n.as<std::string>();
  }

  // Reads parent[key] with parse() into *out when present.
  template <typename T>
  void Read(const YAML::Node& parent, const std::string& path, const std::string& key, T* out,
            const std::function<std::optional<T>(const std::string&)>& parse, const std::string& expected) const {
    const YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return;
    const std::string full = Join(path, key);
    auto v = parse(Scalar(n, full));
    if (!v) Fail(n, full, "expected " + expected + ", got '" + n.as<std::string>() + "'");
    *out = *v;
  }

  void Duration(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
    Read<double>(p, path, key, out, Positive(ParseDuration), "a positive duration like 30s or 5ms");
  }
  void Bandwidth(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
    Read<double>(p, path, key, out, Positive(ParseBandwidth), "a bandwidth like 10Gbps or 125MBps");
  }
  void Speed(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
    Read<double>(p, path, key, out, Positive(ParseSpeed), "a speed like 2Gf");
  }
  template <typename Int>
  void Count(const YAML::Node& p, const std::string& path, const std::string& key, Int* out) const {
    Read<Int>(p, path, key, out, [](const std::string& s) -> std::optional<Int> {
      auto v = ParseNumber(s);
      if (!v || *v < 1 || *v != static_cast<double>(static_cast<Int>(*v))) return std::nullopt;
      return static_cast<Int>(*v);
    }, "a positive integer");
  }
  void Number(const YAML::Node& p, const std::string& path, const std::string& key, double* out, double lo,
              double hi) const {
    Read<double>(p, path, key, out, [lo, hi](const std::string& s) -> std::optional<double> {
      auto v = ParseNumber(s);
      if (!v || *v < lo || *v > hi) return std::nullopt;
      return v;
    }, "a number in [" + Fmt(lo) + ", " + Fmt(hi) + "]");
  }
  void Duration0(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
    Read<double>(p, path, key, out, [](const std::string& s) -> std::optional<double> {
      auto v = ParseDuration(s);
      if (!v || *v < 0) return std::nullopt;
      return v;
    }, "a duration like 5ms (0 allowed)");
  }

  std::vector<std::string> Names(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence() || n.size() == 0) Fail(n, key, "expected a non-empty list of host names");
    std::vector<std::string> out;
    for (const auto& e : n) out.push_back(Scalar(e, key));
    return out;
  }

 private:
  static std::function<std::optional<double>(const std::string&)> Positive(std::optional<double> (*f)(const std::string&)) {
    return [f](const std::string& s) -> std::optional<double> {
      auto v = f(s);
      if (!v || *v <= 0) return std::nullopt;
      return v;
    };
  }
  static std::string Fmt(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  }
  std::string file_;
};

void ReadLink(const Reader& r, const YAML::Node& n, const std::string& path, LinkSpec* link) {
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, path, {"bandwidth", "latency"});
  r.Bandwidth(n, path, "bandwidth", &link->bandwidth);
  r.Duration0(n, path, "latency", &link->latency);
}

void ReadHosts(const Reader& r, const YAML::Node& topo, Scenario* sc) {
  LinkSpec default_link;
  ReadLink(r, topo["link"], "topology.link", &default_link);
  const YAML::Node hosts = topo["hosts"];
  if (!hosts.IsSequence() || hosts.size() == 0) r.Fail(hosts.IsDefined() ? hosts : topo, "topology.hosts", "expected a non-empty list of hosts");
  std::set<std::string> seen;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const YAML::Node h = hosts[i];
    const std::string path = "topology.hosts[" + std::to_string(i) + "]";
    r.OnlyKeys(h, path, {"name", "cores", "speed", "link"});
    HostSpec spec;
    spec.link = default_link;
    if (!h["name"].IsDefined()) r.Fail(h, path + ".name", "every host needs a name");
    spec.name = r.Scalar(h["name"], path + ".name");
    if (!seen.insert(spec.name).second) r.Fail(h["name"], path + ".name", "duplicate host name '" + spec.name + "'");
    r.Count(h, path, "cores", &spec.cores);
    r.Speed(h, path, "speed", &spec.speed);
    ReadLink(r, h["link"], path + ".link", &spec.link);
    sc->hosts.push_back(spec);
  }
}

void ReadServices(const Reader& r, const YAML::Node& topo, Scenario* sc) {
  const YAML::Node s = topo["services"];
  if (!s.IsDefined()) r.Fail(topo, "topology.services", "missing: place gateway, messages and sync on hosts");
  r.OnlyKeys(s, "topology.services", {"gateway", "messages", "sync"});
  for (const char* role : {"gateway", "messages", "sync"}) {
    const std::string key = std::string("topology.services.") + role;
    if (!s[role].IsDefined()) r.Fail(s, key, "missing: at least one host");
    auto names = r.Names(s[role], key);
    for (const auto& n : names) {
      bool known = false;
      for (const auto& h : sc->hosts) known |= h.name == n;
      if (!known) r.Fail(s[role], key, "unknown host '" + n + "'");
    }
    sc->services[role] = names;
  }
}

void ReadKafka(const Reader& r, const YAML::Node& k, Scenario* sc) {
  const std::string path = "topology.kafka";
  if (!k.IsDefined()) r.Fail(k, path, "missing: name the broker hosts");
  r.OnlyKeys(k, path, {"brokers", "partitions", "linger"});
  sc->kafka.brokers = r.Names(k["brokers"], path + ".brokers");
  for (const auto& n : sc->kafka.brokers) {
    bool known = false;
    for (const auto& h : sc->hosts) known |= h.name == n;
    if (!known) r.Fail(k["brokers"], path + ".brokers", "unknown host '" + n + "'");
  }
  r.Count(k, path, "partitions", &sc->kafka.partitions);
  r.Duration0(k, path, "linger", &sc->kafka.linger);
}

void ReadWorkload(const Reader& r, const YAML::Node& w, WorkloadSpec* spec) {
  if (!w.IsDefined()) return;
  const std::string p = "workload";
  r.OnlyKeys(w, p, {"users", "devices_per_user", "online_share", "messages_per_second", "text_bytes", "connect_ramp"});
  r.Count(w, p, "users", &spec->users);
  r.Count(w, p, "devices_per_user", &spec->devices_per_user);
  r.Number(w, p, "online_share", &spec->online_share, 0, 1);
  r.Number(w, p, "messages_per_second", &spec->messages_per_second, 0, 1e9);
  r.Count(w, p, "text_bytes", &spec->text_bytes);
  r.Duration0(w, p, "connect_ramp", &spec->connect_ramp);
  if (spec->users < 2) r.Fail(w["users"], "workload.users", "need at least 2 users to chat");
}

void ReadCosts(const Reader& r, const YAML::Node& c, CostTable* t) {
  if (!c.IsDefined()) return;
  const std::map<std::string, double*> fields = {
      {"gateway.client_frame", &t->gateway_client_frame}, {"gateway.reply", &t->gateway_reply},
      {"messages.send", &t->messages_send},               {"messages.append", &t->messages_append},
      {"messages.get_difference", &t->messages_get_difference},
      {"sync.rpc", &t->sync_rpc},                         {"sync.record", &t->sync_record},
      {"broker.append", &t->broker_append},               {"storage.write", &t->storage_write}};
  std::set<std::string> names;
  for (const auto& [k, v] : fields) names.insert(k);
  r.OnlyKeys(c, "costs", names);
  for (const auto& [k, field] : fields) r.Duration0(c, "costs", k, field);
}

}  // namespace

const HostSpec& Scenario::Host(const std::string& name) const {
  for (const auto& h : hosts) {
    if (h.name == name) return h;
  }
  throw ScenarioError(file + ": unknown host '" + name + "'");
}

Scenario ParseScenario(const std::string& text, const std::string& file) {
  Reader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(file + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  Scenario sc;
  sc.file = file;
  r.OnlyKeys(root, "", {"name", "seed", "duration", "drain", "topology", "clients", "workload", "costs"});
  if (!root["name"].IsDefined()) r.Fail(root, "name", "missing: the scenario's name (used for results/<name>/)");
  sc.name = r.Scalar(root["name"], "name");
  if (sc.name.empty() || sc.name.find('/') != std::string::npos || sc.name[0] == '.') {
    r.Fail(root["name"], "name", "must be a plain file name");
  }
  r.Count(root, "", "seed", &sc.seed);
  r.Duration(root, "", "duration", &sc.duration);
  r.Duration0(root, "", "drain", &sc.drain);

  const YAML::Node topo = root["topology"];
  if (!topo.IsDefined()) r.Fail(root, "topology", "missing: hosts, services and kafka");
  r.OnlyKeys(topo, "topology", {"link", "hosts", "services", "kafka"});
  ReadHosts(r, topo, &sc);
  ReadServices(r, topo, &sc);
  ReadKafka(r, topo["kafka"], &sc);
  if (root["clients"].IsDefined()) {
    r.OnlyKeys(root["clients"], "clients", {"link"});
    ReadLink(r, root["clients"]["link"], "clients.link", &sc.client_link);
  }
  ReadWorkload(r, root["workload"], &sc.workload);
  ReadCosts(r, root["costs"], &sc.costs);
  return sc;
}

Scenario LoadScenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError(path + ": cannot open the scenario file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseScenario(ss.str(), path);
}

}  // namespace msgbed::sim
