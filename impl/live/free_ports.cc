#include "live/free_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <random>
#include <stdexcept>

namespace msgbed::live {

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

}  // namespace msgbed::live
