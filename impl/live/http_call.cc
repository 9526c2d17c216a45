#include "live/http_call.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "live/form_data.h"

namespace msgbed::live {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Encoded(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& p : params) out += (out.empty() ? "" : "&") + PercentEncode(p.first) + "=" + PercentEncode(p.second);
  return out;
}

http::request<http::string_body> Build(const Endpoint& to, const HttpCallRequest& r) {
  const bool get = r.method == "GET";
  const std::string query = get ? Encoded(r.params) : "";
  http::request<http::string_body> req{http::string_to_verb(r.method), r.path + (query.empty() ? "" : "?" + query), 11};
  req.set(http::field::host, to.ToString());
  req.set(http::field::user_agent, "msgbed");
  if (!r.bearer.empty()) req.set(http::field::authorization, "Bearer " + r.bearer);
  if (!get) {
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = Encoded(r.params);
  }
  req.keep_alive(false);
  req.prepare_payload();
  return req;
}

// The exchange, step by step on one io_context; *ec is its outcome.
struct Exchange {
  explicit Exchange(asio::io_context& io) : resolver(io), stream(io) {}
  tcp::resolver resolver;
  beast::tcp_stream stream;
  http::request<http::string_body> request;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  beast::error_code ec;
  const char* step = "resolve";

  void Run(const Endpoint& to) {
    resolver.async_resolve(to.host, std::to_string(to.port), [this](beast::error_code e, auto hosts) {
      if ((ec = e)) return;
      step = "connect";
      stream.async_connect(hosts, [this](beast::error_code e, const auto&) {
        if ((ec = e)) return;
        step = "send";
        http::async_write(stream, request, [this](beast::error_code e, size_t) {
          if ((ec = e)) return;
          step = "read the answer";
          http::async_read(stream, buffer, parser, [this](beast::error_code e, size_t) { ec = e; });
        });
      });
    });
  }
};

}  // namespace

Status HttpCall(const Endpoint& to, const HttpCallRequest& request, HttpCallReply* reply) {
  asio::io_context io;
  Exchange x(io);
  x.request = Build(to, request);
  x.parser.body_limit(64 << 20);
  x.stream.expires_after(request.timeout);
  x.Run(to);
  io.run_for(request.timeout + std::chrono::seconds(1));  // the stream's own deadline ends it first
  if (!io.stopped()) return Status::IoError(to.ToString() + ": no answer within the timeout");
  if (x.ec) return Status::IoError("cannot " + std::string(x.step) + " " + to.ToString() + ": " + x.ec.message());
  const auto& res = x.parser.get();
  reply->status = res.result_int();
  reply->content_type = std::string(res[http::field::content_type]);
  reply->body = res.body();
  return Status::Ok();
}

}  // namespace msgbed::live
