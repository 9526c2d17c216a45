// Simulation: builds a scenario's platform and deployment in SimGrid, hosts
// the real service cores there, runs it, and reports.
//
// REQUIRES: one Simulate() per process (SimGrid cannot reset its clock).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "scenario.h"

namespace msgbed::sim {

// Runs the scenario. Returns summary.json's content: deterministic for a
// given scenario and seed (no wall-clock figures in it).
nlohmann::ordered_json Simulate(const Scenario& scenario);

// Writes <out_dir>/<scenario.name>/summary.json; returns its path.
std::string WriteSummary(const Scenario& scenario, const nlohmann::ordered_json& summary, const std::string& out_dir);

// A short human-readable table of the summary.
void PrintSummary(const nlohmann::ordered_json& summary, std::ostream& out);

}  // namespace msgbed::sim
