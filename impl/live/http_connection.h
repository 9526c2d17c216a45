// HttpConnection: one HTTP/1.1 client connection of the Bot API server
// (HttpClientServer). It reads one request, turns it into an api::BotCall
// (bot_request.h), hands it on with a request id (1, 2, ... per
// connection), and reads the next request only once the answer to this one
// is written: requests on a connection are served one at a time, in order.
// There is no timeout while the answer is awaited (long polling).
//
// Contract: everything runs on the socket's io_context thread. on_close runs
// exactly once, posted (never from inside a call into the connection), with
// the reason; nothing else runs after it. A connection closed after its
// last response (Connection: close, CloseAfterResponse, a refusal) reports
// the close when the response is out, and then lingers briefly on its own.
//
// Bounds (HttpLimits): headers over max_header_bytes get 431; a body over
// max_body_bytes gets 413, from its Content-Length before any of it is
// read (or when a chunked body passes the bound); a request whose headers
// and body do not arrive within request_timeout of its first byte gets 408;
// a connection with no next request within idle_timeout, or whose client
// takes longer to read a response, is closed. Malformed HTTP and requests
// ParseBotCall refuses get 400 with the Bot API's error body, without the
// core. Each of those but the 400 for parameters also closes the connection.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proto/client_api.pb.h"

namespace msgbed::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 50 << 20;
  std::chrono::microseconds request_timeout = std::chrono::seconds(30);
  std::chrono::microseconds idle_timeout = std::chrono::seconds(300);
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // A request for the core: its id, the call, and its Authorization header.
  using CallHandler = std::function<void(uint64_t request_id, api::BotCall call, std::string_view authorization)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  HttpConnection(tcp::socket socket, HttpLimits limits);

  void Start(CallHandler on_call, CloseHandler on_close);
  // Writes answer as the response to request_id; false (and nothing
  // written) unless that request is the one awaiting its answer.
  bool Answer(uint64_t request_id, api::BotAnswer answer);
  // Closes once the response being written (if any) is out; at once otherwise.
  void CloseAfterResponse(const std::string& reason);
  // Closes now.
  void Close(const std::string& reason);

  // The peer's address without its port ("127.0.0.1", "::1").
  const std::string& peer_address() const { return peer_address_; }
  const std::string& peer() const { return peer_; }

 private:
  enum class Phase { kIdle, kReading, kWaiting, kWriting, kLingering, kClosed };

  void AwaitRequest();
  void Watch();
  void OnWatch(const boost::system::error_code& ec, size_t n);
  void ReadHeader();
  void OnHeader(const boost::system::error_code& ec);
  void ReadBody();
  void OnReadError(const boost::system::error_code& ec);
  void OnRequest();
  // Answers without the core: the Bot API's error body.
  void Refuse(unsigned status, const std::string& description, bool keep_alive);
  void Respond(api::BotAnswer answer, bool keep_alive);
  void OnWritten(const boost::system::error_code& ec, bool keep_alive);
  // After a last response: no more output, and what the client still
  // sends is read and dropped for a moment, so that closing does not reset
  // the connection before the client has read the response. The owner
  // hears of the close at once.
  void Linger(const std::string& reason);
  void Discard();
  void NotifyClosed(const std::string& reason);
  void Arm(std::chrono::microseconds after);
  void Disarm();
  void OnTimer();

  tcp::socket socket_;
  const HttpLimits limits_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;  // a handler of an older Arm does nothing
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> response_;
  Phase phase_ = Phase::kIdle;
  bool watching_ = false;  // a read for a next request or a hang-up is under way
  bool expired_ = false;   // the request being read ran out of time
  unsigned version_ = 11;  // of the request being served
  bool keep_alive_ = true;
  uint64_t next_id_ = 1;
  uint64_t pending_id_ = 0;  // the request awaiting its answer (kWaiting)
  bool close_after_ = false;
  bool notified_ = false;  // on_close posted
  std::string close_reason_;
  std::string peer_address_;
  std::string peer_;
  CallHandler on_call_;
  CloseHandler on_close_;
};

}  // namespace msgbed::live
