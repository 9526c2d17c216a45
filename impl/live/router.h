// Router: carries Envelopes between service instances. A local target gets
// the message through asio::post (so the sender's handler returns first, as
// Env requires); a remote one as an rpc.Wire over a FramedConnection to its
// rpc endpoint, one connection per target and lane: the ordered lane (frames
// up to 1 MiB) keeps each pair's send order; the bulk lane (Env::Transfer,
// frames up to 64 MiB) is a second connection, so a transfer never holds up
// ordinary messages and TCP shares the network between the two.
//
// Links are authenticated (link_auth.h): the accepting side delivers
// nothing from a connection until it has proved it holds the deployment
// secret, and closes it otherwise.
//
// Delivery is best effort, as Env::Send promises; every message not
// delivered is counted in dropped() and logged: one for an instance not in
// the config, one too large for a link (never sent, so the link stays up
// for everyone else), those queued for a target that cannot be reached or
// beyond kMaxQueuedPerTarget while connecting. Each is reported to its
// sender's host (InstanceHost::Undeliverable), so a call fails at once with
// UNAVAILABLE. The next Send after a failed connect tries again.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "core/address.h"
#include "host/instance_host.h"
#include "live/config.h"
#include "live/fault_board.h"
#include "live/framed_connection.h"
#include "live/listener.h"

namespace msgbed::live {

class Router {
 public:
  // Envelopes wait in the router, per target and lane, while the link
  // connects or while it has kLinkHighWaterBytes unsent (a large transfer
  // must not push the link over its own bound); beyond these, one is
  // refused at once (its call ends UNAVAILABLE).
  static constexpr size_t kMaxQueuedPerTarget = 10000;
  static constexpr size_t kMaxQueuedBytesOrdered = 64u << 20;
  static constexpr size_t kMaxQueuedBytesBulk = 1u << 30;
  static constexpr size_t kLinkHighWaterBytes = 8u << 20;
  // A link that has not authenticated by then is closed.
  static constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
  // Before authenticating, a link may send frames this small only (a hello
  // is about a hundred bytes), and this many links may be at that stage.
  static constexpr size_t kMaxHandshakeFrameBytes = 4096;
  static constexpr size_t kMaxLinksInHandshake = 64;

  // secret: the deployment secret (empty when the process serves everything
  // and never links to another).
  Router(asio::io_context& io, const LiveConfig& config, std::string secret);
  // Closes every link, so peers see this instance go at once.
  ~Router();

  void AddLocal(const Address& addr, InstanceHost* host);
  // An instance that joined the deployment (a reshape): where to reach it
  // from the next connect on.
  void AddRemote(const Address& addr, const Endpoint& rpc);
  // Mutual TLS 1.3 on every link from now on (security.tls): a peer
  // without a certificate the deployment's CA signed is refused before
  // the secret's handshake. An error names the file at fault.
  Status UseTls(const LinkTlsFiles& files);
  bool tls() const { return accept_tls_ != nullptr; }
  // Accepts links from other processes on ep; returns the bound port.
  Status Listen(const Endpoint& ep, uint16_t* port);
  void Send(Envelope e);
  // Injected link and partition faults apply to what this router sends
  // from now on. REQUIRES: board outlives the router.
  void SetFaults(FaultBoard* board) { faults_ = board; }

  uint64_t dropped() const { return dropped_; }
  uint64_t refused_links() const { return refused_links_; }

 private:
  struct Inbound;
  struct Remote {
    Endpoint endpoint;
    bool bulk = false;                       // the lane
    std::shared_ptr<FramedConnection> conn;  // null when not connected
    bool connecting = false;                 // until the acceptor's welcome checks out
    std::string nonce_a;                     // the acceptor's challenge, once received
    rpc::LinkHello hello;                    // what we answered it with
    std::deque<Envelope> queued;             // waiting for the link, or for it to drain
    size_t queued_bytes = 0;
  };
  // The links of one lane, by target.
  using Lane = std::map<Address, Remote, AddressLess>;
  Lane& LaneOf(bool bulk) { return bulk ? bulk_ : ordered_; }
  void Deliver(const Envelope& e);
  // Send, past the injected faults.
  void Route(Envelope e);
  // Writes queued envelopes while the link has room.
  void Pump(Remote& r);
  void Connect(const Address& to, Remote& r);
  // TLS if set (then OnLinkUp), else OnLinkUp at once.
  void Secure(const Address& to, Remote& r, tcp::socket socket);
  void OnLinkUp(const Address& to, Remote& r, std::shared_ptr<FramedConnection> conn);
  // The connecting side of the handshake: a challenge, then a welcome.
  void OnHandshakeFrame(const Address& to, Remote& r, std::string_view body);
  // The accepting side: a hello; true once the link may carry envelopes.
  bool Admit(Inbound& in, std::string_view body);
  void Refuse(Inbound& in, const std::string& why);
  void Fail(Remote& r, const std::string& why);
  // Counts, logs and reports to their senders envelopes that will not arrive.
  void Drop(const std::string& what, const std::vector<Envelope>& lost);
  void OnInbound(tcp::socket socket);
  // An accepted link (its TLS handshake done, if any): the secret's handshake next.
  void AcceptLink(std::shared_ptr<FramedConnection> conn);

  asio::io_context& io_;
  const std::string secret_;
  std::vector<Address> self_;  // named in our hellos: every local instance
  std::map<Address, InstanceHost*, AddressLess> local_;
  Lane ordered_, bulk_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::shared_ptr<ssl::context> accept_tls_, connect_tls_;  // null: plain TCP
  // Links accepted from other processes, until they close. Owned here, so
  // that stopping the router frees them even if their close never runs.
  std::map<const FramedConnection*, std::shared_ptr<Inbound>> inbound_;
  // Expires with this object: link callbacks that run later check it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  FaultBoard* faults_ = nullptr;
  uint64_t dropped_ = 0;
  uint64_t refused_links_ = 0;
  size_t in_handshake_ = 0;    // inbound links not yet authenticated
  size_t tls_handshakes_ = 0;  // inbound TLS handshakes in progress (at most kMaxLinksInHandshake)
};

}  // namespace msgbed::live
