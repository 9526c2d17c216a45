#include "live/listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace msgbed::live {

namespace {
constexpr int kFirstBackoffMs = 10;
constexpr int kMaxBackoffMs = 1000;
}  // namespace

Listener::~Listener() {
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->retry.cancel();
}

Status Listener::Bind(const Endpoint& ep, uint16_t* port) {
  boost::system::error_code ec;
  tcp::endpoint at;
  if (const auto address = asio::ip::make_address(ep.host, ec); !ec) {
    at = tcp::endpoint(address, ep.port);
  } else {  // a name, such as localhost: its first address
    tcp::resolver resolver(state_->acceptor.get_executor());
    const auto found = resolver.resolve(ep.host, std::to_string(ep.port), ec);
    if (ec || found.empty()) return Status::Invalid("listen address " + ep.ToString() + ": " + ec.message());
    at = found.begin()->endpoint();
  }
  tcp::acceptor& a = state_->acceptor;
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("listen on " + ep.ToString() + ": " + ec.message());
  *port = a.local_endpoint().port();
  return Status::Ok();
}

void Listener::Start(SocketHandler on_socket) {
  state_->on_socket = std::move(on_socket);
  Accept(state_);
}

void Listener::Accept(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept([state](boost::system::error_code ec, tcp::socket socket) {
    if (state->stopped || ec == asio::error::operation_aborted) return;
    if (ec) return OnError(state, ec);
    if (state->backoff_ms > 0) spdlog::info("{}: accepting again", state->name);
    state->backoff_ms = 0;
    state->on_socket(std::move(socket));
    Accept(state);
  });
}

void Listener::OnError(const std::shared_ptr<State>& state, const boost::system::error_code& ec) {
  ++state->errors;
  if (state->backoff_ms == 0) {
    spdlog::error("{}: accept: {}; retrying with backoff", state->name, ec.message());
    state->backoff_ms = kFirstBackoffMs;
  } else {
    state->backoff_ms = std::min(2 * state->backoff_ms, kMaxBackoffMs);
  }
  state->retry.expires_after(std::chrono::milliseconds(state->backoff_ms));
  state->retry.async_wait([state](boost::system::error_code wait_ec) {
    if (!wait_ec && !state->stopped) Accept(state);
  });
}

}  // namespace msgbed::live
