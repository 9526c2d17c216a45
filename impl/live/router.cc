#include "live/router.h"

#include <spdlog/spdlog.h>

#include "live/link_auth.h"
#include "live/wire.h"

namespace msgbed::live {

namespace {

FrameLimits LinkLimits() {
  FrameLimits limits;
  limits.max_pending_bytes = 256 << 20;  // a peer this far behind is gone; its link is closed
  return limits;
}

}  // namespace

// One inbound link: unauthenticated until its LinkHello checks out.
struct Router::Inbound {
  std::shared_ptr<FramedConnection> conn;
  std::string nonce;
  bool authenticated = false;
  asio::steady_timer handshake;
  explicit Inbound(asio::io_context& io) : handshake(io) {}
};

Router::Router(asio::io_context& io, const LiveConfig& config, std::string secret)
    : io_(io), secret_(std::move(secret)) {
  for (const auto& inst : config.instances) remote_[MakeAddress(inst.role, inst.index)].endpoint = inst.rpc;
}

Router::~Router() {
  listeners_.clear();
  for (auto& [key, in] : inbound_) in->conn->Close("shutting down");
  for (auto& [addr, r] : remote_) {
    if (r.conn) r.conn->Close("shutting down");
  }
}

void Router::AddLocal(const rpc::Address& addr, InstanceHost* host) {
  if (local_.empty()) self_ = addr;
  local_[addr] = host;
  remote_.erase(addr);
}

void Router::Drop(const std::string& what, const std::vector<Envelope>& lost) {
  if (lost.empty()) return;
  dropped_ += lost.size();
  spdlog::warn("router: {} message(s) for {} dropped: {}", lost.size(), ToString(lost.front().to), what);
  for (const Envelope& e : lost) {
    auto sender = local_.find(e.from);
    if (sender != local_.end()) sender->second->Undeliverable(e);
  }
}

void Router::Send(Envelope e) {
  if (local_.count(e.to)) {
    asio::post(io_, [this, e = std::move(e)] { Deliver(e); });
    return;
  }
  auto it = remote_.find(e.to);
  if (it == remote_.end()) return Drop("no such instance in the config", {e});
  if (e.ByteSize() + kFrameHeaderBytes > LinkLimits().max_frame_bytes) {
    return Drop("larger than a link frame (" + std::to_string(e.ByteSize()) + " bytes)", {e});
  }
  Remote& r = it->second;
  if (r.conn && r.conn->open() && !r.connecting) return r.conn->Write(EncodeWire(e));
  if (r.queued.size() >= kMaxQueuedPerTarget) return Drop("the link's queue is full", {e});
  r.queued.push_back(std::move(e));
  if (!r.connecting) Connect(it->first, r);
}

void Router::Deliver(const Envelope& e) {
  auto it = local_.find(e.to);
  if (it == local_.end()) return Drop("not served here", {e});
  it->second->Deliver(e);
}

void Router::Connect(const rpc::Address& to, Remote& r) {
  r.connecting = true;
  r.conn.reset();
  auto socket = std::make_shared<tcp::socket>(io_);
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(r.endpoint.host, std::to_string(r.endpoint.port),
                          [this, to, &r, socket, resolver, alive = std::weak_ptr<int>(alive_)](
                              boost::system::error_code ec, tcp::resolver::results_type results) {
                            if (alive.expired()) return;
                            if (ec) return Fail(r, ec.message());
                            asio::async_connect(
                                *socket, results,
                                [this, to, &r, socket, alive](boost::system::error_code ec, const tcp::endpoint&) {
                                  if (alive.expired()) return;
                                  if (ec) return Fail(r, ec.message());
                                  OnLinkUp(to, r, std::move(*socket));
                                });
                          });
}

// The link is up; it carries envelopes once the acceptor's challenge is answered.
void Router::OnLinkUp(const rpc::Address& to, Remote& r, tcp::socket socket) {
  r.conn = std::make_shared<FramedConnection>(std::move(socket), LinkLimits());
  std::weak_ptr<FramedConnection> weak = r.conn;
  std::weak_ptr<int> alive = alive_;
  r.conn->Start(
      [this, &r, weak](std::string_view body) {
        if (r.conn != weak.lock()) return;
        if (r.connecting) return Answer(r, body);
        r.conn->Close("unexpected frame from the accepting side");
      },
      [this, to, &r, weak, alive](const std::string& why) {
        if (alive.expired() || r.conn != weak.lock()) return;
        if (r.connecting) return Fail(r, why);
        spdlog::info("router: link to {} closed: {}", ToString(to), why);
      });
}

void Router::Answer(Remote& r, std::string_view body) {
  rpc::LinkChallenge challenge;
  if (!challenge.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
      challenge.nonce().size() != kNonceBytes) {
    return r.conn->Close("no link challenge from the accepting side");
  }
  rpc::LinkHello hello;
  *hello.mutable_from() = self_;
  hello.set_mac(LinkMac(secret_, challenge.nonce(), self_));
  r.conn->Write(hello.SerializeAsString());
  r.connecting = false;
  for (const auto& e : r.queued) r.conn->Write(EncodeWire(e));
  r.queued.clear();
}

void Router::Fail(Remote& r, const std::string& why) {
  std::vector<Envelope> lost;
  lost.swap(r.queued);
  Drop("cannot reach " + r.endpoint.ToString() + ": " + why, lost);
  r.connecting = false;
  r.conn.reset();
}

Status Router::Listen(const Endpoint& ep, uint16_t* port) {
  auto listener = std::make_unique<Listener>(io_, "router");
  if (Status s = listener->Bind(ep, port); !s.ok()) return s;
  listener->Start([this](tcp::socket socket) { OnInbound(std::move(socket)); });
  listeners_.push_back(std::move(listener));
  return Status::Ok();
}

void Router::OnInbound(tcp::socket socket) {
  auto in = std::make_shared<Inbound>(io_);
  in->conn = std::make_shared<FramedConnection>(std::move(socket), LinkLimits());
  in->nonce = NewNonce();
  const std::string peer = in->conn->peer();
  inbound_[in->conn.get()] = in;
  std::weak_ptr<Inbound> weak = in;
  in->conn->Start(
      [this, weak, peer](std::string_view body) {
        auto in = weak.lock();
        if (!in) return;
        if (!in->authenticated) {
          rpc::LinkHello hello;
          if (!hello.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
              !VerifyHello(secret_, in->nonce, hello)) {
            ++refused_links_;
            spdlog::warn("router: link from {} refused: no valid proof of the deployment secret", peer);
            return in->conn->Close("link authentication failed");
          }
          in->authenticated = true;
          in->handshake.cancel();
          return;
        }
        Envelope e;
        std::string error;
        if (!DecodeWire(body, &e, &error)) {
          ++dropped_;
          spdlog::warn("router: message from {} dropped: {}", peer, error);
          return;
        }
        Deliver(e);
      },
      [this, alive = std::weak_ptr<int>(alive_), key = in->conn.get(), peer](const std::string& why) {
        if (alive.expired()) return;
        spdlog::debug("router: link from {} closed: {}", peer, why);
        inbound_.erase(key);
      });
  rpc::LinkChallenge challenge;
  challenge.set_nonce(in->nonce);
  in->conn->Write(challenge.SerializeAsString());
  in->handshake.expires_after(kHandshakeTimeout);
  in->handshake.async_wait([weak](boost::system::error_code ec) {
    auto in = weak.lock();
    if (!ec && in && !in->authenticated) in->conn->Close("no link hello within the handshake timeout");
  });
}

}  // namespace msgbed::live
