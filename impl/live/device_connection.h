// DeviceConnection: a client Device (impl/client) on a real TCP connection
// to a gateway. The terminal client, the loopback integration test and the
// live benchmark all drive devices through it.
//
// Callbacks (the Device's observer, on_closed) run on the io_context thread.
// While connected it pings every ping_interval, well inside a gateway's
// idle timeout (300 s by default), so an idle device keeps its connection;
// while not signed in, every kSignInPingInterval, inside the gateway's
// sign-in timeout (30 s), so a person reading an SMS or an email keeps it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "client/device.h"
#include "live/framed_connection.h"

namespace msgbed::live {

class DeviceConnection final : public Device::Link {
 public:
  using ClosedHandler = std::function<void(const std::string& reason)>;

  static constexpr auto kDefaultPingInterval = std::chrono::seconds(60);
  static constexpr auto kSignInPingInterval = std::chrono::seconds(10);

  // session: kept from an earlier sign-in, or empty (sign in with a code).
  DeviceConnection(asio::io_context& io, api::Authorization session, Device::Observer* observer,
                   DeviceRetryPolicy retry = {}, std::chrono::milliseconds ping_interval = kDefaultPingInterval)
      : io_(io), device_(std::move(session), this, observer, retry), ping_interval_(ping_interval), ping_timer_(io) {}
  ~DeviceConnection() override;

  // Speaks TLS from the next Connect: the gateway's certificate must be
  // signed by a CA the context trusts (ClientTlsContext) and name the host
  // connected to.
  void UseTls(std::shared_ptr<ssl::context> context) { tls_ = std::move(context); }

  // Connects, then resumes the device's session and catches up (without
  // a session, waits for the phone sign-in the owner drives). on_closed runs when
  // the connection fails or ends (not after Disconnect()).
  void Connect(const std::string& host, uint16_t port, ClosedHandler on_closed = {});
  // Goes offline: closes the socket; the Device keeps its pts.
  void Disconnect();
  bool connected() const { return conn_ && conn_->open(); }

  Device& device() { return device_; }
  void SendFrame(const api::ClientFrame& frame) override;
  void After(Micros delay, std::function<void()> fn) override;

 private:
  // TLS if set (then Attach), else Attach at once.
  void Secure(uint64_t gen, tcp::socket socket, const std::string& host);
  void Attach(std::shared_ptr<FramedConnection> conn);
  void SchedulePing(uint64_t gen);

  asio::io_context& io_;
  Device device_;
  std::shared_ptr<FramedConnection> conn_;
  std::shared_ptr<ssl::context> tls_;  // null: plain TCP
  bool heard_ = false;                 // a frame came on this connection
  ClosedHandler on_closed_;
  uint64_t generation_ = 0;  // bumps on Disconnect: stale callbacks are ignored
  const std::chrono::milliseconds ping_interval_;
  asio::steady_timer ping_timer_;
  // Expires with this object: the Device's timers that run later check it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace msgbed::live
