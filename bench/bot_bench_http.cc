#include "bot_bench_http.h"

#include <utility>

#include "bot_bench_error.h"

namespace msgbed::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Request Get(const std::string& target) {
  Request r{http::verb::get, target, 11};
  r.set(http::field::host, "127.0.0.1");
  r.prepare_payload();
  return r;
}

Request PostJson(const std::string& target, std::string body) {
  Request r{http::verb::post, target, 11};
  r.set(http::field::host, "127.0.0.1");
  r.set(http::field::content_type, "application/json");
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

Conn::Conn(asio::io_context& io, uint16_t port, std::string name, uint64_t& pending)
    : stream_(io), name_(std::move(name)), pending_(pending) {
  beast::error_code ec;
  stream_.socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) throw BenchError(name_ + ": cannot connect: " + ec.message());
  stream_.socket().set_option(tcp::no_delay(true), ec);
}

void Conn::Send(Request request, std::function<void()> done, std::chrono::seconds timeout) {
  request_ = std::move(request);
  stream_.expires_after(timeout);
  started_ = Clock::now();
  ++pending_;
  http::async_write(stream_, request_, [this, done = std::move(done)](beast::error_code ec, size_t) {
    if (ec) throw BenchError(name_ + ": cannot send " + std::string(request_.target()) + ": " + ec.message());
    parser_.emplace();
    parser_->body_limit(64 << 20);
    http::async_read(stream_, buffer_, *parser_, [this, done](beast::error_code ec, size_t) {
      ended_ = Clock::now();
      --pending_;
      if (ec) throw BenchError(name_ + ": no answer to " + std::string(request_.target()) + ": " + ec.message());
      if (!ok() && !count_failures_) throw BenchError(name_ + ": " + Failure());
      done();
    });
  });
}

std::string Conn::Failure() const {
  return Method() + " answered HTTP " + std::to_string(status()) + ": " + body().substr(0, 300);
}

// The request's method name, not its path: the path holds the bot's token.
std::string Conn::Method() const {
  const std::string target(request_.target());
  const size_t slash = target.rfind('/');
  return target.substr(slash + 1, target.find('?') - slash - 1);
}

}  // namespace msgbed::live
