// Simulation: builds a scenario's platform and deployment in SimGrid, hosts
// the real service cores there, runs it, and reports.
//
// REQUIRES: one Simulate() per process (SimGrid cannot reset its clock).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "memory_estimate.h"
#include "scenario.h"
#include "world.h"

namespace msgbed::sim {

struct SimulationResult {
  nlohmann::ordered_json summary;  // summary.json: deterministic for a scenario and seed
  std::string trace;               // PlantUML sequence diagram of the traced message, if any
  uint64_t traced = 0;             // which message was traced (n-th sent), 0: none
  std::string timeseries;          // timeseries.csv: one row per simulated second
};

// Runs the scenario, tracing the message `trace` picks (world.h).
// Throws ScenarioError for what only shows when the deployment is built (a
// handled request with no cost).
// progress, if set, is called now and then with the simulated time.
SimulationResult Simulate(const Scenario& scenario, const TraceChoice& trace = {},
                          const RoleRegistry& roles = RoleRegistry::Global(),
                          const std::function<void(double)>& progress = nullptr);

// Makes <out_dir>/<name>/ this scenario file's result directory, marked
// with the file's path (.source). Throws ScenarioError if it holds another
// file's results (a copied scenario that kept its name must not silently
// overwrite them); the claim of a file that no longer exists lapses. A
// scenario not from a file (the embedded quickstart)
// claims nothing.
void ClaimResultDir(const Scenario& scenario, const std::string& out_dir);

// Writes <out_dir>/<scenario.name>/<file>, replacing it atomically; returns its path.
std::string WriteResultFile(const Scenario& scenario, const std::string& out_dir, const std::string& file,
                            const std::string& content);
// summary.json, pretty-printed.
std::string WriteSummary(const Scenario& scenario, const nlohmann::ordered_json& summary, const std::string& out_dir);

// A short human-readable table of the summary.
void PrintSummary(const nlohmann::ordered_json& summary, std::ostream& out);

}  // namespace msgbed::sim
