#include "live/raw_client.h"

#include <arpa/inet.h>
#include <poll.h>

namespace msgbed::testing {

RawClient::RawClient(uint16_t port, int rcvbuf) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Close();
}

std::unique_ptr<RawClient> RawClient::Adopt(int fd) {
  std::unique_ptr<RawClient> c(new RawClient());
  c->fd_ = fd;
  return c;
}

RawListener::RawListener(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawListener::~RawListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<RawClient> RawListener::Accept(std::chrono::milliseconds bound) {
  pollfd p{fd_, POLLIN, 0};
  if (fd_ < 0 || ::poll(&p, 1, static_cast<int>(bound.count())) <= 0) return nullptr;
  const int fd = ::accept(fd_, nullptr, nullptr);
  return fd < 0 ? nullptr : RawClient::Adopt(fd);
}

void RawClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawClient::SendBytes(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

void RawClient::SendFrame(const std::string& body) {
  std::string bytes;
  AppendFrame(body, &bytes);
  SendBytes(bytes);
}

bool RawClient::ReadSome(std::chrono::milliseconds bound) {
  if (fd_ < 0 || closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(bound.count())) <= 0) return false;
  char buf[64 * 1024];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  decoder_.Feed(buf, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> RawClient::NextFrame(std::chrono::milliseconds bound) {
  const auto end = std::chrono::steady_clock::now() + bound;
  std::string body;
  while (decoder_.Next(&body) != FrameDecoder::Result::kFrame) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !ReadSome(left)) return std::nullopt;
  }
  frames_.push_back(body);
  return body;
}

bool RawClient::ReadUntilClosed(std::chrono::milliseconds bound) {
  const auto end = std::chrono::steady_clock::now() + bound;
  while (!closed_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!NextFrame(left) && !closed_) return false;
  }
  return true;
}

}  // namespace msgbed::testing
