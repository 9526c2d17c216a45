// RoleProcesses: a live deployment for the benches, one OS process per
// selector (`msgbed serve CONFIG --role <selector>`), each logging to
// <dir>/<selector>.log. Separate processes have separate open-file limits
// and fail apart, as on real machines.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace msgbed::live {

class RoleProcesses {
 public:
  // config: the deployment's file (mock bus: its data_dir gets bus.bootstrap).
  RoleProcesses(std::string msgbed, std::filesystem::path config, std::filesystem::path log_dir)
      : msgbed_(std::move(msgbed)), config_(std::move(config)), log_dir_(std::move(log_dir)) {}
  // Stops every process still running (SIGTERM, then waits), the bus last.
  ~RoleProcesses();

  void Start(const std::string& selector);
  // Starts `--role bus` and waits (up to 10 s) until it has written
  // bootstrap_file; false, with the reason on stderr, if it did not.
  bool StartBus(const std::filesystem::path& bootstrap_file);
  void Stop(const std::string& selector, int sig);
  // The resident memory of a running one, in KiB (0 if unknown).
  uint64_t RssKib(const std::string& selector) const;
  // All of them together.
  uint64_t TotalRssKib() const;

 private:
  const std::string msgbed_;
  const std::filesystem::path config_, log_dir_;
  std::map<std::string, pid_t> pids_;
};

// A running process's resident memory in KiB (0 if unknown).
uint64_t RssKibOf(pid_t pid);

}  // namespace msgbed::live
