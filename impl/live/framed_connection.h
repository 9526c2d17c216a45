// FramedConnection: one TCP stream carrying length-prefixed frames
// (core/frame_codec.h), used for device connections, service-to-service
// links and the terminal client alike.
//
// Contract: callbacks run on the socket's io_context thread. on_frame gets
// each frame's body in order. on_close runs exactly once, posted (never from
// inside Close()), with the reason: peer closed, I/O error, an oversized
// frame, or the reason given to Close(). Writes after close are dropped.
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/frame_codec.h"

namespace msgbed::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class FramedConnection : public std::enable_shared_from_this<FramedConnection> {
 public:
  using FrameHandler = std::function<void(std::string_view body)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  FramedConnection(tcp::socket socket, size_t max_frame_bytes = kDefaultMaxFrameBytes);

  void Start(FrameHandler on_frame, CloseHandler on_close);
  // Queues one frame; writes go out in call order.
  void Write(std::string_view body);
  // Closes now; queued writes are dropped.
  void Close(const std::string& reason);
  bool open() const { return open_; }
  std::string peer() const { return peer_; }

 private:
  void Read();
  void OnRead(size_t n);
  void WriteMore();

  tcp::socket socket_;
  FrameDecoder decoder_;
  std::array<char, 64 * 1024> read_buf_;
  std::string pending_;    // framed bytes not yet handed to the socket
  std::string in_flight_;  // bytes of the write in progress
  bool writing_ = false;
  bool open_ = true;
  std::string peer_;
  FrameHandler on_frame_;
  CloseHandler on_close_;
};

}  // namespace msgbed::live
