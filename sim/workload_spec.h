// WorkloadSpec: the offered load as a scenario's `workload:` section states
// it (docs/scenarios.md, "Workload"): who the users are (device counts,
// classes), when their devices are online (the connect ramp, sessions that
// end and resume), and how the message rate moves over the run (a curve of
// factors and a diurnal cycle).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/yaml_reader.h"

namespace msgbed::sim {

// A share of users with a relative message rate: a user of a class with
// rate 10 sends ten times as often as one with rate 1.
struct UserClass {
  std::string name;
  double share = 1;  // of users, normalised over the classes
  double rate = 1;
};

// A point of the rate curve: from `at` on, the base rate times `factor`,
// interpolated linearly to the next point.
struct RatePoint {
  double at = 0;
  double factor = 1;
};

// A channel of the run (`channels:`): users 1..members are its members
// from the start, and its creator, user 1, posts `posts_per_minute`
// (Poisson) over the loaded period. The summary reports how long each post
// takes to reach every member device that was online.
struct ChannelLoad {
  uint64_t members = 0;
  double posts_per_minute = 1;
  bool broadcast = true;
};

// `media:`: the viral-forwarding workload (docs/media.md). One file of
// `file_bytes` that user 1's first device uploads at `start` (the client's
// FileUpload: by hash first, then parts) and sends to a random user; then,
// at random times over the rest of the loaded period, `shares` times a random
// connected device sends it on to a random user: it asks by hash, finds
// it stored, uploads nothing and sends the document.
struct MediaLoad {
  uint64_t file_bytes = 0;  // 0: no media workload
  uint64_t shares = 0;
  double start = -1;  // -1: at connect_ramp
};

// `bots:` (docs/bots.md, "In the simulator"): third-party bots on the Bot
// API server, each a program speaking HTTP to the botapi instance that
// owns it. `echo` request/response bots long-poll getUpdates and answer
// each message with sendMessage to its sender; random connected devices
// write to a random one of them, `echo_messages_per_second` in all. The
// broadcast bot (with `broadcast_recipients` > 0) is started (/start) by
// users 1 to broadcast_recipients, each from its first device once that
// device first syncs, and at `broadcast_at` sends one message to each of
// them over `broadcast_connections` HTTP connections, waiting out each
// 429's retry_after before sending again.
struct BotLoad {
  static constexpr uint32_t kEchoConnections = 3;  // one polling, two sending
  uint32_t echo = 0;
  double echo_messages_per_second = 10;
  uint64_t broadcast_recipients = 0;
  double broadcast_at = -1;  // -1: at connect_ramp
  uint32_t broadcast_connections = 8;
  uint32_t count() const { return echo + (broadcast_recipients > 0 ? 1 : 0); }
};

// `groups:`: `count` basic groups of `members` users each (group k holds
// users k*members+1 to (k+1)*members), written full before the run. A
// message whose sender is in a group goes to it with probability `share`.
// A truncated power law of group sizes, min to max (sim/group_layout.h).
struct GroupSizeLaw {
  uint64_t min = 0, max = 0;  // max 0: not a law
  double alpha = 0;
};

struct GroupLoad {
  uint64_t count = 0;
  uint64_t members = 0;  // every group's size, unless sizes is a law
  GroupSizeLaw sizes;    // or each group's size drawn from it (sim/group_layout.h)
  bool drawn() const { return sizes.max != 0; }
  double share = 0;
};

struct WorkloadSpec {
  uint64_t users = 1000;
  uint32_t devices_per_user = 2;                            // when device_weights is empty
  std::vector<std::pair<uint32_t, double>> device_weights;  // (devices, weight): a user's device count is drawn
  double online_share = 0.9;         // devices online from the start; the rest join during the run
  double messages_per_second = 200;  // the base offered load, all users together
  uint32_t text_bytes = 100;
  double connect_ramp = 1.0;        // seconds over which the initially online devices connect
  double ack_delay = 1.0;           // devices acknowledge updates at most this often (0: every frame)
  double quiet_resync = 30;         // a device that heard nothing this long asks getDifference (0: never)
  double ui_tick = 1.0 / 60;        // devices render what they were delivered at their next tick (0: at once)
  std::vector<UserClass> classes;   // empty: every user alike
  std::vector<RatePoint> rate;      // by time; empty: a factor of 1
  double diurnal_period = 0;        // 0: no diurnal cycle
  double diurnal_low = 1;           // the factor at the trough (1 at the peak)
  double diurnal_peak = 0;          // the time of the peak, within the period
  double session_online = 0;        // mean of a device's sessions (exponential); 0: it stays online
  double session_offline = 0;       // mean of its gaps between sessions
  double sign_ins_per_hour = 0;     // devices whose session ended and that sign in again by SMS code
  double new_devices_per_hour = 0;  // users who add a device, which signs in by SMS code and syncs
  double password_share = 0;        // users with a cloud password: their sign-ins check it too
  std::vector<ChannelLoad> channels;
  GroupLoad groups;
  MediaLoad media;
  BotLoad bots;
  // Shares of the arrivals that, instead of a new message, are an edit or
  // a deletion (for everyone) of the sender's last message, a read mark of
  // the chat (private or group) it last received a message in, or a forward
  // of that message to a peer drawn as a new message's (`actions:`).
  double edit_share = 0, delete_share = 0, read_share = 0, forward_share = 0;
  double ActionShares() const { return edit_share + delete_share + read_share + forward_share; }

  // The factor on messages_per_second at simulated time t.
  double RateFactor(double t) const;
  // An upper bound of RateFactor over every t.
  double MaxRateFactor() const;
  // The mean number of devices of a user.
  double MeanDevices() const;
  // Devices expected in a run this long: the users' and those added.
  double Devices(double duration) const {
    return static_cast<double>(users) * MeanDevices() + new_devices_per_hour * duration / 3600;
  }
  // Whether every user sends alike (no classes, one device count): then
  // choosing a sender needs no weighting.
  bool Uniform() const { return classes.size() <= 1 && device_weights.size() <= 1; }
};

// Reads `workload:` (absent: the defaults). Throws InputError naming the
// file, line and key.
void ReadWorkload(const YamlReader& r, const YAML::Node& w, WorkloadSpec* spec);

}  // namespace msgbed::sim
