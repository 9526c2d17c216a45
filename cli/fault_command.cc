#include <iostream>

#include "commands.h"
#include "live/config.h"
#include "live/fault_board.h"

namespace msgbed::cli {

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
  if (opts.fault.empty()) {
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
  std::cout << "fault " << id << " posted; the deployment's processes apply it within a second\n";
  return 0;
}

}  // namespace msgbed::cli
