#include "live/http_client_server.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "live/link_auth.h"

namespace msgbed::live {

namespace {

// Process-wide, so that a server built again after a crash does not hand
// out an id a core saw before.
ConnId NextConnId() {
  static std::atomic<ConnId> next{1};
  return next++;
}

bool IsOperator(const std::string& path, std::string_view authorization, const std::string& key) {
  constexpr std::string_view kBearer = "Bearer ";
  if (path.rfind("/admin/", 0) != 0 || authorization.substr(0, kBearer.size()) != kBearer) return false;
  return SameOperatorKey(authorization.substr(kBearer.size()), key);
}

}  // namespace

HttpClientServer::HttpClientServer(asio::io_context& io, std::string name, InstanceHost* host,
                                   const ClientTransportConfig& config, std::string operator_key)
    : name_(std::move(name)),
      host_(host),
      config_(config),
      operator_key_(std::move(operator_key)),
      listener_(io, name_ + " HTTP clients") {}

HttpClientServer::~HttpClientServer() {
  auto conns = std::move(conns_);  // their close handlers must not reach the core any more
  for (auto& entry : conns) entry.second->Close("server shutting down");
}

Status HttpClientServer::Listen(const Endpoint& ep, uint16_t* port) {
  if (Status s = listener_.Bind(ep, port); !s.ok()) return s;
  if (config_.tls.enabled()) {
    spdlog::warn(
        "{}: HTTP on port {} is plain: clients.tls applies to device connections only; put a TLS proxy "
        "in front of the Bot API server",
        name_, *port);
  }
  listener_.Start([this](tcp::socket socket) { OnSocket(std::move(socket)); });
  return Status::Ok();
}

void HttpClientServer::OnSocket(tcp::socket socket) {
  const ConnId id = NextConnId();
  if (config_.socket_send_buffer > 0) {
    boost::system::error_code ignored;  // a kernel that refuses keeps its default
    socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(config_.socket_send_buffer)), ignored);
  }
  HttpLimits limits;
  limits.max_body_bytes = config_.max_http_body;
  limits.request_timeout = std::chrono::microseconds(config_.frame_timeout);
  limits.idle_timeout = std::chrono::microseconds(config_.http_idle_timeout);
  auto conn = std::make_shared<HttpConnection>(std::move(socket), limits);
  conns_[id] = conn;
  std::weak_ptr<int> alive = alive_;
  conn->Start([this, id](uint64_t request_id, api::BotCall call,
                         std::string_view authorization) { OnCall(id, request_id, std::move(call), authorization); },
              [this, id, alive, peer = conn->peer()](const std::string& why) {
                if (alive.expired()) return;
                spdlog::debug("{}: HTTP connection {} from {} closed: {}", name_, id, peer, why);
                conns_.erase(id);
                host_->ClientClosed(id);
              });
  host_->ClientOpened(id, conn->peer_address());
}

void HttpClientServer::OnCall(ConnId id, uint64_t request_id, api::BotCall call, std::string_view authorization) {
  call.set_operator_(IsOperator(call.path(), authorization, operator_key_));
  api::ClientFrame frame;
  frame.set_request_id(request_id);
  *frame.mutable_bot_call() = std::move(call);
  host_->ClientFrame(id, frame);
}

void HttpClientServer::SendToClient(ConnId conn, api::ServerFrame frame) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || !frame.has_bot_answer()) return;
  if (!it->second->Answer(frame.request_id(), std::move(*frame.mutable_bot_answer()))) {
    spdlog::debug("{}: no request {} awaits an answer on connection {}", name_, frame.request_id(), conn);
  }
}

void HttpClientServer::CloseClient(ConnId conn, std::string_view reason) {
  auto it = conns_.find(conn);
  if (it != conns_.end()) it->second->CloseAfterResponse(std::string(reason));
}

}  // namespace msgbed::live
