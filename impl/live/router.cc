#include "live/router.h"

#include <spdlog/spdlog.h>

#include <set>

#include "host/wire.h"
#include "live/link_auth.h"

namespace msgbed::live {

namespace {

FrameLimits LinkLimits(bool bulk) {
  FrameLimits limits;
  limits.max_frame_bytes = bulk ? kMaxTransferBytes + 1024 : kDefaultMaxFrameBytes;
  limits.max_pending_bytes = 256 << 20;  // a peer this far behind is gone; its link is closed
  return limits;
}

}  // namespace

// One inbound link: unauthenticated until its LinkHello checks out; then
// it may carry envelopes from the instances the hello named.
struct Router::Inbound {
  std::shared_ptr<FramedConnection> conn;
  std::string peer;
  std::string nonce;
  bool authenticated = false;
  bool bulk = false;              // a link of the bulk lane: what it carries is delivered as bulk
  std::set<std::string> senders;  // ToString of the hello's instances
  asio::steady_timer handshake;
  explicit Inbound(asio::io_context& io) : handshake(io) {}
};

Router::Router(asio::io_context& io, const LiveConfig& config, std::string secret)
    : io_(io), secret_(std::move(secret)) {
  for (const auto& inst : config.instances) AddRemote(MakeAddress(inst.role, inst.index), inst.rpc);
}

void Router::AddRemote(const Address& addr, const Endpoint& rpc) {
  // An instance removed and added again may listen elsewhere: the next
  // connect goes there.
  ordered_[addr].endpoint = rpc;
  bulk_[addr].endpoint = rpc;
  bulk_[addr].bulk = true;
}

Router::~Router() {
  listeners_.clear();
  for (auto& [key, in] : inbound_) in->conn->Close("shutting down");
  for (Lane* lane : {&ordered_, &bulk_}) {
    for (auto& [addr, r] : *lane) {
      if (r.conn) r.conn->Close("shutting down");
    }
  }
}

void Router::AddLocal(const Address& addr, InstanceHost* host) {
  self_.push_back(addr);
  local_[addr] = host;
  ordered_.erase(addr);
  bulk_.erase(addr);
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
  const FaultBoard::Effect fx = faults_ ? faults_->OnEnvelope(e.from, e.to) : FaultBoard::Effect{};
  if (fx.copies == 0) return;  // lost on the way, as a packet is: nobody is told
  for (int copy = 0; copy < fx.copies; ++copy) {
    Envelope one = copy + 1 < fx.copies ? e : std::move(e);
    if (fx.delay.count() == 0) {
      Route(std::move(one));
      continue;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, fx.delay);
    timer->async_wait(
        [this, alive = std::weak_ptr<int>(alive_), timer, one = std::move(one)](boost::system::error_code ec) mutable {
          if (!ec && alive.lock()) Route(std::move(one));
        });
  }
}

void Router::Route(Envelope e) {
  if (local_.count(e.to)) {
    asio::post(io_, [this, e = std::move(e)] { Deliver(e); });
    return;
  }
  Lane& lane = LaneOf(e.bulk);
  auto it = lane.find(e.to);
  if (it == lane.end()) return Drop("no such instance in the config", {e});
  if (e.ByteSize() + kFrameHeaderBytes > LinkLimits(e.bulk).max_frame_bytes) {
    return Drop("larger than a link frame (" + std::to_string(e.ByteSize()) + " bytes)", {e});
  }
  Remote& r = it->second;
  const size_t bytes = e.ByteSize();
  const size_t max_bytes = e.bulk ? kMaxQueuedBytesBulk : kMaxQueuedBytesOrdered;
  if (r.queued.size() >= kMaxQueuedPerTarget || r.queued_bytes + bytes > max_bytes) {
    return Drop("the link's queue is full", {e});
  }
  r.queued_bytes += bytes;
  r.queued.push_back(std::move(e));
  if (r.conn && r.conn->open() && !r.connecting) return Pump(r);
  if (!r.connecting) Connect(it->first, r);
}

void Router::Pump(Remote& r) {
  while (!r.queued.empty() && r.conn->pending_bytes() < kLinkHighWaterBytes) {
    r.queued_bytes -= r.queued.front().ByteSize();
    r.conn->Write(EncodeWire(r.queued.front()));
    r.queued.pop_front();
  }
}

void Router::Deliver(const Envelope& e) {
  auto it = local_.find(e.to);
  if (it == local_.end()) return Drop("not served here", {e});
  it->second->Deliver(e);
}

void Router::Connect(const Address& to, Remote& r) {
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
                                  Secure(to, r, std::move(*socket));
                                });
                          });
}

void Router::Secure(const Address& to, Remote& r, tcp::socket socket) {
  // Reads handshake frames only, until the link has authenticated.
  if (!connect_tls_) return OnLinkUp(to, r, std::make_shared<FramedConnection>(std::move(socket), LinkLimits(false)));
  ConnectTls(
      std::move(socket), *connect_tls_, r.endpoint.host,
      [this, to, &r, alive = std::weak_ptr<int>(alive_)](std::unique_ptr<TlsStream> stream) {
        if (!alive.expired()) OnLinkUp(to, r, std::make_shared<FramedConnection>(std::move(stream), LinkLimits(false)));
      },
      [this, &r, alive = std::weak_ptr<int>(alive_)](const std::string& why) {
        if (!alive.expired()) Fail(r, "TLS: " + why);
      });
}

// The link is up; it carries envelopes once the handshake is done.
void Router::OnLinkUp(const Address& to, Remote& r, std::shared_ptr<FramedConnection> conn) {
  r.conn = std::move(conn);
  r.nonce_a.clear();
  std::weak_ptr<FramedConnection> weak = r.conn;
  std::weak_ptr<int> alive = alive_;
  r.conn->Start(
      [this, to, &r, weak](std::string_view body) {
        if (r.conn != weak.lock()) return;
        if (r.connecting) return OnHandshakeFrame(to, r, body);
        r.conn->Close("unexpected frame from the accepting side");
      },
      [this, to, &r, weak, alive](const std::string& why) {
        if (alive.expired() || r.conn != weak.lock()) return;
        if (r.connecting) return Fail(r, why);
        spdlog::info("router: link to {} closed: {}", ToString(to), why);
        if (!r.queued.empty()) Connect(to, r);  // what waits goes on a new link, or is reported lost
      });
  r.conn->set_on_drained([this, &r, weak, alive] {
    if (!alive.expired() && r.conn == weak.lock() && !r.connecting) Pump(r);
  });
}

void Router::OnHandshakeFrame(const Address& to, Remote& r, std::string_view body) {
  if (r.nonce_a.empty()) {
    rpc::LinkChallenge challenge;
    if (!challenge.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
        challenge.nonce().size() != kNonceBytes) {
      return r.conn->Close("no link challenge from the accepting side");
    }
    r.nonce_a = challenge.nonce();
    r.hello = MakeHello(secret_, r.nonce_a, NewNonce(), self_, to, r.bulk);
    return r.conn->Write(r.hello.SerializeAsString());
  }
  rpc::LinkWelcome welcome;
  if (!welcome.ParseFromArray(body.data(), static_cast<int>(body.size())) || welcome.mac().empty()) {
    rpc::LinkRefused refused;
    const bool said = refused.ParseFromArray(body.data(), static_cast<int>(body.size())) && !refused.reason().empty();
    return r.conn->Close("refused by " + r.endpoint.ToString() + ": " + (said ? refused.reason() : "no welcome"));
  }
  if (!VerifyWelcome(secret_, r.nonce_a, r.hello, welcome)) {
    spdlog::warn("router: {} at {} did not prove the deployment secret; nothing sent", ToString(to),
                 r.endpoint.ToString());
    return r.conn->Close("the accepting side did not prove the deployment secret");
  }
  r.connecting = false;
  Pump(r);
}

void Router::Fail(Remote& r, const std::string& why) {
  std::vector<Envelope> lost(std::make_move_iterator(r.queued.begin()), std::make_move_iterator(r.queued.end()));
  r.queued.clear();
  r.queued_bytes = 0;
  Drop("cannot reach " + r.endpoint.ToString() + ": " + why, lost);
  r.connecting = false;
  r.conn.reset();
}

Status Router::UseTls(const LinkTlsFiles& files) {
  if (Status s = LinkTlsContexts(files, &accept_tls_, &connect_tls_); !s.ok()) return s;
  for (const std::string& w : CertificateWarnings(*accept_tls_)) spdlog::warn("router: {}: {}", files.cert, w);
  return Status::Ok();
}

Status Router::Listen(const Endpoint& ep, uint16_t* port) {
  auto listener = std::make_unique<Listener>(io_, "router");
  if (Status s = listener->Bind(ep, port); !s.ok()) return s;
  listener->Start([this](tcp::socket socket) { OnInbound(std::move(socket)); });
  listeners_.push_back(std::move(listener));
  return Status::Ok();
}

void Router::Refuse(Inbound& in, const std::string& why) {
  ++refused_links_;
  spdlog::warn("router: link from {} refused: {}", in.peer, why);
  rpc::LinkRefused refused;
  refused.set_reason(why);
  in.conn->Write(refused.SerializeAsString());
  in.conn->CloseAfterFlush("link refused: " + why);
}

bool Router::Admit(Inbound& in, std::string_view body) {
  rpc::LinkHello hello;
  if (!hello.ParseFromArray(body.data(), static_cast<int>(body.size())) || !VerifyHello(secret_, in.nonce, hello)) {
    Refuse(in, "authentication failed (is the deployment secret the same on both sides?)");
    return false;
  }
  if (!local_.contains(hello.target())) {
    Refuse(in, ToString(hello.target()) + " is not served here");
    return false;
  }
  for (const auto& a : hello.instances()) in.senders.insert(ToString(a));
  rpc::LinkWelcome welcome = MakeWelcome(secret_, in.nonce, hello);
  in.conn->Write(welcome.SerializeAsString());
  in.bulk = hello.bulk();
  in.conn->set_max_frame_bytes(LinkLimits(in.bulk).max_frame_bytes);
  in.authenticated = true;
  in.handshake.cancel();
  --in_handshake_;
  return true;
}

void Router::OnInbound(tcp::socket socket) {
  FrameLimits limits = LinkLimits(false);
  limits.max_frame_bytes = kMaxHandshakeFrameBytes;
  if (!accept_tls_) return AcceptLink(std::make_shared<FramedConnection>(std::move(socket), limits));
  boost::system::error_code ec;
  if (tls_handshakes_ >= kMaxLinksInHandshake) {
    ++refused_links_;
    socket.close(ec);
    return;
  }
  ++tls_handshakes_;
  const auto ep = socket.remote_endpoint(ec);
  const std::string peer = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  AcceptTls(
      std::move(socket), *accept_tls_, kHandshakeTimeout,
      [this, limits, alive = std::weak_ptr<int>(alive_)](std::unique_ptr<TlsStream> stream) {
        if (alive.expired()) return;
        --tls_handshakes_;
        AcceptLink(std::make_shared<FramedConnection>(std::move(stream), limits));
      },
      [this, peer, alive = std::weak_ptr<int>(alive_)](const std::string& why) {
        if (alive.expired()) return;
        --tls_handshakes_;
        ++refused_links_;
        spdlog::warn("router: link from {} refused: TLS: {}", peer, why);
      });
}

void Router::AcceptLink(std::shared_ptr<FramedConnection> conn) {
  auto in = std::make_shared<Inbound>(io_);
  in->conn = std::move(conn);
  in->peer = in->conn->peer();
  if (in_handshake_ >= kMaxLinksInHandshake) {
    ++refused_links_;
    return in->conn->Close("too many links authenticating");
  }
  ++in_handshake_;
  in->nonce = NewNonce();
  inbound_[in->conn.get()] = in;
  std::weak_ptr<Inbound> weak = in;
  in->conn->Start(
      [this, weak](std::string_view body) {
        auto in = weak.lock();
        if (!in) return;
        if (!in->authenticated) {
          Admit(*in, body);
          return;
        }
        Envelope e;
        std::string error;
        if (!DecodeWire(body, &e, &error)) {
          ++dropped_;
          spdlog::warn("router: message from {} dropped: {}", in->peer, error);
          return;
        }
        if (!in->senders.contains(ToString(e.from))) {
          ++dropped_;
          return in->conn->Close("message from " + ToString(e.from) + ", not one of the link's instances");
        }
        e.bulk = in->bulk;
        Deliver(e);
      },
      [this, alive = std::weak_ptr<int>(alive_), key = in->conn.get()](const std::string& why) {
        if (alive.expired()) return;
        auto it = inbound_.find(key);
        if (it == inbound_.end()) return;
        if (!it->second->authenticated) --in_handshake_;
        spdlog::debug("router: link from {} closed: {}", it->second->peer, why);
        inbound_.erase(it);
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
