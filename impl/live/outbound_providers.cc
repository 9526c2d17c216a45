#include "live/outbound_providers.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

namespace msgbed::live {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string ProviderConfig::Describe() const {
  if (kind == Kind::kWebhook) return "webhook";
  return kind == Kind::kLog ? "log " + file : "http://" + host + ":" + port + target;
}

bool ParseHttpUrl(const std::string& url, ProviderConfig* out) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('#'));  // a fragment never goes to the server
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  if (authority.find('@') != std::string::npos) return false;  // no credentials in URLs (they would be logged)
  out->target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  out->host = authority.substr(0, colon);
  out->port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (out->host.empty() || out->port.empty() || out->port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(out->port) == 0 || std::stoul(out->port) > 65535) {
    return false;
  }
  out->kind = ProviderConfig::Kind::kHttp;
  return true;
}

namespace {

// How the channel names the recipient: an SMS goes to +<digits>.
std::string Recipient(std::string_view channel, const OutboundMessage& message) {
  return channel == kSmsChannel ? "+" + message.to : message.to;
}

}  // namespace

OutboundProviders::OutboundProviders(asio::io_context& io, ByChannel providers)
    : io_(io), providers_(std::move(providers)) {}

Status OutboundProviders::Check() const {
  for (const auto& [channel, list] : providers_) {
    for (const ProviderConfig& p : list) {
      if (p.kind != ProviderConfig::Kind::kLog || p.file.empty()) continue;
      std::ofstream out(p.file, std::ios::app);
      if (!out) return Status::IoError(channel + ": cannot append to the log provider's file " + p.file);
    }
  }
  return Status::Ok();
}

size_t OutboundProviders::Providers(std::string_view channel) const {
  auto it = providers_.find(channel);
  return it == providers_.end() ? 0 : it->second.size();
}

void OutboundProviders::Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) {
  const ProviderConfig& p = providers_.find(channel)->second.at(index);
  if (p.kind == ProviderConfig::Kind::kLog) return Log(channel, p, message, std::move(done));
  Post(channel, p, message, std::move(done));
}

void OutboundProviders::Log(std::string_view channel, const ProviderConfig& p, const OutboundMessage& message,
                            Done done) {
  const std::string to = Recipient(channel, message);
  spdlog::info("{} to {}: {}", channel, to, message.text);
  Status status;
  if (!p.file.empty()) {
    std::ofstream out(p.file, std::ios::app);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    out << std::chrono::duration_cast<std::chrono::seconds>(now).count() << " " << to << " " << message.text << "\n";
    out.flush();
    if (!out) status = Status::IoError("cannot append to " + p.file);
  }
  asio::post(io_, [done = std::move(done), status] { done(status); });
}

namespace {

// One POST: resolve, connect, write, read, all within the provider's timeout.
struct HttpAttempt : std::enable_shared_from_this<HttpAttempt> {
  HttpAttempt(asio::io_context& io, std::string_view channel, const ProviderConfig& p, OutboundPort::Done d)
      : resolver(io), stream(io), channel(channel), provider(p), done(std::move(d)) {}

  void Start(const std::string& to, const OutboundMessage& message) {
    const bool webhook = provider.kind == ProviderConfig::Kind::kWebhook;
    if (webhook && !ParseHttpUrl(to, &provider)) {
      return Finish(Status::Invalid("not an http:// URL (https needs a local TLS relay): " + to));
    }
    if (webhook) provider.kind = ProviderConfig::Kind::kWebhook;  // ParseHttpUrl said kHttp
    request = {http::verb::post, provider.target, 11};
    request.set(http::field::host, provider.port == "80" ? provider.host : provider.host + ":" + provider.port);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "msgbed");
    if (!message.secret_token.empty()) request.set("X-Telegram-Bot-Api-Secret-Token", message.secret_token);
    request.body() = webhook ? message.text : nlohmann::json{{"to", to}, {"text", message.text}}.dump();
    request.prepare_payload();
    stream.expires_after(std::chrono::microseconds(provider.timeout));
    resolver.async_resolve(provider.host, provider.port,
                           [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type hosts) {
                             if (ec) return self->Finish(Status::IoError("cannot resolve: " + ec.message()));
                             self->Connect(hosts);
                           });
  }
  void Connect(const tcp::resolver::results_type& hosts) {
    stream.async_connect(hosts, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->Finish(Status::IoError("cannot connect: " + ec.message()));
      http::async_write(self->stream, self->request, [self](beast::error_code ec, size_t) {
        if (ec) return self->Finish(Status::IoError("cannot send: " + ec.message()));
        http::async_read(self->stream, self->buffer, self->response, [self](beast::error_code ec, size_t) {
          if (ec) return self->Finish(Status::IoError("no answer: " + ec.message()));
          const unsigned code = self->response.result_int();
          self->Finish(code / 100 == 2 ? Status::Ok() : Status::IoError("HTTP " + std::to_string(code)));
        });
      });
    });
  }
  void Finish(const Status& status) {
    if (!status.ok() && provider.kind != ProviderConfig::Kind::kWebhook) {
      spdlog::warn("{} provider {}: {}", channel, provider.Describe(), status.message());
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    done(status);
  }

  tcp::resolver resolver;
  beast::tcp_stream stream;
  std::string channel;
  ProviderConfig provider;
  OutboundPort::Done done;
  http::request<http::string_body> request;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
};

}  // namespace

void OutboundProviders::Post(std::string_view channel, const ProviderConfig& p, const OutboundMessage& message,
                             Done done) {
  std::make_shared<HttpAttempt>(io_, channel, p, std::move(done))->Start(Recipient(channel, message), message);
}

}  // namespace msgbed::live
