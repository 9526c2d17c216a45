#include "live/http_connection.h"

#include <boost/beast/core/string.hpp>

#include "live/bot_request.h"

namespace msgbed::live {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

// Bytes read at a time while no request is being parsed.
constexpr size_t kWatchBytes = 4096;
// How long a closing connection keeps reading what its client still sends.
constexpr auto kLinger = std::chrono::seconds(2);

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }

std::string Seconds(std::chrono::microseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

HttpConnection::HttpConnection(tcp::socket socket, HttpLimits limits)
    : socket_(std::move(socket)), limits_(limits), timer_(socket_.get_executor()) {
  error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  peer_address_ = ec ? "?" : ep.address().to_string();
  peer_ = ec ? "?" : peer_address_ + ":" + std::to_string(ep.port());
  socket_.set_option(tcp::no_delay(true), ec);
}

void HttpConnection::Start(CallHandler on_call, CloseHandler on_close) {
  on_call_ = std::move(on_call);
  on_close_ = std::move(on_close);
  AwaitRequest();
}

// Waits for the first byte of the next request (idle_timeout), unless a
// pipelining client already sent some.
void HttpConnection::AwaitRequest() {
  phase_ = Phase::kIdle;
  if (buffer_.size() > 0) return ReadHeader();
  Arm(limits_.idle_timeout);
  if (!watching_) Watch();
}

// A read with no request under way: the next request's first bytes, or,
// while the core has a request, the client hanging up (then the core hears
// of it at once, not when it answers). Invariant: watching_ implies an
// empty buffer_, so a watch never runs beside a parser's read.
void HttpConnection::Watch() {
  watching_ = true;
  socket_.async_read_some(buffer_.prepare(kWatchBytes),
                          [self = shared_from_this()](error_code ec, size_t n) { self->OnWatch(ec, n); });
}

void HttpConnection::OnWatch(const error_code& ec, size_t n) {
  watching_ = false;
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kLingering) return ec ? Close(close_reason_) : Discard();
  if (ec) return Close(ec == asio::error::eof ? "peer closed" : ec.message());
  buffer_.commit(n);
  // While waiting or writing, the bytes wait in buffer_ for AwaitRequest.
  if (phase_ == Phase::kIdle) ReadHeader();
}

void HttpConnection::ReadHeader() {
  phase_ = Phase::kReading;
  expired_ = false;
  version_ = 11;
  Arm(limits_.request_timeout);
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
  parser_->body_limit(limits_.max_body_bytes);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpConnection::OnHeader(const error_code& ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec || expired_) return OnReadError(ec);  // expired_: the timer beat this completion
  if (parser_->is_done()) return OnRequest();
  // A client that asks first (curl does for bodies over 1 KiB) is told to go on.
  if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return ReadBody();
  static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  asio::async_write(socket_, asio::buffer(kContinue), [self = shared_from_this()](error_code ec, size_t) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec || self->expired_) return self->OnReadError(ec);
    self->ReadBody();
  });
}

void HttpConnection::ReadBody() {
  http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec || self->expired_) return self->OnReadError(ec);
    self->OnRequest();
  });
}

void HttpConnection::OnReadError(const error_code& ec) {
  if (expired_) {
    return Refuse(408, "Request Timeout: the request did not arrive within " + Seconds(limits_.request_timeout), false);
  }
  if (ec == http::error::body_limit) {
    return Refuse(
        413, "Request Entity Too Large: the body is over " + std::to_string(limits_.max_body_bytes) + " bytes", false);
  }
  if (ec == http::error::header_limit) {
    return Refuse(431, "Request Header Fields Too Large: over " + std::to_string(limits_.max_header_bytes) + " bytes",
                  false);
  }
  if (ec == asio::error::eof || ec == http::error::partial_message || ec == http::error::end_of_stream ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    return Close("peer closed mid-request");
  }
  Refuse(400, "Bad Request: malformed HTTP request (" + ec.message() + ")", false);
}

void HttpConnection::OnRequest() {
  Disarm();
  auto& request = parser_->get();
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  api::BotCall call;
  const std::string why = ParseBotCall(
      {Std(request.method_string()), Std(request.target()), Std(request[http::field::content_type]), request.body()},
      &call);
  const std::string authorization(Std(request[http::field::authorization]));
  parser_.reset();  // the call holds what the core needs
  if (!why.empty()) return Refuse(400, "Bad Request: " + why, keep_alive_);
  phase_ = Phase::kWaiting;
  pending_id_ = next_id_++;
  if (buffer_.size() == 0) Watch();
  on_call_(pending_id_, std::move(call), authorization);  // may answer, or close, before it returns
}

bool HttpConnection::Answer(uint64_t request_id, api::BotAnswer answer) {
  if (phase_ != Phase::kWaiting || request_id != pending_id_) return false;
  Respond(std::move(answer), keep_alive_);
  return true;
}

void HttpConnection::Refuse(unsigned status, const std::string& description, bool keep_alive) {
  api::BotAnswer answer;
  answer.set_status(status);
  answer.set_content_type("application/json");
  answer.set_body(BotErrorBody(static_cast<int>(status), description));
  Respond(std::move(answer), keep_alive);
}

void HttpConnection::Respond(api::BotAnswer answer, bool keep_alive) {
  phase_ = Phase::kWriting;
  Arm(limits_.idle_timeout);  // a client that stops reading is as idle as one that stops sending
  const unsigned status = answer.status() >= 100 && answer.status() <= 999 ? answer.status() : 500;
  response_.emplace(static_cast<http::status>(status), version_);
  response_->set(http::field::server, "msgbed");
  if (!answer.content_type().empty()) response_->set(http::field::content_type, answer.content_type());
  if (answer.retry_after_s() > 0) response_->set(http::field::retry_after, std::to_string(answer.retry_after_s()));
  response_->body() = std::move(*answer.mutable_body());  // a file download may be large
  response_->keep_alive(keep_alive);
  response_->prepare_payload();
  http::async_write(socket_, *response_, [self = shared_from_this(), keep_alive](error_code ec, size_t) {
    self->OnWritten(ec, keep_alive);
  });
}

void HttpConnection::OnWritten(const error_code& ec, bool keep_alive) {
  response_.reset();
  if (phase_ == Phase::kClosed) return;
  if (ec) return Close(ec.message());
  if (close_after_) return Linger(close_reason_);
  if (!keep_alive) return Linger("response sent with Connection: close");
  AwaitRequest();
}

// The connection is over for its owner at once; the socket lingers on its own.
void HttpConnection::Linger(const std::string& reason) {
  phase_ = Phase::kLingering;
  close_reason_ = reason;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  Arm(kLinger);
  if (!watching_) Discard();
  NotifyClosed(reason);
}

void HttpConnection::Discard() {
  buffer_.clear();
  watching_ = true;
  socket_.async_read_some(buffer_.prepare(kWatchBytes), [self = shared_from_this()](error_code ec, size_t) {
    self->watching_ = false;
    if (self->phase_ != Phase::kLingering) return;
    if (ec) return self->Close(self->close_reason_);
    self->Discard();
  });
}

void HttpConnection::CloseAfterResponse(const std::string& reason) {
  if (phase_ != Phase::kWriting) return Close(reason);
  close_after_ = true;
  close_reason_ = reason;
}

void HttpConnection::Close(const std::string& reason) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  Disarm();
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  NotifyClosed(reason);
}

// on_close runs once, after the call that closed, never from inside it.
void HttpConnection::NotifyClosed(const std::string& reason) {
  if (notified_) return;
  notified_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason] {
    CloseHandler on_close = std::move(self->on_close_);
    self->on_call_ = nullptr;
    if (on_close) on_close(reason);
  });
}

void HttpConnection::Arm(std::chrono::microseconds after) {
  const uint64_t generation = ++timer_generation_;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (!ec && generation == self->timer_generation_) self->OnTimer();
  });
}

void HttpConnection::Disarm() {
  ++timer_generation_;
  timer_.cancel();
}

void HttpConnection::OnTimer() {
  switch (phase_) {
    case Phase::kIdle: return Close("idle: no request within " + Seconds(limits_.idle_timeout));
    case Phase::kReading: {
      // The read under way ends with operation_aborted; OnReadError answers 408.
      expired_ = true;
      error_code ignored;
      socket_.cancel(ignored);
      return;
    }
    case Phase::kWriting: return Close("the client did not read its response within " + Seconds(limits_.idle_timeout));
    case Phase::kLingering: return Close(close_reason_);
    case Phase::kWaiting:
    case Phase::kClosed: return;
  }
}

}  // namespace msgbed::live
