// FramedConnection: one TCP stream, plain or TLS (live/tls.h), carrying
// length-prefixed frames (core/frame_codec.h), used for device
// connections, service-to-service links and the terminal client alike.
//
// Contract: callbacks run on the socket's io_context thread. on_frame gets
// each frame's body in order. on_close runs exactly once, posted (never from
// inside Close()), with the reason: peer closed, I/O error, an oversized
// frame, a slow consumer, or the reason given to Close(). Writes after
// close are dropped.
//
// Bounds: a frame longer than max_frame_bytes closes the connection; so does
// a Write that would leave more than max_pending_bytes unsent (a peer that
// does not read cannot make the process hold its output without limit).
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame_codec.h"
#include "live/tls.h"

namespace msgbed::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct FrameLimits {
  size_t max_frame_bytes = kDefaultMaxFrameBytes;
  size_t max_pending_bytes = 64 << 20;
  // Bytes read per read call: a fixed cost per connection, so small where
  // connections are many (devices) and larger on service links.
  size_t read_buffer_bytes = 64 * 1024;
};

class FramedConnection : public std::enable_shared_from_this<FramedConnection> {
 public:
  using FrameHandler = std::function<void(std::string_view body)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  explicit FramedConnection(tcp::socket socket, FrameLimits limits = {});
  // Over a TLS stream whose handshake is done.
  explicit FramedConnection(std::unique_ptr<TlsStream> tls, FrameLimits limits = {});

  // on_protocol_error, if given, runs instead of an immediate close when the
  // peer breaks framing (an oversized frame): it may Write a last frame and
  // must close, e.g. with CloseAfterFlush.
  void Start(FrameHandler on_frame, CloseHandler on_close, CloseHandler on_protocol_error = {});
  // Queues one frame; writes go out in call order.
  void Write(std::string_view body);
  // Closes now; queued writes are dropped.
  void Close(const std::string& reason);
  // Stops reading, sends what is queued (at most `bound` longer), then closes.
  void CloseAfterFlush(const std::string& reason, std::chrono::milliseconds bound = std::chrono::seconds(2));

  // Runs fn (on the io thread) each time everything written so far has
  // gone out: writers that pace themselves write more then.
  void set_on_drained(std::function<void()> fn) { on_drained_ = std::move(fn); }
  // Raises or lowers the frame limit for what is read from now on (a link
  // accepts only small frames until it has authenticated).
  void set_max_frame_bytes(size_t n) { decoder_.set_max_frame_bytes(n); }
  bool open() const { return open_; }
  std::string peer() const { return peer_; }
  // The peer's address without its port ("127.0.0.1", "::1").
  std::string peer_address() const { return peer_address_; }
  // Since when part of a frame has been waiting for the rest; nullopt when
  // no partial frame is buffered.
  std::optional<std::chrono::steady_clock::time_point> partial_since() const { return partial_since_; }
  size_t pending_bytes() const { return pending_.size() + in_flight_.size(); }

 private:
  void Read();
  void OnRead(size_t n);
  void WriteMore();
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  void NotePeer();

  std::unique_ptr<TlsStream> tls_;  // null: plain TCP on socket_
  tcp::socket socket_;
  const FrameLimits limits_;
  FrameDecoder decoder_;
  std::vector<char> read_buf_;
  std::string pending_;    // framed bytes not yet handed to the socket
  std::string in_flight_;  // bytes of the write in progress
  bool writing_ = false;
  bool open_ = true;
  std::function<void()> on_drained_;
  bool draining_ = false;  // CloseAfterFlush called
  std::string drain_reason_;
  std::unique_ptr<asio::steady_timer> drain_timer_;
  std::optional<std::chrono::steady_clock::time_point> partial_since_;
  std::string peer_;
  std::string peer_address_;
  FrameHandler on_frame_;
  CloseHandler on_close_;
  CloseHandler on_protocol_error_;
};

}  // namespace msgbed::live
