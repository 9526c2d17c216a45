#include "sweep.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "child_run.h"
#include "config/yaml_reader.h"
#include "scenario.h"
#include "simulation.h"

namespace msgbed::sim {

namespace fs = std::filesystem;

namespace {

// The values of one swept key: a list, or {from, to, step}.
std::vector<std::string> SweptValues(const YamlReader& r, const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) out.push_back(r.Scalar(n[i], key + "[" + std::to_string(i) + "]"));
  } else if (n.IsMap()) {
    r.OnlyKeys(n, key, {"from", "to", "step"});
    double from = 0, to = 0, step = 1;
    for (const char* k : {"from", "to"})
      if (!n[k].IsDefined()) r.Fail(n, key + "." + k, "missing: a range needs from and to");
    r.Number(n, key, "from", &from, -1e15, 1e15);
    r.Number(n, key, "to", &to, -1e15, 1e15);
    r.Number(n, key, "step", &step, 1e-9, 1e15);
    if (to < from) r.Fail(n, key + ".to", "must not be below from");
    const double count = std::floor((to - from) / step + 1e-9) + 1;
    if (count > 10000) r.Fail(n, key, "more than 10,000 values");
    if (from + step == from) r.Fail(n, key + ".step", "too small to change from");
    for (int i = 0; i < static_cast<int>(count); ++i) {
      char text[32];
      std::snprintf(text, sizeof text, "%.10g", from + i * step);
      out.push_back(text);
    }
  } else {
    r.Fail(n, key, "expected a list of values or {from, to, step}");
  }
  if (out.empty()) r.Fail(n, key, "no values");
  return out;
}

// Sets root's dotted key to value, creating maps on the way.
void SetPath(YAML::Node root, const std::string& key, const std::string& value) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  for (std::string p; std::getline(in, p, '.');) parts.push_back(p);
  // Cost keys have a dot of their own: costs.<role>.<what> is one key of costs.
  if (parts.size() > 2 && parts[0] == "costs") parts = {"costs", key.substr(6)};
  YAML::Node n = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!n[parts[i]] || !n[parts[i]].IsMap()) n[parts[i]] = YAML::Node(YAML::NodeType::Map);
    n.reset(n[parts[i]]);  // step in without assigning through the handle
  }
  n[parts.back()] = YAML::Load(value);
}

std::string Describe(const SweepPoint& p) {
  std::string out;
  for (const auto& [k, v] : p.set) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

}  // namespace

Sweep ExpandSweep(const SweepSpec& spec) {
  const std::string file = spec.base_path.empty() ? "<embedded quickstart>" : spec.base_path;
  YamlReader r(file);
  const YAML::Node base = r.Load(spec.base_yaml);
  const YAML::Node sweep = base["sweep"];
  if (!sweep.IsDefined() || !sweep.IsMap() || sweep.size() == 0)
    r.Fail(sweep.IsDefined() ? sweep : base, "sweep", "missing: a mapping of scenario keys to lists of values");
  r.OnlyKeys(sweep, "sweep", [&] {
    std::set<std::string> keys;
    for (const auto& kv : sweep) keys.insert(r.Scalar(kv.first, "sweep"));
    return keys;
  }());
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (const auto& kv : sweep) {
    const std::string key = r.Scalar(kv.first, "sweep");
    if (key == "name" || key == "sweep") r.Fail(kv.first, "sweep." + key, "cannot be swept");
    axes.emplace_back(key, SweptValues(r, kv.second, "sweep." + key));
  }
  size_t total = 1;
  for (const auto& [key, values] : axes) {
    total *= values.size();
    if (total > 10000) r.Fail(sweep, "sweep", "more than 10,000 points");
  }
  if (!base["name"].IsDefined()) r.Fail(base, "name", "missing: the scenario's name (used for results/<name>-sweep/)");
  const std::string name = r.Scalar(base["name"], "name");
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.' || name[0] == '-') {
    r.Fail(base["name"], "name", "must be a plain file name");
  }
  std::vector<SweepPoint> points;
  for (size_t i = 0; i < total; ++i) {
    YAML::Node root = YAML::Clone(base);
    root.remove("sweep");
    SweepPoint p;
    p.name = name + "-" + std::to_string(i + 1);
    size_t rest = i;
    for (size_t a = axes.size(); a-- > 0;) {
      const auto& [key, values] = axes[a];
      p.set.insert(p.set.begin(), {key, values[rest % values.size()]});
      rest /= values.size();
    }
    for (const auto& [key, value] : p.set) SetPath(root, key, value);
    root["name"] = p.name;
    ResolveDiagramPath(root, spec.base_path);
    YAML::Emitter out;
    out << root;
    p.yaml = "# msgbed sweep point " + std::to_string(i + 1) + ": " + Describe(p) + "\n" + out.c_str() + "\n";
    points.push_back(std::move(p));
  }
  // A bad key or value shows in the points: refuse the sweep before any runs.
  for (SweepPoint& p : points) {
    try {
      p.scenario = ParseScenario(p.yaml, p.name + ".yaml");
      CheckMemory(p.scenario, UsableMemoryBytes() / std::max(spec.jobs, 1));
    } catch (const ScenarioError& e) {
      throw ScenarioError(file + ": sweep point " + p.name + " (" + Describe(p) + "): " + e.what());
    }
  }
  return {name, std::move(points)};
}

std::vector<SweepPoint> RunSweep(const SweepSpec& spec, const std::function<void(const SweepPoint&)>& progress,
                                 std::string* dir_path) {
  // Not a structured binding: clang before 16 cannot capture one in a lambda.
  Sweep sweep = ExpandSweep(spec);
  const std::string& name = sweep.name;
  std::vector<SweepPoint>& points = sweep.points;
  const fs::path dir = fs::path(spec.out_dir) / (name + "-sweep");
  *dir_path = dir.string();
  // Like a run's: the directory belongs to the scenario file that first
  // wrote it, and a rerun starts clean (no points of an earlier sweep).
  Scenario owner;
  owner.name = name + "-sweep";
  owner.file = spec.base_path;
  ClaimResultDir(owner, spec.out_dir);
  if (fs::exists(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().filename() != ".source") fs::remove_all(entry.path());
    }
  }
  fs::create_directories(dir);
  std::map<pid_t, size_t> running;
  for (SweepPoint& p : points) {
    p.path = (dir / (p.name + ".yaml")).string();
    std::ofstream(p.path) << p.yaml;
  }
  auto finish_one = [&] {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    const size_t i = running.at(pid);
    running.erase(pid);
    std::ifstream in(dir / points[i].name / "summary.json");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && in) points[i].summary = nlohmann::json::parse(in);
    progress(points[i]);
  };
  for (size_t i = 0; i < points.size(); ++i) {
    if (static_cast<int>(running.size()) >= std::max(spec.jobs, 1)) finish_one();
    running[StartInChild(points[i].scenario, dir.string())] = i;
  }
  while (!running.empty()) finish_one();
  WriteResultFile(owner, spec.out_dir, "sweep.csv", SweepCsv(points));
  return std::move(points);
}

namespace {

// The busiest of a summary's utilisation map: (name, share).
std::pair<std::string, double> Busiest(const nlohmann::json& utilisation) {
  std::pair<std::string, double> best{"", 0};
  for (const auto& [k, v] : utilisation.items()) {
    if (v.get<double>() > best.second) best = {k, v.get<double>()};
  }
  return best;
}

// RFC 4180: a cell with a comma, quote or line break is quoted.
std::string Quoted(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) return Quoted(v.get<std::string>());
  return v.dump();
}

}  // namespace

std::string SweepCsv(const std::vector<SweepPoint>& points) {
  std::string out = "point";
  for (const auto& [key, value] : points.front().set) out += "," + Quoted(key);
  out +=
      ",finished,settled,invariants_ok,slo_met,sent,acked,delivered,missing,send_to_ack_p50_ms,send_to_ack_p99_ms,"
      "send_to_delivered_p50_ms,send_to_delivered_p99_ms,busiest_instance,busiest_instance_utilisation,"
      "busiest_host,busiest_host_cpu\n";
  for (const SweepPoint& p : points) {
    out += p.name;
    for (const auto& [key, value] : p.set) out += "," + Quoted(value);
    const nlohmann::json& s = p.summary;
    if (s.is_null()) {
      out += ",false" + std::string(15, ',') + "\n";
      continue;
    }
    const auto instance = Busiest(s["instance_utilisation"]);
    const auto host = Busiest(s["cpu_utilisation"]);
    const auto& l = s["latency_ms"];
    for (const nlohmann::json& v :
         {nlohmann::json(true), s["at_end"]["settled"], s["invariants"]["ok"], s["slo"]["met"], s["messages"]["sent"],
          s["messages"]["acked"], s["deliveries"]["delivered"], s["deliveries"]["missing"], l["send_to_ack"]["p50"],
          l["send_to_ack"]["p99"], l["send_to_delivered"]["p50"], l["send_to_delivered"]["p99"],
          nlohmann::json(instance.first), nlohmann::json(instance.second), nlohmann::json(host.first),
          nlohmann::json(host.second)}) {
      out += "," + Cell(v);
    }
    out += "\n";
  }
  return out;
}

}  // namespace msgbed::sim
