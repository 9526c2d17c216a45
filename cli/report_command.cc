#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"

extern char** environ;

namespace msgbed::cli {

int Report(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(dir) / "summary.json") && !fs::exists(fs::path(dir) / "sweep.csv")) {
    std::cerr << "msgbed report: " << dir
              << ": no summary.json or sweep.csv here; pass a run's result directory (results/<name>) or a "
                 "sweep's (results/<name>-sweep)\n";
    return 2;
  }
  const fs::path script = fs::temp_directory_path() / ("msgbed-report-" + std::to_string(::getpid()) + ".py");
  std::ofstream(script) << ReportScript();
  // Debian's interpreter, which python3-matplotlib serves, before any other
  // python3 on the PATH (a virtualenv's may lack matplotlib).
  std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::string path = script.string(), target = dir;
  char* argv[] = {python.data(), path.data(), target.data(), nullptr};
  pid_t pid = 0;
  int status = 0;
  const int spawned = ::posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv, environ);
  if (spawned == 0) ::waitpid(pid, &status, 0);
  fs::remove(script);
  if (spawned != 0) {
    std::cerr << "msgbed report: cannot run python3 (install python3 and python3-matplotlib)\n";
    return 1;
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2)) return WEXITSTATUS(status);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 3) std::cerr << "msgbed report: the report script failed\n";
  return 1;
}

}  // namespace msgbed::cli
