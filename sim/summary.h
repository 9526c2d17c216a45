// Summary: the result file of a simulated run (results/<name>/summary.json).
// Everything in it is a function of the scenario and its seed: no wall-clock
// figures, maps in a fixed key order, numbers rounded to the microsecond.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "node.h"
#include "scenario.h"
#include "world.h"

namespace msgbed::sim {

// `nodes` are the nodes whose CPU counts towards their host's utilisation;
// `end` is the simulated time the run stopped.
nlohmann::ordered_json BuildSummary(const Scenario& sc, const World& w, const std::vector<const Node*>& nodes,
                                    double end);

// Latency samples (seconds) as the summary gives them: count, unfinished,
// and p50/p90/p99/max in milliseconds (null where among the unfinished).
nlohmann::ordered_json PercentilesJson(const std::vector<double>& seconds, uint64_t unfinished);

// The scenario as the run understood it (defaults filled in).
nlohmann::ordered_json EchoScenario(const Scenario& sc);

}  // namespace msgbed::sim
