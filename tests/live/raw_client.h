// RawClient: a blocking TCP client for tests that must speak to a server
// byte by byte (bad frames, slow reads, forged service messages). Every
// read is bounded, so a server that never answers fails the test instead
// of hanging it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/frame_codec.h"

namespace msgbed::testing {

class RawClient {
 private:
  RawClient() = default;

 public:
 public:
  // Connects to 127.0.0.1:port; rcvbuf > 0 shrinks the receive buffer first.
  explicit RawClient(uint16_t port, int rcvbuf = 0);
  // Takes over a connected socket.
  static std::unique_ptr<RawClient> Adopt(int fd);
  ~RawClient() { Close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void SendBytes(const std::string& bytes);
  void SendFrame(const std::string& body);
  template <typename Proto>
  void Send(const Proto& m) {
    SendFrame(m.SerializeAsString());
  }

  // The next frame, or nullopt at end of stream or after `bound`.
  std::optional<std::string> NextFrame(std::chrono::milliseconds bound = std::chrono::seconds(10));
  // Reads (and keeps the frames) until the server closes; false after `bound`.
  bool ReadUntilClosed(std::chrono::milliseconds bound = std::chrono::seconds(10));
  const std::vector<std::string>& frames() const { return frames_; }
  // True once the server closed the stream.
  bool closed() const { return closed_; }
  void Close();
  // Ends the stream both ways; a read blocked in another thread returns.
  void Shutdown() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  // Reads once into the decoder; false at end of stream, error or timeout.
  bool ReadSome(std::chrono::milliseconds bound);

  int fd_ = -1;
  bool closed_ = false;
  FrameDecoder decoder_{64 << 20};
  std::vector<std::string> frames_;
};

// A listening socket on 127.0.0.1:port, for a test that plays a server.
class RawListener {
 public:
  explicit RawListener(uint16_t port);
  ~RawListener();
  bool listening() const { return fd_ >= 0; }
  // The next connection, or nullptr after `bound`.
  std::unique_ptr<RawClient> Accept(std::chrono::milliseconds bound = std::chrono::seconds(10));

 private:
  int fd_ = -1;
};

}  // namespace msgbed::testing
