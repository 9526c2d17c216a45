#include "campaign.h"

#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "child_run.h"
#include "core/rng.h"
#include "scenario.h"
#include "simulation.h"

namespace msgbed::sim {

namespace {

namespace fs = std::filesystem;

// One run's fault: what the report says, and its `faults:` timeline.
struct Fault {
  std::string what;
  YAML::Node timeline{YAML::NodeType::Sequence};
};

std::string Ms(double seconds) { return std::to_string(std::llround(seconds * 1000)) + "ms"; }

std::string Fixed3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Hosts that run a service instance (and, with brokers, a broker), in a
// fixed order.
std::vector<std::string> BusyHosts(const Scenario& sc, bool brokers) {
  std::set<std::string> hosts;
  if (brokers) hosts.insert(sc.kafka.brokers.begin(), sc.kafka.brokers.end());
  for (const auto& [role, names] : sc.services) hosts.insert(names.begin(), names.end());
  return {hosts.begin(), hosts.end()};
}

// Instances there from the start: one that joins later (scale:) cannot
// fail before it joins, and a fault may fall at any time. on_disks: only
// those on hosts with a disk model, when the scenario has any (a disk
// fault on an instance that keeps nothing there tests nothing: found by a
// hostile tester on scenarios/storage-tier.yaml).
std::vector<std::string> Instances(const Scenario& sc, bool on_disks = false) {
  std::set<std::string> disks;
  for (const HostSpec& h : sc.hosts) {
    if (h.disk.modelled()) disks.insert(h.name);
  }
  std::vector<std::string> out;
  for (const auto& [role, names] : sc.services) {
    for (size_t i = 0; i < sc.StartCount(role); ++i) {
      if (!on_disks || disks.empty() || disks.contains(names[i])) out.push_back(role + "/" + std::to_string(i));
    }
  }
  return out;
}

// What a kind of fault does to the window [at, at + length), its details
// drawn from rng.
void Describe(const Scenario& sc, const std::string& kind, Rng& rng, YAML::Node& e, std::string* what) {
  // Link faults touch envelopes only: between hosts that run services.
  const std::vector<std::string> hosts = BusyHosts(sc, /*brokers=*/kind != "link");
  if (kind == "link" || kind == "partition") {
    const std::string cut = hosts[rng.Below(hosts.size())];
    YAML::Node rest;
    for (const auto& h : hosts) {
      if (h != cut) rest.push_back(h);
    }
    e[kind].push_back(cut);
    e[kind].push_back(rest);
    *what = cut + (kind == "link" ? " lossy to every other host" : " cut off");
    if (kind == "partition") return;
    e["drop"] = Fixed3(0.05 + 0.45 * rng.Uniform());
    e["duplicate"] = Fixed3(0.2 * rng.Uniform());
    e["jitter"] = Ms(0.05 * rng.Uniform());
    *what += ": drop " + e["drop"].as<std::string>() + " dup " + e["duplicate"].as<std::string>() + " jitter " +
             e["jitter"].as<std::string>();
  } else if (kind == "disk-full" || kind == "disk-slow") {
    const std::vector<std::string> instances = Instances(sc, /*on_disks=*/true);
    const std::string instance = instances[rng.Below(instances.size())];
    e["disk"] = instance;
    if (kind == "disk-full") e["full"] = true;
    if (kind == "disk-slow") e["slow"] = std::to_string(std::llround(10 + 990 * rng.Uniform()));
    *what = instance + " disk " + (kind == "disk-full" ? "full" : "slow x" + e["slow"].as<std::string>());
  } else {  // a role, or broker: one instance crashes and restarts
    const size_t count = kind == "broker" ? sc.kafka.brokers.size() : sc.StartCount(kind);
    const std::string instance = kind + "/" + std::to_string(rng.Below(count));
    e["crash"] = instance;
    *what = instance + " down";
  }
}

Fault DrawFault(const Scenario& sc, const CampaignSpec& spec, const std::string& kind, uint64_t seed) {
  Rng rng(DeriveSeed(seed, "campaign/" + kind));
  YAML::Node e;
  std::string what;
  Describe(sc, kind, rng, e, &what);
  const double lo = sc.workload.connect_ramp;
  const double hi = std::max(lo, 0.8 * sc.duration);
  const double at = lo + rng.Uniform() * (hi - lo);
  const double length = 0.1 + rng.Uniform() * std::max(0.0, spec.max_downtime - 0.1);
  e["at"] = Ms(at);
  e["for"] = Ms(length);
  Fault f;
  f.what = what + " " + Ms(at) + ".." + Ms(at + length);
  f.timeline.push_back(e);
  return f;
}

// The base scenario with this run's name, seed, drain and fault timeline.
std::string ReplayYaml(const CampaignSpec& spec, const Scenario& base, const std::string& name, uint64_t seed,
                       const Fault& f) {
  YAML::Node root = YAML::Load(spec.base_yaml);
  root["name"] = name;
  root["seed"] = seed;
  // Room after the longest outage for devices' retries and reconnects.
  const double drain = std::max({base.drain, spec.min_drain, spec.max_downtime + spec.min_drain});
  root["drain"] = Ms(drain);
  root["faults"] = f.timeline;
  ResolveDiagramPath(root, spec.base_path);
  YAML::Emitter out;
  out << root;
  return std::string("# msgbed campaign run: replay with `msgbed run` on this file\n") + out.c_str() + "\n";
}

// What broke in a run's summary, or "" if nothing did.
std::string Broken(const nlohmann::json& s) {
  std::string out;
  const auto& inv = s["invariants"];
  const bool settled = inv["settled"].get<bool>();
  for (const auto& [key, value] : inv.items()) {
    if (!settled && (key == "acked_lost" || key == "one_sided" || key == "devices_behind")) continue;  // on their way
    if (value.is_number_unsigned() && value.get<uint64_t>() > 0)
      out += key + " " + std::to_string(value.get<uint64_t>()) + "; ";
  }
  for (const char* key : {"missing", "extra"}) {
    const uint64_t n = s["deliveries"][key].get<uint64_t>();
    if (n > 0) out += std::string("deliveries ") + key + " " + std::to_string(n) + "; ";
  }
  if (!inv["examples"].empty()) out += "e.g. " + inv["examples"][0].get<std::string>();
  return out;
}

// A windowed fault that did nothing in the run (no envelope, bus hop or
// write met it): the run tested nothing.
bool TouchedNothing(const nlohmann::json& s, const std::string& kind) {
  if (kind != "link" && kind != "partition" && kind != "disk-full" && kind != "disk-slow") return false;
  uint64_t touched = 0;
  for (const auto& [key, n] : s["faults_applied"].items()) touched += n.get<uint64_t>();
  return touched == 0;
}

}  // namespace

std::vector<std::string> AllKinds(const Scenario& sc) {
  std::vector<std::string> kinds;
  for (const auto& [role, hosts] : sc.services) kinds.push_back(role);
  kinds.push_back("broker");
  if (BusyHosts(sc, false).size() > 1) kinds.push_back("link");
  if (BusyHosts(sc, true).size() > 1) kinds.push_back("partition");
  kinds.insert(kinds.end(), {"disk-full", "disk-slow"});
  return kinds;
}

std::vector<CampaignRun> RunCampaign(const CampaignSpec& spec,
                                     const std::function<void(const CampaignRun&)>& progress) {
  const Scenario base =
      ParseScenario(spec.base_yaml, spec.base_path.empty() ? "<embedded quickstart>" : spec.base_path);
  CheckMemory(base, UsableMemoryBytes());
  std::vector<std::string> kinds;
  for (const auto& kind : spec.kinds) {
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  if (kinds.empty()) kinds = AllKinds(base);
  for (const auto& kind : kinds) {
    const std::vector<std::string> known = AllKinds(base);
    if (std::find(known.begin(), known.end(), kind) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw ScenarioError("--kinds: no fault kind '" + kind + "' for this scenario (known: " + list + ")");
    }
  }
  const fs::path dir = fs::path(spec.out_dir) / (base.name + "-campaign");
  fs::create_directories(dir);
  std::vector<CampaignRun> runs;
  nlohmann::ordered_json report = nlohmann::ordered_json::array();
  for (uint64_t seed = 1; seed <= spec.seeds; ++seed) {
    for (const auto& kind : kinds) {
      CampaignRun run;
      run.kind = kind;
      run.seed = seed;
      const Fault f = DrawFault(base, spec, kind, seed);
      run.fault = f.what;
      const std::string name = base.name + "-" + kind + "-" + std::to_string(seed);
      const std::string yaml = ReplayYaml(spec, base, name, seed, f);
      run.scenario_path = (dir / (name + ".yaml")).string();
      std::ofstream(run.scenario_path) << yaml;
      const Scenario sc = ParseScenario(yaml, run.scenario_path);
      const nlohmann::json summary = AwaitChild(StartInChild(sc, dir.string()), sc, dir.string());
      run.ran = !summary.is_null();
      run.broken = run.ran ? Broken(summary) : "the run did not finish";
      run.ok = run.ran && run.broken.empty();
      run.touched_nothing = run.ran && TouchedNothing(summary, kind);
      report.push_back({{"kind", kind},
                        {"seed", seed},
                        {"fault", run.fault},
                        {"scenario", run.scenario_path},
                        {"ok", run.ok},
                        {"touched_nothing", run.touched_nothing},
                        {"settled", run.ran && summary["at_end"]["settled"].get<bool>()},
                        {"broken", run.broken}});
      progress(run);
      runs.push_back(run);
    }
  }
  std::ofstream(dir / "campaign.json") << report.dump(2) << "\n";
  return runs;
}

}  // namespace msgbed::sim
