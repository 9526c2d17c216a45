// Server: bot_api_bench's deployment, `[wrap] msgbed serve CONFIG` as a
// child process, so that the server's CPU is its own (`perf record -p
// <pid>` sees only it). The child gets SIGTERM if the bench dies.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace msgbed::live {

class Server {
 public:
  // Starts `[wrap] msgbed serve config` (wrap's words split at spaces) and
  // reads its output until every instance serves: up to 60 s, 600 s when
  // wrapped. Throws BenchError if it does not serve by then, or ends
  // first. Its output goes on to `log`.
  Server(const std::string& msgbed, const std::string& wrap, const std::filesystem::path& config,
         const std::filesystem::path& log);

  // SIGTERM, then SIGKILL if it has not ended within 60 s.
  ~Server();

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }  // the Bot API's
  uint16_t gateway_port() const { return gateway_port_; }

 private:
  // Ends the child (SIGTERM, SIGKILL after 60 s) and the reader.
  void Stop();
  void Read(int fd);
  void Note(const std::string& line);

  const std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool serving_ = false, ended_ = false;
  uint16_t port_ = 0, gateway_port_ = 0;
};

}  // namespace msgbed::live
