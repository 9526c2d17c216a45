// Campaign: seeded fault campaigns. For every seed and every fault kind, a
// run of the base scenario with that seed and one fault drawn from the
// campaign's own random stream ("campaign/<kind>" of the seed): what
// exactly, when (between the end of the connect ramp and 80 % of the
// duration) and for how long (0.1 s to max_downtime). Kinds (AllKinds):
// a role's name or `broker` (an instance crashes and restarts), `link` (the
// links between one host and all others drop, duplicate and reorder),
// `partition` (a host is cut off from all others), `disk-full`, `disk-slow` (an
// instance's storage writes fail, or take 10-1000x as long). Each run is
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
  std::vector<std::string> kinds;  // fault kinds; empty: AllKinds
  double max_downtime = 2;         // seconds
  // Seconds after the longest outage: room for retries, reconnects and the
  // devices' quiet-period resync (twice 30 s at most) to find a lost push.
  double min_drain = 90;
  std::string out_dir = "results";
};

struct CampaignRun {
  std::string kind;
  uint64_t seed = 0;
  std::string fault;             // "messages/1 down 3200ms..4700ms"
  std::string scenario_path;     // the replay file
  bool ran = false;              // the simulation finished and wrote its summary
  bool ok = false;               // and every invariant held, nothing missing
  bool touched_nothing = false;  // a link, partition or disk fault that no envelope, hop or write met
  std::string broken;            // what broke, if anything
};

struct Scenario;
// Every fault kind sc can have, in the order campaigns run them.
std::vector<std::string> AllKinds(const Scenario& sc);

// Runs the campaign, each run in a child process (SimGrid allows one engine
// per process), reporting each as it ends. Writes <out>/<name>-campaign/
// campaign.json. Throws ScenarioError for a bad base scenario or kind.
std::vector<CampaignRun> RunCampaign(const CampaignSpec& spec, const std::function<void(const CampaignRun&)>& progress);

}  // namespace msgbed::sim
