#include <spdlog/spdlog.h>

#include <iostream>

#include "commands.h"
#include "live/config.h"
#include "live/process.h"

namespace msgbed::cli {

int Serve(const ServeOptions& opts) {
  live::LiveConfig config;
  try {
    config = live::LoadConfig(opts.config);
  } catch (const live::ConfigError& e) {
    std::cerr << "msgbed serve: " << e.what() << "\n";
    return 2;
  }
  if (!opts.role.empty() && opts.role != "bus" && config.Select(opts.role).empty()) {
    std::cerr << "msgbed serve: --role " << opts.role << ": no such role or instance in " << opts.config << " (has:";
    for (const auto& i : config.instances) std::cerr << " " << i.Name();
    std::cerr << ", bus)\n";
    return 2;
  }
  std::unique_ptr<live::Process> process;
  if (Status s = live::Process::Start(config, opts.role, &process); !s.ok()) {
    std::cerr << "msgbed serve: " << s.message() << "\n";
    return 1;
  }
  if (process->bus_bootstrap().empty()) {
    spdlog::info("no bus needed here; Ctrl-C stops");
  } else {
    spdlog::info("bus at {}; Ctrl-C stops", process->bus_bootstrap());
  }
  process->Run(/*stop_on_signals=*/true);
  return 0;
}

}  // namespace msgbed::cli
