#include "role_processes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

namespace msgbed::live {

// All at once, the bus last: the others' stops are quick while it is up.
RoleProcesses::~RoleProcesses() {
  for (const auto& [selector, pid] : pids_) {
    if (selector != "bus") ::kill(pid, SIGTERM);
  }
  for (const auto& [selector, pid] : pids_) {
    if (selector != "bus") ::waitpid(pid, nullptr, 0);
  }
  Stop("bus", SIGTERM);
}

void RoleProcesses::Start(const std::string& selector) {
  std::string name = selector;
  for (char& c : name) c = c == '/' ? '-' : c;
  const std::string log = (log_dir_ / (name + ".log")).string();
  const std::string config = config_.string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the bench killed: its deployment stops too
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(msgbed_.c_str(), "msgbed", "serve", config.c_str(), "--role", selector.c_str(), nullptr);
    ::_exit(127);
  }
  pids_[selector] = pid;
}

bool RoleProcesses::StartBus(const std::filesystem::path& bootstrap_file) {
  Start("bus");
  for (int i = 0; i < 200 && !std::filesystem::exists(bootstrap_file); ++i) {
    ::usleep(50'000);  // the bus writes its address before the others may start
  }
  if (std::filesystem::exists(bootstrap_file)) return true;
  std::cerr << "the bus did not start (" << msgbed_ << " serve --role bus; see " << (log_dir_ / "bus.log") << ")\n";
  return false;
}

void RoleProcesses::Stop(const std::string& selector, int sig) {
  auto it = pids_.find(selector);
  if (it == pids_.end()) return;
  ::kill(it->second, sig);
  ::waitpid(it->second, nullptr, 0);
  pids_.erase(it);
}

uint64_t RoleProcesses::RssKib(const std::string& selector) const {
  auto it = pids_.find(selector);
  return it == pids_.end() ? 0 : RssKibOf(it->second);
}

uint64_t RoleProcesses::TotalRssKib() const {
  uint64_t kib = 0;
  for (const auto& [selector, pid] : pids_) kib += RssKibOf(pid);
  return kib;
}

uint64_t RssKibOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string key; status >> key;) {
    uint64_t kib = 0;
    if (key == "VmRSS:" && status >> kib) return kib;
  }
  return 0;
}

}  // namespace msgbed::live
