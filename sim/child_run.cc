#include "child_run.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "simulation.h"

namespace msgbed::sim {

namespace fs = std::filesystem;

pid_t StartInChild(const Scenario& sc, const std::string& dir) {
  std::cout.flush();  // or the child would print the parent's buffered lines again
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  try {
    const SimulationResult r = Simulate(sc);
    WriteResultFile(sc, dir, "timeseries.csv", r.timeseries);
    WriteSummary(sc, r.summary, dir);
    ::_exit(0);
  } catch (...) {
    ::_exit(3);
  }
}

nlohmann::json AwaitChild(pid_t pid, const Scenario& sc, const std::string& dir) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream in(fs::path(dir) / sc.name / "summary.json");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !in) return nullptr;
  return nlohmann::json::parse(in);
}

void ResolveDiagramPath(YAML::Node& root, const std::string& scenario_path) {
  if (scenario_path.empty() || !root["topology"] || !root["topology"]["diagram"]) return;
  const fs::path diagram = root["topology"]["diagram"].as<std::string>();
  if (diagram.is_relative()) {
    root["topology"]["diagram"] = fs::absolute(fs::path(scenario_path).parent_path() / diagram).string();
  }
}

}  // namespace msgbed::sim
