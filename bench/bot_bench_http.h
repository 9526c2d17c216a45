// bot_api_bench's HTTP client, as a bot's: keep-alive HTTP/1.1 connections
// to 127.0.0.1, one request at a time on each, driven by callbacks on the
// bench's io_context (one thread).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace msgbed::live {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

// A GET of target, ready to send.
Request Get(const std::string& target);
// A POST of target with a JSON body, ready to send.
Request PostJson(const std::string& target, std::string body);

class Conn {
 public:
  // Connects at once; throws BenchError if it cannot. Each request counts
  // in `pending` until its answer is read. REQUIRES: io and pending
  // outlive this. `name` is for error messages.
  Conn(boost::asio::io_context& io, uint16_t port, std::string name, uint64_t& pending);

  // Writes request and reads its answer; then done. No answer within
  // timeout throws BenchError out of the io_context's run, and so does an
  // answer other than 200 with "ok":true unless the connection counts
  // failures (then done() runs and ok() tells). REQUIRES: no request of
  // this connection's in flight.
  void Send(Request request, std::function<void()> done, std::chrono::seconds timeout = std::chrono::seconds(10));

  // A measurement's connection: a wrong answer is the measurement's to
  // count, not the end of the run.
  void CountFailures() { count_failures_ = true; }
  // The last answer was 200 with a body starting {"ok":true.
  bool ok() const { return status() == 200 && body().rfind("{\"ok\":true", 0) == 0; }
  // The last request (its method, not its path: that holds the bot's
  // token) and its answer, for a report.
  std::string Failure() const;

  // The last answer's; REQUIRES: one was read.
  unsigned status() const { return parser_->get().result_int(); }
  const std::string& body() const { return parser_->get().body(); }
  // The last request's write begun and its answer read.
  std::chrono::steady_clock::time_point started() const { return started_; }
  std::chrono::steady_clock::time_point ended() const { return ended_; }
  double micros() const { return std::chrono::duration<double, std::micro>(ended_ - started_).count(); }

 private:
  std::string Method() const;

  boost::beast::tcp_stream stream_;
  const std::string name_;
  uint64_t& pending_;
  bool count_failures_ = false;
  boost::beast::flat_buffer buffer_;
  Request request_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  std::chrono::steady_clock::time_point started_, ended_;
};

}  // namespace msgbed::live
