// The scenario's `faults:` timeline: reading and validating it (every bad
// entry fails naming its file, line and key), and echoing it in results.
#pragma once

#include <nlohmann/json.hpp>

#include "scenario.h"

namespace msgbed::sim {

// Reads `list` into sc->faults, sorted by time (same time: file order).
// REQUIRES: sc's duration, drain, hosts, services, brokers and scale are read.
void ReadFaults(const YamlReader& r, const YAML::Node& list, Scenario* sc);

// One fault as summary.json shows it.
nlohmann::ordered_json FaultJson(const FaultSpec& f);

}  // namespace msgbed::sim
