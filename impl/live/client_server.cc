#include "live/client_server.h"

#include <spdlog/spdlog.h>

namespace msgbed::live {

Status BindAcceptor(asio::io_context& io, const Endpoint& ep, std::shared_ptr<tcp::acceptor>* out) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(ep.host, ec);
  if (ec) return Status::Invalid("listen address " + ep.ToString() + ": " + ec.message());
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  const tcp::endpoint at(address, ep.port);
  acceptor->open(at.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("listen on " + ep.ToString() + ": " + ec.message());
  *out = std::move(acceptor);
  return Status::Ok();
}

Status ClientServer::Listen(const Endpoint& ep, uint16_t* port) {
  Status s = BindAcceptor(io_, ep, &acceptor_);
  if (!s.ok()) return s;
  *port = acceptor_->local_endpoint().port();
  Accept();
  return Status::Ok();
}

void ClientServer::Accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::error("gateway: accept: {}", ec.message());
      return;
    }
    const ConnId id = next_id_++;
    auto conn = std::make_shared<FramedConnection>(std::move(socket), max_frame_bytes_);
    conns_[id] = conn;
    conn->Start([this, id](std::string_view body) { OnFrame(id, body); },
                [this, id, peer = conn->peer()](const std::string& why) {
                  spdlog::info("gateway: connection {} from {} closed: {}", id, peer, why);
                  conns_.erase(id);
                  gateway_->OnClientClosed(id);
                });
    gateway_->OnClientOpened(id);
    Accept();
  });
}

void ClientServer::OnFrame(ConnId id, std::string_view body) {
  api::ClientFrame frame;
  if (!frame.ParseFromArray(body.data(), static_cast<int>(body.size()))) return Close(id, "malformed frame");
  gateway_->OnClientFrame(id, frame);
}

void ClientServer::Send(ConnId conn, const api::ServerFrame& frame) {
  auto it = conns_.find(conn);
  if (it != conns_.end()) it->second->Write(frame.SerializeAsString());
}

void ClientServer::Close(ConnId conn, std::string_view reason) {
  auto it = conns_.find(conn);
  if (it != conns_.end()) it->second->Close(std::string(reason));
}

}  // namespace msgbed::live
