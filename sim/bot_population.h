// BotPopulation: the bots of workload.bots that one botapi instance owns
// (BotApiOf), simulated as the third-party programs they are. Each speaks
// HTTP to the instance over connections of its own, one request at a time
// on each: api.BotCall frames over the client link, as the live HTTP
// runtime hands requests to the core, so every request costs the instance
// what its role's client_frame and reply costs say.
//
// An echo bot long-polls getUpdates (timeout 25 s) on one connection and
// answers each message from a user with sendMessage of the same text on
// two others. The broadcast bot, from BotTraffic::BroadcastAt, sends one
// message to each of users 1 to broadcast_recipients in turn over
// broadcast_connections connections. A 429 holds its connection for the
// answer's retry_after, then the same request goes again; so does a 5xx,
// after 1 s doubling to 16 s (a send the server answered 5xx may have gone
// through: the Bot API has no idempotency key, so the retry can reach the
// user twice, as with Telegram's). A connection the instance closes (a
// crash) is opened again after a second and its request sent again. Answers are counted by method and status
// (BotTraffic).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "client_side.h"

namespace msgbed::sim {

class BotTraffic;
class ServiceNode;

class BotPopulation final : public ClientSide {
 public:
  BotPopulation(World* world, uint32_t botapi, const Placement& at);

  // REQUIRES: before Begin(). token: "<id>:<secret>".
  void AddBot(uint64_t id, std::string token, bool broadcast);
  // Connects the bots; echo bots start polling, the broadcast bot waits
  // for its time.
  void Begin(ServiceNode* botapi, BotTraffic* traffic);

  void OnServiceFrame(ConnId conn, const api::ServerFrame& frame) override;
  void OnClosed(ConnId conn) override;

 private:
  struct Call {
    std::string method;  // "getUpdates", "sendMessage"
    std::map<std::string, std::string> params;
  };
  struct Bot;
  struct Conn {
    Bot* bot = nullptr;
    ConnId id = 0;
    bool polls = false;  // the echo bot's getUpdates connection
    bool busy = false;   // a request in flight, or waiting out a 429
    Call call;           // ... that request
    uint64_t request_id = 0;
    double backoff = 0;  // seconds before sending again after a 5xx; 0: none in a row
  };
  struct Bot {
    uint64_t id = 0;
    std::string token;
    bool broadcast = false;
    int64_t offset = 0;           // getUpdates: the next update wanted
    std::deque<Call> replies;     // echo: waiting for a free connection
    uint64_t next_recipient = 0;  // broadcast: the next user (from 1); 0: not begun
    std::vector<Conn*> senders;
  };

  void Open(Conn& c);
  // Sends c's call, or (delay > 0) sends it after delay seconds.
  void Issue(Conn& c, double delay = 0);
  // c is free: gives it its bot's next call, if any.
  void Next(Conn& c);
  void Poll(Conn& c);
  void Answered(Conn& c, const api::BotAnswer& a);
  void Polled(Conn& c, const std::string& body);

  const uint32_t index_;
  ServiceNode* botapi_ = nullptr;
  BotTraffic* traffic_ = nullptr;
  std::vector<std::unique_ptr<Bot>> bots_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::unordered_map<ConnId, Conn*> by_id_;
  ConnId next_conn_ = 1;
  uint64_t next_request_ = 1;
};

}  // namespace msgbed::sim
