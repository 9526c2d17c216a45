#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "input_guard.h"
#include "scenario_arg.h"
#include "simulation.h"

namespace msgbed::cli {

namespace {

// --trace: a positive number, cross-box or cross-dc.
std::optional<sim::TraceChoice> ParseTrace(const std::string& text) {
  sim::TraceChoice choice;
  if (text.empty()) return choice;
  if (text == "cross-box" || text == "cross-dc") {
    choice.where = text;
    return choice;
  }
  if (text.find_first_not_of("0123456789") != std::string::npos || text.size() > 18 || std::stoull(text) == 0) {
    return std::nullopt;
  }
  choice.nth = std::stoull(text);
  return choice;
}

}  // namespace

int Run(const RunOptions& opts) {
  const std::optional<sim::TraceChoice> trace = ParseTrace(opts.trace);
  if (!trace) {
    std::cerr << "msgbed run: --trace " << opts.trace << ": expected a message number (1, 2, ...), cross-box or "
              << "cross-dc\n";
    return 2;
  }
  const std::optional<sim::Scenario> loaded = LoadScenarioArg(opts.scenario, "run");
  if (!loaded) return 2;
  const sim::Scenario& sc = *loaded;
  const bool fits = GuardInput("run", opts.out_dir, [&] {
    sim::CheckMemory(sc, sim::UsableMemoryBytes());
    sim::ClaimResultDir(sc, opts.out_dir);
  });
  if (!fits) return 2;
  const auto start = std::chrono::steady_clock::now();
  // A progress line on stderr for runs longer than a few seconds of wall time.
  const double end = sc.duration + sc.drain;
  auto last = start;
  bool printed = false;
  auto progress = [&](double simulated) {
    const auto now = std::chrono::steady_clock::now();
    if (opts.quiet || now - last < std::chrono::seconds(2)) return;
    last = now;
    printed = true;
    const double wall = std::chrono::duration<double>(now - start).count();
    std::fprintf(stderr, "\r  simulated %.1f s of %.1f s, wall %.0f s, about %.0f s to go   ", simulated, end, wall,
                 simulated > 0 ? wall * (end - simulated) / simulated : 0.0);
  };
  const sim::SimulationResult result = sim::Simulate(sc, *trace, RoleRegistry::Global(), progress);
  if (printed) std::fprintf(stderr, "\n");
  const nlohmann::ordered_json& summary = result.summary;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string path, trace_path;
  const uint64_t sent = summary["messages"]["sent"].get<uint64_t>();
  const bool trace_missed = trace->any() && result.traced == 0;
  if (trace_missed && trace->nth > 0) {
    std::cerr << "msgbed run: --trace " << opts.trace << ": the run sent only " << sent
              << " messages; no trace written\n";
  } else if (trace_missed) {
    std::cerr << "msgbed run: --trace " << opts.trace << ": no message sent from the warm-up on was " << opts.trace
              << "; no trace written\n";
  }
  const bool written = GuardInput("run", opts.out_dir, [&] {
    path = sim::WriteSummary(sc, summary, opts.out_dir);
    sim::WriteResultFile(sc, opts.out_dir, "timeseries.csv", result.timeseries);
    if (result.traced > 0) {
      const std::string what = trace->where.empty() ? "message-" + opts.trace : trace->where;
      trace_path = sim::WriteResultFile(sc, opts.out_dir, "trace-" + what + ".puml", result.trace);
    }
  });
  if (!written) return 2;
  if (!opts.quiet) {
    sim::PrintSummary(summary, std::cout);
    // Wall-clock figures go to the terminal only: summary.json stays deterministic.
    const double delivered = summary["deliveries"]["delivered"].get<double>();
    std::cout << "  wall time  " << std::fixed << std::setprecision(2) << wall << " s ("
              << static_cast<uint64_t>(delivered / wall) << " simulated deliveries per wall second)\n";
    std::cout << "wrote " << path << "\n";
    if (!trace_path.empty()) std::cout << "wrote " << trace_path << "\n";
  }
  const auto& d = summary["deliveries"];
  const bool ok =
      summary["invariants"]["ok"].get<bool>() && d["missing"].get<uint64_t>() == 0 && d["extra"].get<uint64_t>() == 0;
  if (trace_missed) return 2;
  if (!ok) return 1;
  if (!summary["at_end"]["settled"].get<bool>()) {
    std::cerr << "msgbed run: the run stopped with work under way (summary.json at_end); nothing was found lost, "
                 "but what is still in flight was not checked: lengthen drain or lower the load\n";
    return 3;
  }
  if (!summary["slo"]["met"].get<bool>()) {
    std::cerr << "msgbed run: a latency objective was missed (summary.json slo)\n";
    return 4;
  }
  return 0;
}

}  // namespace msgbed::cli
