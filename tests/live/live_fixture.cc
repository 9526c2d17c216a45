#include "live/live_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <random>
#include <stdexcept>

namespace msgbed::testing {

namespace {

// The kernel's range for ports it picks itself (outgoing connections, port 0).
std::pair<uint32_t, uint32_t> EphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint32_t low = 32768, high = 60999;
  in >> low >> high;
  return {low, high};
}

// Binds a loopback socket to port (0: the kernel picks); -1 if it is taken.
int BindLoopback(uint16_t port, uint16_t* bound) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

// Below the ephemeral range where there is room: a port the kernel picks
// itself (for the outgoing connections a deployment makes while it starts:
// to the bus, between instances) is never one of these, so only another
// explicit bind can take one before the test's process listens on it.
std::vector<uint16_t> FreePorts(size_t n) {
  const auto [low, high] = EphemeralRange();
  const uint32_t first = low > 12000 ? low - 10000 : 0;
  std::mt19937 pick(static_cast<uint32_t>(::getpid()) ^ static_cast<uint32_t>(::time(nullptr)));
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (int tries = 0; ports.size() < n && tries < 1000; ++tries) {
    const auto port = static_cast<uint16_t>(first == 0 ? 0 : first + pick() % (low - first));
    uint16_t bound = 0;
    const int fd = BindLoopback(port, &bound);
    if (fd < 0) continue;
    fds.push_back(fd);
    ports.push_back(bound);
  }
  for (int fd : fds) ::close(fd);
  if (ports.size() < n) throw std::runtime_error("no free loopback ports");
  return ports;
}

TempDir::TempDir(const std::string& tag) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  path_ = std::filesystem::temp_directory_path() /
          ("msgbed-" + tag + "-" + std::to_string(::getpid()) + "-" + (test ? test->name() : "none"));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

SplitDeployment::SplitDeployment(const std::string& extra) : dir_("split") {
  const auto p = FreePorts(5);
  const auto at = [](uint16_t port) { return "127.0.0.1:" + std::to_string(port); };
  yaml_ = "partitions: 4\nbus: {mode: mock, mock_brokers: 1, session_timeout: 3s}\nstorage: {data_dir: " +
          dir_.path().string() + ", sync: false}\n" + extra +
          "\ninstances:\n"
          "  gateway/0: {client: " +
          at(p[0]) + ", rpc: " + at(p[1]) + "}\n" + "  messages/0: {rpc: " + at(p[2]) + "}\n" +
          "  sync/0: {rpc: " + at(p[3]) + "}\n" + "  auth/0: {rpc: " + at(p[4]) + "}\n";
  config_ = live::ParseConfig(yaml_, "split.yaml");
  std::vector<live::SessionKey> wanted;
  for (uint64_t user = 1; user <= 40; ++user) {
    for (uint64_t device = 1; device <= 3; ++device) wanted.emplace_back(user, device);
  }
  const Status s = live::ProvisionSessions(config_, wanted, &sessions_);
  if (!s.ok()) throw std::runtime_error("cannot provision: " + s.message());
}

SplitDeployment::~SplitDeployment() {
  // Services first, the bus last, as in production.
  std::vector<std::string> services;
  for (const auto& [selector, running] : procs_) {
    if (selector != "bus") services.push_back(selector);
  }
  for (const std::string& s : services) Stop(s);
  Stop("bus");
}

void SplitDeployment::Start(const std::string& selector, const live::LiveConfig* with) {
  Running& r = procs_[selector];
  ASSERT_FALSE(r.process) << selector << " is already running";
  const Status s = live::Process::Start(with ? *with : config_, selector, &r.process);
  ASSERT_TRUE(s.ok()) << selector << ": " << s.message();
  r.thread = std::thread([p = r.process.get()] { p->Run(); });
}

void SplitDeployment::Stop(const std::string& selector) {
  auto it = procs_.find(selector);
  if (it == procs_.end() || !it->second.process) return;
  it->second.process->Stop();
  it->second.thread.join();
  it->second.process.reset();
}

void SplitDeployment::StartAll() {
  for (const char* s : {"bus", "messages", "sync", "auth", "gateway"}) Start(s);
}

uint16_t SplitDeployment::rpc_port(const std::string& role) const {
  for (const auto& i : config_.instances) {
    if (i.role == role) return i.rpc.port;
  }
  return 0;
}

}  // namespace msgbed::testing
