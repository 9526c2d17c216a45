#include <filesystem>
#include <iomanip>
#include <iostream>
#include <thread>

#include "commands.h"
#include "input_guard.h"
#include "scenario.h"
#include "sweep.h"

namespace msgbed::cli {

namespace {

// One line per finished point: its values and headline figures.
void ReportPoint(const sim::SweepPoint& p) {
  std::cout << p.name << " ";
  for (const auto& [key, value] : p.set) std::cout << " " << key << "=" << value;
  const nlohmann::json& s = p.summary;
  if (s.is_null()) {
    std::cout << "  DID NOT FINISH  replay: msgbed run " << p.path << "\n";
    return;
  }
  const auto& p99 = s["latency_ms"]["send_to_delivered"]["p99"];
  std::cout << "  delivered p99 " << (p99.is_null() ? std::string(">run") : p99.dump() + " ms");
  if (!s["invariants"]["ok"].get<bool>()) std::cout << "  BROKEN";
  if (!s["at_end"]["settled"].get<bool>()) std::cout << "  unsettled";
  if (!s["slo"]["met"].get<bool>()) std::cout << "  SLO missed";
  std::cout << "\n";
}

}  // namespace

int Sweep(const SweepOptions& opts) {
  sim::SweepSpec spec;
  spec.base_path = opts.scenario;
  spec.jobs = opts.jobs > 0 ? opts.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  spec.out_dir = opts.out_dir;
  std::vector<sim::SweepPoint> points;
  std::string dir;
  const bool ran = GuardInput("sweep", opts.out_dir, [&] {
    spec.base_yaml = ReadTextFile(opts.scenario);
    points = sim::RunSweep(spec, ReportPoint, &dir);
  });
  if (!ran) return 2;
  size_t failed = 0;
  for (const auto& p : points) failed += p.summary.is_null() || !p.summary["invariants"]["ok"].get<bool>();
  std::cout << points.size() << " points, " << failed << " failed; wrote " << dir << "/sweep.csv\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace msgbed::cli
