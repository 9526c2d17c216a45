// BotTraffic: workload.bots (BotLoad in sim/workload_spec.h) from the
// users' side, and what the run measured of the bots (summary "bots").
//
// Bot ids follow the users': echo bots users+1 to users+echo, then the
// broadcast bot. Users' messages to bots are known by their random ids
// (Sending) until answered, and messages in chats with bots by their
// sender or peer, so the Recorder, which checks the chat traffic between
// users, never sees bot chats; the boxes are checked whole all the same
// (sim/invariants.cc reads the bots' boxes too).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/rng.h"
#include "proto/client_api.pb.h"

namespace msgbed::sim {

class Node;
class World;

class BotTraffic {
 public:
  explicit BotTraffic(World* world);

  uint64_t EchoBot(uint32_t k) const;  // k < echo
  uint64_t BroadcastBot() const;       // REQUIRES: a broadcast bot
  double BroadcastAt() const;          // when the broadcast bot begins
  // Recipients the broadcast bot has not had an answer for (0 without one).
  uint64_t BroadcastUnsent() const;
  // Users' messages to echo bots neither answered by their bot nor refused.
  uint64_t EchoUnanswered() const { return unreplied_.size(); }
  // Schedules the users' messages to the echo bots.
  void Begin(Node* clock);

  // What the users' devices (Population) report. `device` is the run's
  // index of the device.
  // Its first sync: the broadcast bot's recipients start it from their
  // first device.
  void FirstSynced(uint64_t user, uint64_t device);
  // A message of a chat with a bot reached a device of user.
  void Delivered(const api::Message& m, uint64_t user, uint64_t device);
  // Whether random_id is a user's message to a bot still unanswered.
  bool Sending(uint64_t random_id) const { return sending_.contains(random_id); }
  // The server stored it, or gave up on it.
  void Acked(uint64_t random_id);
  void SendFailed(uint64_t random_id);

  // What the bots report (BotPopulation).
  void Answered(const std::string& method, uint32_t status);
  // An echo bot's sendMessage of `text` was answered 200.
  void Replied(const std::string& text);
  // The broadcast bot's sendMessage to recipient was answered with status
  // (5xx: it sends again).
  void Broadcast(uint32_t status, uint64_t recipient);
  void Retried5xx(bool broadcast) { ++(broadcast ? counts_.broadcast_5xx : counts_.echo_5xx); }
  void RetryAfter(double seconds) { counts_.retry_after_s += seconds; }
  void Reconnected() { ++counts_.reconnects; }

  struct Counts {
    uint64_t to_echo_bots = 0;     // users' messages to echo bots
    uint64_t nobody_ready = 0;     // arrivals that found no connected, up-to-date device in 16 draws
    uint64_t acked = 0;            // users' messages to echo bots the server stored
    uint64_t starts_acked = 0;     // ... and /starts to the broadcast bot
    uint64_t send_failed = 0;      // ... it refused or never answered
    uint64_t echo_replies = 0;     // sendMessage answered 200 to an echo bot
    uint64_t starts = 0;           // /starts sent to the broadcast bot
    uint64_t echo_5xx = 0;         // echo bots' requests answered 5xx, sent again
    uint64_t broadcast_sent = 0;   // recipients a sendMessage to whom was answered 200
    uint64_t broadcast_again = 0;  // ... answered 200 again (a retry of a send that had gone through)
    uint64_t broadcast_forbidden = 0, broadcast_failed = 0, broadcast_429 = 0;
    uint64_t broadcast_5xx = 0;         // answered 5xx, sent again
    uint64_t broadcast_duplicates = 0;  // recipients' first devices given the message again (a retried 5xx)
    uint64_t starts_before = 0;         // /starts stored before the broadcast began
    double broadcast_first = -1, broadcast_last = -1;  // first and last 200, simulated s
    double retry_after_s = 0;                          // waited in all because of 429s
    uint64_t reconnects = 0;                           // connections the server closed, opened again
    uint64_t deliveries = 0;                           // messages of chats with bots that reached devices
  };
  const Counts& counts() const { return counts_; }
  // The summary's "bots" section.
  nlohmann::ordered_json Json() const;

 private:
  void ScheduleEcho(double after);
  void Echo();

  World* world_;
  Node* clock_ = nullptr;
  Rng rng_;
  std::unordered_set<uint64_t> sending_;    // random ids of users' messages to bots, unanswered
  std::unordered_set<uint64_t> unreplied_;  // random ids of users' messages to echo bots, not echoed yet
  std::vector<bool> reached_;               // by recipient: its first device has the broadcast
  std::vector<bool> sent_to_;               // by recipient: a sendMessage to it answered 200
  std::unordered_map<uint64_t, std::pair<double, uint64_t>> waiting_;  // random id -> (sent at, device)
  std::vector<double> round_trips_;                                    // user's message -> the echo on its device
  std::vector<double> broadcast_deliveries_;  // broadcast start -> the recipient's first device has it
  std::map<std::string, std::map<uint32_t, uint64_t>> answers_;  // method -> HTTP status -> count
  Counts counts_;
};

// What a reader of a summary with "bots" should know: a broadcast or echo
// messages unfinished at the end, and the facts that may say why.
void BotWarnings(const nlohmann::ordered_json& summary, nlohmann::ordered_json* warnings);

// The printed summary's line for "bots".
void PrintBots(const nlohmann::ordered_json& bots, std::ostream& out);

}  // namespace msgbed::sim
