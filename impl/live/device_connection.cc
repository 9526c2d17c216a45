#include "live/device_connection.h"

#include <algorithm>

namespace msgbed::live {

DeviceConnection::~DeviceConnection() {
  ++generation_;
  ping_timer_.cancel();
  if (conn_) conn_->Close("client gone");
}

void DeviceConnection::Connect(const std::string& host, uint16_t port, ClosedHandler on_closed) {
  on_closed_ = std::move(on_closed);
  const uint64_t gen = ++generation_;
  auto socket = std::make_shared<tcp::socket>(io_);
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(
      host, std::to_string(port),
      [this, gen, socket, resolver, host](boost::system::error_code ec, tcp::resolver::results_type r) {
        if (gen != generation_) return;
        if (ec) {
          if (on_closed_) on_closed_("resolve: " + ec.message());
          return;
        }
        asio::async_connect(*socket, r, [this, gen, socket, host](boost::system::error_code ec, const tcp::endpoint&) {
          if (gen != generation_) return;
          if (ec) {
            if (on_closed_) on_closed_("connect: " + ec.message());
            return;
          }
          Secure(gen, std::move(*socket), host);
        });
      });
}

// A small read buffer: a load generator holds thousands of these (64 KiB
// each was 576 MB for 9,000 devices); larger frames arrive over several reads.
constexpr FrameLimits kDeviceLimits{.read_buffer_bytes = 8 * 1024};

void DeviceConnection::Secure(uint64_t gen, tcp::socket socket, const std::string& host) {
  if (!tls_) return Attach(std::make_shared<FramedConnection>(std::move(socket), kDeviceLimits));
  std::weak_ptr<int> alive = alive_;
  ConnectTls(
      std::move(socket), *tls_, host,
      [this, gen, alive](std::unique_ptr<TlsStream> stream) {
        if (!alive.expired() && gen == generation_)
          Attach(std::make_shared<FramedConnection>(std::move(stream), kDeviceLimits));
      },
      [this, gen, alive](const std::string& why) {
        if (!alive.expired() && gen == generation_ && on_closed_) on_closed_("TLS: " + why);
      });
}

void DeviceConnection::Attach(std::shared_ptr<FramedConnection> conn) {
  conn_ = std::move(conn);
  heard_ = false;
  const uint64_t gen = generation_;
  conn_->Start(
      [this, gen](std::string_view body) {
        if (gen != generation_) return;
        heard_ = true;
        api::ServerFrame frame;
        if (!frame.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
          return conn_->Close("malformed server frame");
        }
        device_.OnFrame(frame);
      },
      [this, gen](const std::string& why) {
        if (gen != generation_) return;
        device_.Disconnected();
        // A TLS port closes on a plain client before it says anything.
        const std::string hint =
            !heard_ && !tls_ ? " before the gateway said anything (if its port is TLS, connect with its CA)" : "";
        if (on_closed_) on_closed_(why + hint);
      });
  device_.Connected();
  SchedulePing(gen);
}

void DeviceConnection::SchedulePing(uint64_t gen) {
  // Not signed in (a person typing a code or a password), the gateway's
  // sign-in timeout (30 s by default) is what a ping must beat.
  const bool signing_in = device_.state() != Device::State::kReady;
  ping_timer_.expires_after(signing_in ? std::min<std::chrono::milliseconds>(ping_interval_, kSignInPingInterval)
                                       : ping_interval_);
  ping_timer_.async_wait([this, gen](boost::system::error_code ec) {
    if (ec || gen != generation_ || !connected()) return;
    device_.Ping();
    SchedulePing(gen);
  });
}

void DeviceConnection::Disconnect() {
  ++generation_;
  ping_timer_.cancel();
  if (conn_) conn_->Close("client disconnect");
  conn_.reset();
  device_.Disconnected();
}

void DeviceConnection::After(Micros delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::microseconds(delay));
  timer->async_wait([timer, alive = std::weak_ptr<int>(alive_), fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec && !alive.expired()) fn();
  });
}

void DeviceConnection::SendFrame(const api::ClientFrame& frame) {
  if (conn_) conn_->Write(frame.SerializeAsString());
}

}  // namespace msgbed::live
