// Sweep: one scenario, many points. A scenario's `sweep:` maps dotted keys
// of the scenario to lists or ranges of values:
//
//   sweep:
//     workload.messages_per_second: [1000, 2000, 4000]
//     topology.overrides.gw.count: {from: 2, to: 6, step: 2}
//
// and expands to one run per combination (the first key varies slowest).
// Each point is written out as a scenario file (<out>/<name>-sweep/
// <name>-<i>.yaml, replayable with `msgbed run`) and simulated in a process
// of its own, up to `jobs` at once. sweep.csv has a row per point: the
// values swept, then what the run measured.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "scenario.h"

namespace msgbed::sim {

struct SweepSpec {
  std::string base_yaml;  // the scenario's text, with its sweep: section
  std::string base_path;  // where it came from ("" for the embedded quickstart)
  int jobs = 1;           // runs at once
  std::string out_dir = "results";
};

struct SweepPoint {
  std::string name;                                      // <scenario name>-<index>
  std::vector<std::pair<std::string, std::string>> set;  // key -> value, in sweep order
  std::string yaml;                                      // the point as a scenario
  Scenario scenario;                                     // yaml, parsed
  std::string path;                                      // where the point's scenario was written
  nlohmann::json summary;                                // null until run, and if it did not finish
};

struct Sweep {
  std::string name;  // the scenario's; results go to <out>/<name>-sweep/
  std::vector<SweepPoint> points;
};

// The points of the sweep. Throws ScenarioError (file, line, key) for a bad
// sweep: section, or for a point that is not a valid scenario (naming the
// point's values).
Sweep ExpandSweep(const SweepSpec& spec);

// Runs every point, reporting each as it ends; writes sweep.csv and
// returns the points with their summaries. *dir gets the sweep's directory.
std::vector<SweepPoint> RunSweep(const SweepSpec& spec, const std::function<void(const SweepPoint&)>& progress,
                                 std::string* dir);

// sweep.csv's text.
std::string SweepCsv(const std::vector<SweepPoint>& points);

}  // namespace msgbed::sim
