// Simulations in child processes: SimGrid allows one engine per process,
// so campaigns and sweeps run each scenario in a fork of their own. The
// child writes <dir>/<name>/summary.json and timeseries.csv.
#pragma once

#include <sys/types.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>

#include "scenario.h"

namespace msgbed::sim {

// Starts sc in a child process; returns its pid.
pid_t StartInChild(const Scenario& sc, const std::string& dir);
// Waits for the child; its summary, or null if it did not finish.
nlohmann::json AwaitChild(pid_t pid, const Scenario& sc, const std::string& dir);

// A scenario's YAML rewritten to live elsewhere: a relative
// topology.diagram becomes absolute, resolved against scenario_path.
void ResolveDiagramPath(YAML::Node& root, const std::string& scenario_path);

}  // namespace msgbed::sim
