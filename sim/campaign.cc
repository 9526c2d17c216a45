#include "campaign.h"

#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/rng.h"
#include "scenario.h"
#include "simulation.h"

namespace msgbed::sim {

namespace {

namespace fs = std::filesystem;

struct Fault {
  std::string instance;
  int64_t at_ms, until_ms;
};

Fault DrawFault(const Scenario& sc, const CampaignSpec& spec, const std::string& kind, uint64_t seed) {
  Rng rng(DeriveSeed(seed, "campaign/" + kind));
  const uint64_t index = rng.Below(sc.Count(kind));
  const double lo = sc.workload.connect_ramp;
  const double hi = std::max(lo, 0.8 * sc.duration);
  const double at = lo + rng.Uniform() * (hi - lo);
  const double down = 0.1 + rng.Uniform() * std::max(0.0, spec.max_downtime - 0.1);
  return {kind + "/" + std::to_string(index), std::llround(at * 1000), std::llround((at + down) * 1000)};
}

// The base scenario with this run's name, seed, drain and fault timeline.
std::string ReplayYaml(const CampaignSpec& spec, const Scenario& base, const std::string& name, uint64_t seed,
                       const Fault& f) {
  YAML::Node root = YAML::Load(spec.base_yaml);
  root["name"] = name;
  root["seed"] = seed;
  // Room after the longest outage for devices' retries and reconnects.
  const double drain = std::max({base.drain, spec.min_drain, spec.max_downtime + spec.min_drain});
  root["drain"] = std::to_string(std::llround(drain * 1000)) + "ms";
  YAML::Node faults(YAML::NodeType::Sequence);
  YAML::Node crash, start;
  crash["at"] = std::to_string(f.at_ms) + "ms";
  crash["crash"] = f.instance;
  start["at"] = std::to_string(f.until_ms) + "ms";
  start["start"] = f.instance;
  faults.push_back(crash);
  faults.push_back(start);
  root["faults"] = faults;
  if (root["topology"] && root["topology"]["diagram"] && !spec.base_path.empty()) {
    const fs::path diagram = root["topology"]["diagram"].as<std::string>();
    if (diagram.is_relative()) {
      root["topology"]["diagram"] = fs::absolute(fs::path(spec.base_path).parent_path() / diagram).string();
    }
  }
  YAML::Emitter out;
  out << root;
  return std::string("# msgbed campaign run: replay with `msgbed run` on this file\n") + out.c_str() + "\n";
}

// What broke in a run's summary, or "" if nothing did.
std::string Broken(const nlohmann::json& s) {
  std::string out;
  const auto& inv = s["invariants"];
  for (const auto& [key, value] : inv.items()) {
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

// Runs sc in a child process; its summary, or null if it did not finish.
nlohmann::json SimulateInChild(const Scenario& sc, const std::string& dir) {
  std::cout.flush();  // or the child would print the parent's buffered lines again
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      WriteSummary(sc, Simulate(sc).summary, dir);
      ::_exit(0);
    } catch (...) {
      ::_exit(3);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream in(fs::path(dir) / sc.name / "summary.json");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !in) return nullptr;
  return nlohmann::json::parse(in);
}

}  // namespace

std::vector<CampaignRun> RunCampaign(const CampaignSpec& spec,
                                     const std::function<void(const CampaignRun&)>& progress) {
  const Scenario base =
      ParseScenario(spec.base_yaml, spec.base_path.empty() ? "<embedded quickstart>" : spec.base_path);
  std::vector<std::string> kinds;
  for (const auto& kind : spec.kinds) {
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  if (kinds.empty()) {
    for (const auto& [role, hosts] : base.services) kinds.push_back(role);
  }
  for (const auto& kind : kinds) {
    if (!base.services.contains(kind)) throw ScenarioError("--kinds: the scenario has no '" + kind + "' instance");
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
      run.fault = f.instance + " down " + std::to_string(f.at_ms) + "ms.." + std::to_string(f.until_ms) + "ms";
      const std::string name = base.name + "-" + kind + "-" + std::to_string(seed);
      const std::string yaml = ReplayYaml(spec, base, name, seed, f);
      run.scenario_path = (dir / (name + ".yaml")).string();
      std::ofstream(run.scenario_path) << yaml;
      const nlohmann::json summary = SimulateInChild(ParseScenario(yaml, run.scenario_path), dir.string());
      run.ran = !summary.is_null();
      run.broken = run.ran ? Broken(summary) : "the run did not finish";
      run.ok = run.ran && run.broken.empty();
      report.push_back({{"kind", kind},
                        {"seed", seed},
                        {"fault", run.fault},
                        {"scenario", run.scenario_path},
                        {"ok", run.ok},
                        {"broken", run.broken}});
      progress(run);
      runs.push_back(run);
    }
  }
  std::ofstream(dir / "campaign.json") << report.dump(2) << "\n";
  return runs;
}

}  // namespace msgbed::sim
