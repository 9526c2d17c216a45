// bot_api_bench's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace msgbed::live {

struct Options {
  std::string msgbed;  // default: next to this program's directory
  std::vector<uint32_t> connections{1, 8};
  uint64_t requests = 100000;  // per measurement, at most
  double duration_s = 5;       // per measurement, at most
  uint64_t users = 1000;
  uint64_t wakeups = 500;
  uint64_t think_ms = 20;  // a pause of up to this between wake-up samples
  uint64_t queue = 10000;
  bool sync = false;
  std::vector<std::string> phases{"getme", "send", "wakeup", "drain"};
  std::string wrap;  // a command the server runs under (valgrind ..., perf record ...)
  bool keep = false;
};

// Reads the command line into *o; -1 to go on, else the exit status (help
// shown, or a bad option or a missing msgbed program reported).
int ParseOptions(int argc, char** argv, Options* o);

}  // namespace msgbed::live
