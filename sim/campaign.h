// Campaign: seeded fault campaigns. For every seed and every fault kind (a
// role whose instance crashes), a run of the base scenario with that seed
// and one crash-and-restart drawn from the campaign's own random stream
// ("campaign/<kind>/<seed>"): which instance, when (between the end of the
// connect ramp and 80 % of the duration), for how long. Each run is
// written out as a scenario file first and run from that file, so a
// failing seed replays exactly with `msgbed run <that file>`. The campaign's
// timeline replaces any `faults:` of the base scenario.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace msgbed::sim {

struct CampaignSpec {
  std::string base_yaml;           // the base scenario's text
  std::string base_path;           // where it came from (relative paths in it resolve there)
  uint64_t seeds = 10;             // seeds 1..seeds
  std::vector<std::string> kinds;  // roles to crash; empty: every role of the scenario
  double max_downtime = 2;         // seconds
  double min_drain = 60;           // seconds after the longest outage: room for retries and reconnects
  std::string out_dir = "results";
};

struct CampaignRun {
  std::string kind;
  uint64_t seed = 0;
  std::string fault;          // "messages/1 down 3.2s..4.7s"
  std::string scenario_path;  // the replay file
  bool ran = false;           // the simulation finished and wrote its summary
  bool ok = false;            // and every invariant held, nothing missing
  std::string broken;         // what broke, if anything
};

// Runs the campaign, each run in a child process (SimGrid allows one engine
// per process), reporting each as it ends. Writes <out>/<name>-campaign/
// campaign.json. Throws ScenarioError for a bad base scenario or kind.
std::vector<CampaignRun> RunCampaign(const CampaignSpec& spec, const std::function<void(const CampaignRun&)>& progress);

}  // namespace msgbed::sim
