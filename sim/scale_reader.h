// The scenario's `scale:` timeline: instances that join or leave a role
// while the run goes on (docs/scenarios.md, "Adding instances"). Every bad
// entry fails naming its file, line and key.
#pragma once

#include <nlohmann/json.hpp>

#include "roles/registry.h"
#include "scenario.h"

namespace msgbed::sim {

// Reads `list` into sc->scale, sorted by time (same time: file order), and
// appends each joining instance's host to sc->services.
// REQUIRES: sc's duration, drain, hosts and services are read.
void ReadScale(const YamlReader& r, const YAML::Node& list, const RoleRegistry& roles, Scenario* sc);

// A crash, start or disk fault of an instance before it joined, or at the
// very time it joins, is refused.
// REQUIRES: sc's faults and scale are read.
void CheckFaultsAfterJoins(const YamlReader& r, const YAML::Node& faults, const Scenario& sc);

// One step as summary.json shows it.
nlohmann::ordered_json ScaleJson(const ScaleStep& s);

}  // namespace msgbed::sim
