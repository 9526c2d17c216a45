#include "live/client_server.h"

#include <spdlog/spdlog.h>

#include "core/client_reply.h"

namespace msgbed::live {

ClientServer::ClientServer(asio::io_context& io, std::string name, InstanceHost* host,
                           const ClientTransportConfig& config)
    : io_(io), name_(std::move(name)), host_(host), config_(config), listener_(io, name_ + " clients"), sweep_(io) {}

ClientServer::~ClientServer() {
  auto conns = std::move(conns_);  // their close handlers must not reach the core any more
  for (auto& [id, conn] : conns) conn->Close("gateway shutting down");
}

Status ClientServer::Listen(const Endpoint& ep, uint16_t* port) {
  if (config_.tls.enabled()) {
    if (Status s = ServerTlsContext(config_.tls, &tls_); !s.ok()) return s;
  }
  if (Status s = listener_.Bind(ep, port); !s.ok()) return s;
  if (tls_) {
    spdlog::info("{}: device connections on port {} use TLS 1.3 (certificate {})", name_, *port, config_.tls.cert);
    for (const std::string& w : CertificateWarnings(*tls_)) spdlog::warn("{}: {}: {}", name_, config_.tls.cert, w);
  } else {
    spdlog::info("{}: device connections on port {} are plain TCP, unencrypted (set clients.tls for TLS)", name_,
                 *port);
  }
  listener_.Start([this](tcp::socket socket) { OnSocket(std::move(socket)); });
  SweepPartialFrames();
  return Status::Ok();
}

void ClientServer::OnSocket(tcp::socket socket) {
  if (config_.socket_send_buffer > 0) {
    boost::system::error_code ignored;  // a kernel that refuses keeps its default
    socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(config_.socket_send_buffer)), ignored);
  }
  FrameLimits limits;
  limits.max_frame_bytes = config_.max_frame_bytes;
  limits.max_pending_bytes = config_.max_outbound_bytes;
  limits.read_buffer_bytes = 4096;
  if (!tls_) return Attach(std::make_shared<FramedConnection>(std::move(socket), limits));
  if (tls_handshakes_ >= kMaxTlsHandshakes) {
    host_->Stats().Add("gateway.tls_handshakes_refused");
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  ++tls_handshakes_;
  std::weak_ptr<int> alive = alive_;
  const std::string peer = [&] {
    boost::system::error_code ec;
    const auto ep = socket.remote_endpoint(ec);
    return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }();
  AcceptTls(
      std::move(socket), *tls_,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(config_.frame_timeout)),
      [this, alive, limits](std::unique_ptr<TlsStream> stream) {
        if (alive.expired()) return;
        --tls_handshakes_;
        Attach(std::make_shared<FramedConnection>(std::move(stream), limits));
      },
      [this, alive, peer](const std::string& why) {
        if (alive.expired()) return;
        --tls_handshakes_;
        TlsFailed(peer, why);
      });
}

void ClientServer::TlsFailed(const std::string& peer, const std::string& why) {
  host_->Stats().Add("gateway.tls_handshake_failures");
  const auto now = std::chrono::steady_clock::now();
  if (now - last_tls_warning_ < std::chrono::seconds(1)) {
    ++tls_warnings_suppressed_;
    return;
  }
  last_tls_warning_ = now;
  const uint64_t more = std::exchange(tls_warnings_suppressed_, 0);
  spdlog::warn("{}: TLS handshake with {} failed: {}{}", name_, peer, why,
               more == 0 ? "" : " (and " + std::to_string(more) + " more since the last such line)");
}

void ClientServer::Attach(std::shared_ptr<FramedConnection> conn) {
  const ConnId id = next_id_++;
  conns_[id] = conn;
  std::weak_ptr<int> alive = alive_;
  conn->Start([this, id](std::string_view body) { OnFrame(id, body); },
              [this, id, alive, peer = conn->peer()](const std::string& why) {
                if (alive.expired()) return;
                spdlog::debug("{}: connection {} from {} closed: {}", name_, id, peer, why);
                conns_.erase(id);
                host_->ClientClosed(id);
              },
              [this, id](const std::string& why) { Refuse(id, why); });
  host_->ClientOpened(id, conn->peer_address());
}

void ClientServer::OnFrame(ConnId id, std::string_view body) {
  api::ClientFrame frame;
  if (!frame.ParseFromArray(body.data(), static_cast<int>(body.size()))) return Refuse(id, "malformed frame");
  host_->ClientFrame(id, frame);
}

void ClientServer::Refuse(ConnId id, const std::string& why, api::ErrorCode code) {
  SendToClient(id, ErrorFrame(code, why + "; closing the connection"));
  CloseClient(id, why);
}

void ClientServer::SendToClient(ConnId conn, api::ServerFrame frame) {
  auto it = conns_.find(conn);
  if (it != conns_.end()) it->second->Write(frame.SerializeAsString());
}

void ClientServer::CloseClient(ConnId conn, std::string_view reason) {
  auto it = conns_.find(conn);
  if (it != conns_.end()) it->second->CloseAfterFlush(std::string(reason));
}

// Slow senders: once a frame has started, the rest must follow within
// frame_timeout. Checked a few times per timeout, not per read.
void ClientServer::SweepPartialFrames() {
  const auto now = std::chrono::steady_clock::now();
  const auto timeout = std::chrono::microseconds(config_.frame_timeout);
  for (auto& [id, conn] : conns_) {
    const auto since = conn->partial_since();
    if (since && now - *since >= timeout) Refuse(id, "frame not completed within the frame timeout", api::TIMEOUT);
  }
  sweep_.expires_after(std::max<std::chrono::microseconds>(timeout / 4, std::chrono::milliseconds(10)));
  sweep_.async_wait([this](boost::system::error_code ec) {
    if (!ec) SweepPartialFrames();
  });
}

}  // namespace msgbed::live
