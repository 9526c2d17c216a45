#include <filesystem>
#include <iostream>

#include "campaign.h"
#include "commands.h"
#include "input_guard.h"
#include "scenario.h"

namespace msgbed::cli {

int Campaign(const CampaignOptions& opts) {
  sim::CampaignSpec spec;
  spec.seeds = opts.seeds;
  spec.kinds = opts.kinds;
  spec.max_downtime = opts.max_downtime_s;
  spec.out_dir = opts.out_dir;
  std::vector<sim::CampaignRun> runs;
  const bool ran = GuardInput("campaign", opts.out_dir, [&] {
    spec.base_yaml = opts.scenario.empty() ? sim::QuickstartYaml() : ReadTextFile(opts.scenario);
    spec.base_path = opts.scenario;
    runs = sim::RunCampaign(spec, [](const sim::CampaignRun& r) {
      std::cout << (r.ok ? "ok      " : "BROKEN  ") << r.kind << " seed " << r.seed << ": " << r.fault
                << (r.touched_nothing ? " (touched nothing: the run tested nothing)" : "")
                << (r.ok ? "" : "\n        " + r.broken + "\n        replay: msgbed run " + r.scenario_path) << "\n";
    });
  });
  if (!ran) return 2;
  size_t broken = 0, idle = 0;
  for (const auto& r : runs) {
    broken += r.ok ? 0 : 1;
    idle += r.touched_nothing ? 1 : 0;
  }
  std::cout << runs.size() << " runs, " << broken << " broken";
  if (idle > 0) std::cout << ", " << idle << " touched nothing";
  std::cout << "\n";
  return broken == 0 ? 0 : 1;
}

}  // namespace msgbed::cli
