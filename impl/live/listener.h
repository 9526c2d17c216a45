// Listener: a TCP acceptor that keeps accepting. An accept error (file
// descriptors exhausted, a connection reset before it was accepted) is
// logged once per run of errors and retried after a backoff that grows
// from 10 ms to 1 s, so a listener never stops for good while its
// io_context runs.
//
// Contract: on_socket runs on the io_context thread for each accepted
// connection. Destroying the Listener stops it.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "live/config.h"

namespace msgbed::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Listener {
 public:
  using SocketHandler = std::function<void(tcp::socket)>;

  // `name` prefixes log lines ("gateway/0 clients").
  Listener(asio::io_context& io, std::string name) : state_(std::make_shared<State>(io, std::move(name))) {}
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds ep; *port is the bound port.
  Status Bind(const Endpoint& ep, uint16_t* port);
  // Starts accepting. REQUIRES: Bind succeeded.
  void Start(SocketHandler on_socket);

  // Accept errors so far (each retried). Thread-safe.
  uint64_t accept_errors() const { return state_->errors; }

 private:
  // Shared with pending handlers, so a handler that runs after the Listener
  // is gone finds `stopped` instead of a dangling pointer.
  struct State {
    State(asio::io_context& io, std::string n) : acceptor(io), retry(io), name(std::move(n)) {}
    tcp::acceptor acceptor;
    asio::steady_timer retry;
    std::string name;
    SocketHandler on_socket;
    std::atomic<uint64_t> errors{0};
    int backoff_ms = 0;  // 0 while accepts succeed
    bool stopped = false;
  };
  static void Accept(const std::shared_ptr<State>& state);
  static void OnError(const std::shared_ptr<State>& state, const boost::system::error_code& ec);

  std::shared_ptr<State> state_;
};

}  // namespace msgbed::live
