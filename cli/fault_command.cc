#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "live/config.h"
#include "live/fault_board.h"

namespace msgbed::cli {

// How long the command waits for a process to see a fault it posted
// (they poll every 200 ms).
constexpr std::chrono::seconds kWaitForProcesses{2};

int Fault(const FaultOptions& opts) {
  live::LiveConfig config;
  try {
    config = live::LoadConfig(opts.config);
  } catch (const live::ConfigError& e) {
    std::cerr << "msgbed fault: " << e.what() << "\n";
    return 2;
  }
  if (opts.clear) {
    size_t removed = 0;
    if (Status s = live::ClearFaults(config, &removed); !s.ok()) {
      std::cerr << "msgbed fault: " << s.message() << "\n";
      return 1;
    }
    std::cout << "cleared " << removed << " fault(s); the processes end them within a second\n";
    return 0;
  }
  if (!opts.fault_given) {
    const auto active = live::ListFaults(config);
    if (active.empty()) std::cout << "no faults in effect\n";
    for (const auto& line : active) std::cout << line << "\n";
    return 0;
  }
  std::string id;
  if (Status s = live::PostFault(config, opts.fault, &id); !s.ok()) {
    std::cerr << "msgbed fault: " << s.message() << "\n";
    return s.IsInvalid() ? 2 : 1;
  }
  // Each process that sees it says so; wait a little for the first.
  const auto deadline = std::chrono::steady_clock::now() + kWaitForProcesses;
  size_t saw = 0;
  while ((saw = live::ProcessesThatSaw(config, id)) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (saw == 0) {
    std::cerr << "msgbed fault: posted " << id << ", but no running process picked it up within "
              << kWaitForProcesses.count() << " s: is `msgbed serve` running with data_dir "
              << std::filesystem::absolute(config.data_dir).string()
              << "? (a process started later applies it while it lasts)\n";
    return 0;
  }
  std::cout << "fault " << id << " posted; " << saw << " process(es) of the deployment have seen it\n";
  return 0;
}

}  // namespace msgbed::cli
