#include "live/router.h"

#include <spdlog/spdlog.h>

#include "live/client_server.h"

namespace msgbed::live {

Router::Router(asio::io_context& io, const LiveConfig& config) : io_(io) {
  for (const auto& inst : config.instances) remote_[MakeAddress(inst.role, inst.index)].endpoint = inst.rpc;
}

void Router::AddLocal(const rpc::Address& addr, Service* core) {
  local_[addr] = core;
  remote_.erase(addr);
}

void Router::Send(rpc::Envelope msg) {
  if (local_.count(msg.to())) {
    asio::post(io_, [this, msg = std::move(msg)]() mutable { Deliver(std::move(msg)); });
    return;
  }
  auto it = remote_.find(msg.to());
  if (it == remote_.end()) {
    spdlog::error("router: no instance {} in the config; message dropped", ToString(msg.to()));
    return;
  }
  Remote& r = it->second;
  if (r.conn && r.conn->open()) return r.conn->Write(msg.SerializeAsString());
  r.queued.push_back(msg.SerializeAsString());
  if (!r.connecting) Connect(it->first, r);
}

void Router::Deliver(rpc::Envelope msg) {
  auto it = local_.find(msg.to());
  if (it == local_.end()) {
    spdlog::warn("router: message for {}, not served here; dropped", ToString(msg.to()));
    return;
  }
  it->second->OnMessage(msg);
}

void Router::Connect(const rpc::Address& to, Remote& r) {
  r.connecting = true;
  auto socket = std::make_shared<tcp::socket>(io_);
  auto resolver = std::make_shared<tcp::resolver>(io_);
  const std::string name = ToString(to);
  resolver->async_resolve(
      r.endpoint.host, std::to_string(r.endpoint.port),
      [this, &r, socket, resolver, name](boost::system::error_code ec, tcp::resolver::results_type results) {
        auto fail = [this, &r, name](const std::string& why) {
          spdlog::warn("router: cannot reach {} at {}: {}; {} message(s) dropped", name, r.endpoint.ToString(), why,
                       r.queued.size());
          r.queued.clear();
          r.connecting = false;
        };
        if (ec) return fail(ec.message());
        asio::async_connect(
            *socket, results, [this, &r, socket, name, fail](boost::system::error_code ec, const tcp::endpoint&) {
              if (ec) return fail(ec.message());
              r.connecting = false;
              r.conn = std::make_shared<FramedConnection>(std::move(*socket));
              r.conn->Start(
                  [](std::string_view) {},
                  [name](const std::string& why) { spdlog::info("router: link to {} closed: {}", name, why); });
              for (const auto& body : r.queued) r.conn->Write(body);
              r.queued.clear();
            });
      });
}

Status Router::Listen(const Endpoint& ep, uint16_t* port) {
  std::shared_ptr<tcp::acceptor> acceptor;
  Status s = BindAcceptor(io_, ep, &acceptor);
  if (!s.ok()) return s;
  *port = acceptor->local_endpoint().port();
  Accept(acceptor);
  return Status::Ok();
}

void Router::Accept(std::shared_ptr<tcp::acceptor> acceptor) {
  acceptor->async_accept([this, acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::error("router: accept: {}", ec.message());
      return;
    }
    auto conn = std::make_shared<FramedConnection>(std::move(socket));
    std::weak_ptr<FramedConnection> weak = conn;
    conn->Start(
        [this, weak](std::string_view body) {
          rpc::Envelope msg;
          if (!msg.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
            if (auto c = weak.lock()) c->Close("malformed envelope");
            return;
          }
          Deliver(std::move(msg));
        },
        [peer = conn->peer()](const std::string& why) { spdlog::info("router: peer {} closed: {}", peer, why); });
    Accept(acceptor);
  });
}

}  // namespace msgbed::live
