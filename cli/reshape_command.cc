#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "live/config.h"
#include "live/reshape_board.h"

namespace msgbed::cli {

// How long the command waits for the processes to answer (they poll every 200 ms).
constexpr std::chrono::seconds kWaitForProcesses{3};

int Reshape(const std::string& config_path) {
  live::LiveConfig next;
  try {
    next = live::LoadConfig(config_path);
  } catch (const live::ConfigError& e) {
    std::cerr << "msgbed reshape: " << e.what() << "\n";
    return 2;
  }
  const std::string dir = std::filesystem::absolute(next.data_dir).string();
  if (std::error_code ec; !std::filesystem::is_directory(next.data_dir, ec)) {
    std::cerr << "msgbed reshape: no deployment keeps its data in " << dir
              << " (storage.data_dir): nothing to reshape; start it with `msgbed serve " << config_path << "`\n";
    return 1;
  }
  if (Status s = live::PostReshape(next); !s.ok()) {
    std::cerr << "msgbed reshape: " << s.message() << "\n";
    return 1;
  }
  std::this_thread::sleep_for(kWaitForProcesses);  // a poll period of every process, with room
  const auto acks = live::ReshapeAcks(next);
  if (acks.empty()) {
    std::cerr << "msgbed reshape: posted, but no running process answered within " << kWaitForProcesses.count()
              << " s: is `msgbed serve` running with data_dir " << dir
              << "? (a process started later must be given this config: it refuses another instance list)\n";
    return 1;
  }
  bool refused = false;
  for (const std::string& line : acks) {
    std::cout << line;
    refused |= line.find(": applied") == std::string::npos;
  }
  if (refused) return 1;
  // An instance nobody runs would hold the boxes it now owns for good.
  const auto unserved = live::UnservedInstances(next, acks);
  for (const std::string& name : unserved) {
    std::cerr << "msgbed reshape: " << name << " is run by no process that answered: its users wait until it is; "
              << "start it (`msgbed serve " << config_path << " --role " << name << "`)\n";
  }
  return unserved.empty() ? 0 : 1;
}

}  // namespace msgbed::cli
