#include "bot_bench_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include "bot_bench_error.h"

namespace msgbed::live {

Server::Server(const std::string& msgbed, const std::string& wrap, const std::filesystem::path& config,
               const std::filesystem::path& log)
    : log_path_(log) {
  std::vector<std::string> args;
  std::istringstream words(wrap);
  for (std::string word; words >> word;) args.push_back(word);
  for (const std::string& a : {msgbed, std::string("serve"), config.string()}) args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw BenchError("cannot make a pipe");
  pid_ = ::fork();
  if (pid_ < 0) throw BenchError("cannot fork");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the bench killed: its server stops too
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  reader_ = std::thread([this, fd = out[0]] { Read(fd); });
  std::unique_lock lock(mu_);
  // A wrapped server (valgrind) starts far slower.
  const auto limit = wrap.empty() ? std::chrono::seconds(60) : std::chrono::seconds(600);
  if (!changed_.wait_for(lock, limit, [this] { return serving_ || ended_; }) || !serving_ || port_ == 0 ||
      gateway_port_ == 0) {
    lock.unlock();
    Stop();  // no thread left running, no child left behind
    throw BenchError("the server did not start (" + msgbed + " serve " + config.string() + "; its output is in " +
                     log_path_.string() + ")");
  }
}

Server::~Server() { Stop(); }

void Server::Stop() {
  ::kill(pid_, SIGTERM);
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  pollfd p{fd, POLLIN, 0};
  if (fd < 0 || ::poll(&p, 1, 60'000) != 1) ::kill(pid_, SIGKILL);
  if (fd >= 0) ::close(fd);
  ::waitpid(pid_, nullptr, 0);
  reader_.join();
}

// The child's output, line by line, to the log; notes when botapi/0 and
// gateway/0 listen (their ports) and when every instance is up.
void Server::Read(int fd) {
  std::ofstream log(log_path_);
  std::string line;
  char chunk[4096];
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    log.write(chunk, n);
    log.flush();
    for (ssize_t i = 0; i < n; ++i) {
      if (chunk[i] != '\n') {
        line += chunk[i];
        continue;
      }
      Note(line);
      line.clear();
    }
  }
  ::close(fd);
  std::lock_guard lock(mu_);
  ended_ = true;
  changed_.notify_all();
}

void Server::Note(const std::string& line) {
  static const std::string kBotApi = "serving botapi/0 (HTTP on 127.0.0.1:";
  static const std::string kGateway = "serving gateway/0 (devices on 127.0.0.1:";
  std::lock_guard lock(mu_);
  if (const size_t at = line.find(kBotApi); at != std::string::npos) {
    port_ = static_cast<uint16_t>(std::stoul(line.substr(at + kBotApi.size())));
  }
  if (const size_t at = line.find(kGateway); at != std::string::npos) {
    gateway_port_ = static_cast<uint16_t>(std::stoul(line.substr(at + kGateway.size())));
  }
  if (line.find("Ctrl-C stops") != std::string::npos) serving_ = true;  // after every instance started
  changed_.notify_all();
}

}  // namespace msgbed::live
