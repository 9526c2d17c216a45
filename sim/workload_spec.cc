#include "workload_spec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <set>

#include "messages/message_service.h"

namespace msgbed::sim {

double WorkloadSpec::RateFactor(double t) const {
  double f = 1;
  if (!rate.empty()) {
    auto next = std::upper_bound(rate.begin(), rate.end(), t, [](double x, const RatePoint& p) { return x < p.at; });
    if (next == rate.begin()) {
      f = next->factor;
    } else if (next == rate.end()) {
      f = rate.back().factor;
    } else {
      const RatePoint& a = *(next - 1);
      f = a.factor + (next->factor - a.factor) * (t - a.at) / (next->at - a.at);
    }
  }
  if (diurnal_period > 0) {
    const double phase = 2 * std::numbers::pi * (t - diurnal_peak) / diurnal_period;
    f *= diurnal_low + (1 - diurnal_low) * (1 + std::cos(phase)) / 2;
  }
  return f;
}

double WorkloadSpec::MaxRateFactor() const {
  double f = 1;
  if (!rate.empty()) {
    f = std::max_element(rate.begin(), rate.end(), [](const RatePoint& a, const RatePoint& b) {
          return a.factor < b.factor;
        })->factor;
  }
  return f;
}

double WorkloadSpec::MeanDevices() const {
  if (device_weights.empty()) return devices_per_user;
  double total = 0, weighted = 0;
  for (const auto& [n, w] : device_weights) {
    total += w;
    weighted += n * w;
  }
  return weighted / total;
}

namespace {

using Reader = YamlReader;

// `devices_per_user: 2`, or weights by count: `{1: 50, 2: 35, 3: 15}`.
void ReadDevices(const Reader& r, const YAML::Node& w, WorkloadSpec* spec) {
  const YAML::Node n = w["devices_per_user"];
  if (!n.IsDefined() || !n.IsMap()) {
    r.Count(w, "workload", "devices_per_user", &spec->devices_per_user);
    if (spec->devices_per_user > 64) r.Fail(n, "workload.devices_per_user", "at most 64 devices per user");
    return;
  }
  const std::string path = "workload.devices_per_user";
  if (n.size() == 0) r.Fail(n, path, "expected a count, or weights by device count like {1: 60, 2: 40}");
  std::set<uint32_t> seen;
  for (const auto& kv : n) {
    const std::string key = r.Scalar(kv.first, path);
    uint32_t devices = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), devices);
    if (ec != std::errc() || end != key.data() + key.size() || devices < 1 || devices > 64) {
      r.Fail(kv.first, path, "'" + key + "' is not a device count from 1 to 64");
    }
    double weight = 0;
    r.Number(n, path, key, &weight, 0, 1e18);
    if (!seen.insert(devices).second) r.Fail(kv.first, path, "device count " + key + " given twice");
    if (weight > 0) spec->device_weights.emplace_back(devices, weight);
  }
  if (spec->device_weights.empty()) r.Fail(n, path, "every weight is 0");
  std::sort(spec->device_weights.begin(), spec->device_weights.end());
}

// `classes: [{name: heavy, share: 0.1, rate: 10}, ...]`.
void ReadClasses(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string path = "workload.classes";
  if (!n.IsSequence() || n.size() == 0) r.Fail(n, path, "expected a list of {name, share, rate}");
  if (n.size() > 255) r.Fail(n, path, "at most 255 classes");
  std::set<std::string> names;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    r.OnlyKeys(n[i], p, {"name", "share", "rate"});
    UserClass c;
    c.name = r.Scalar(r.Required(n[i], p, "name", "every class needs a name"), p + ".name");
    if (c.name.empty()) r.Fail(n[i]["name"], p + ".name", "a class needs a name");
    if (!names.insert(c.name).second) r.Fail(n[i]["name"], p + ".name", "duplicate class '" + c.name + "'");
    r.Required(n[i], p, "share", "the class's share of users");
    r.Number(n[i], p, "share", &c.share, 1e-12, 1e18);
    r.Number(n[i], p, "rate", &c.rate, 1e-12, 1e18);
    spec->classes.push_back(c);
  }
}

// `rate: [{at: 0s, factor: 1}, {at: 10s, factor: 10}, ...]`, times not decreasing.
void ReadRate(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string path = "workload.rate";
  if (!n.IsSequence() || n.size() == 0) r.Fail(n, path, "expected a list of {at, factor}");
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    r.OnlyKeys(n[i], p, {"at", "factor"});
    RatePoint pt;
    r.Required(n[i], p, "at", "when the factor applies");
    r.Required(n[i], p, "factor", "the factor on messages_per_second");
    r.DurationOrZero(n[i], p, "at", &pt.at);
    r.Number(n[i], p, "factor", &pt.factor, 0, 1e6);
    if (!spec->rate.empty() && pt.at < spec->rate.back().at)
      r.Fail(n[i]["at"], p + ".at", "earlier than the point before");
    spec->rate.push_back(pt);
  }
}

// `diurnal: {period: 24h, low: 0.3, peak: 20h}`.
void ReadDiurnal(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string path = "workload.diurnal";
  r.OnlyKeys(n, path, {"period", "low", "peak"});
  r.Required(n, path, "period", "the length of a day, like 24h");
  r.Duration(n, path, "period", &spec->diurnal_period);
  spec->diurnal_low = 0.3;
  r.Number(n, path, "low", &spec->diurnal_low, 0, 1);
  r.DurationOrZero(n, path, "peak", &spec->diurnal_peak);
}

// `sessions: {online: 10min, offline: 30min}`: both or neither.
void ReadSessions(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string path = "workload.sessions";
  r.OnlyKeys(n, path, {"online", "offline"});
  r.Required(n, path, "online", "the mean length of a device's session");
  r.Required(n, path, "offline", "the mean time a device stays away between sessions");
  r.Duration(n, path, "online", &spec->session_online);
  r.Duration(n, path, "offline", &spec->session_offline);
  // Shorter sessions than a connection takes to open make no sense, and
  // would flood the run with connects.
  auto at_least_100ms = [&](const char* key, double v) {
    if (v < 0.1) r.Fail(n[key], path + "." + key, "at least 100ms");
  };
  at_least_100ms("online", spec->session_online);
  at_least_100ms("offline", spec->session_offline);
}

// `sign_ins: {per_hour: 3600, new_devices_per_hour: 600, with_password: 0.2}`.
void ReadSignIns(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string path = "workload.sign_ins";
  r.OnlyKeys(n, path, {"per_hour", "new_devices_per_hour", "with_password"});
  if (!n.IsMap() || (!n["per_hour"].IsDefined() && !n["new_devices_per_hour"].IsDefined())) {
    r.Fail(n, path,
           "give per_hour (devices that sign in again by SMS code per simulated hour), new_devices_per_hour (users "
           "adding a device), or both");
  }
  r.Number(n, path, "per_hour", &spec->sign_ins_per_hour, 0, 1e8);
  r.Number(n, path, "new_devices_per_hour", &spec->new_devices_per_hour, 0, 1e8);
  r.Number(n, path, "with_password", &spec->password_share, 0, 1);
}

// `channels: [{members: 200000, posts_per_minute: 6, broadcast: true}]`.
void ReadChannels(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string path = "workload.channels";
  if (!n.IsSequence() || n.size() == 0) r.Fail(n, path, "expected a list of {members, posts_per_minute}");
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    r.OnlyKeys(n[i], p, {"members", "posts_per_minute", "broadcast"});
    ChannelLoad c;
    r.Required(n[i], p, "members", "how many users (users 1 to members) are in the channel");
    r.Count(n[i], p, "members", &c.members);
    if (c.members < 2 || c.members > spec->users) {
      r.Fail(n[i]["members"], p + ".members", "from 2 to workload.users (" + std::to_string(spec->users) + ")");
    }
    // More than ten posts a second from one device would only measure the
    // gateway's flood limit.
    r.Number(n[i], p, "posts_per_minute", &c.posts_per_minute, 0, 600);
    r.Bool(n[i], p, "broadcast", &c.broadcast);
    if (!c.broadcast && c.members > kMaxSupergroupMembers) {
      r.Fail(n[i]["members"], p + ".members", "a supergroup (broadcast: false) has at most 200000 members");
    }
    spec->channels.push_back(c);
  }
}

// members: {min: 3, max: 200, alpha: 2}, a power law of group sizes.
void ReadGroupSizes(const Reader& r, const YAML::Node& n, GroupSizeLaw* law) {
  const std::string p = "workload.groups.members";
  r.OnlyKeys(n, p, {"min", "max", "alpha"});
  r.Required(n, p, "min", "the smallest group");
  r.Required(n, p, "max", "the largest group");
  r.Required(n, p, "alpha", "the power law's exponent: P(size n) ~ n^-alpha");
  r.Count(n, p, "min", &law->min);
  r.Count(n, p, "max", &law->max);
  r.Number(n, p, "alpha", &law->alpha, 0, 10);
  if (law->min < 2 || law->max > kMaxGroupMembers || law->min > law->max) {
    r.Fail(n, p, "min <= max, both from 2 to 200 (Telegram's limit)");
  }
}

// groups: {count: 10, members: 20, share: 0.3}; members may be a law.
void ReadGroups(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string p = "workload.groups";
  r.OnlyKeys(n, p, {"count", "members", "share"});
  GroupLoad& g = spec->groups;
  r.Required(n, p, "count", "how many basic groups");
  r.Required(n, p, "members", "users per group, or sizes drawn from {min, max, alpha}");
  r.Required(n, p, "share", "the share of a member's messages that go to its group");
  r.Count(n, p, "count", &g.count);
  r.Number(n, p, "share", &g.share, 0, 1);
  if (n["members"].IsMap()) {
    ReadGroupSizes(r, n["members"], &g.sizes);
  } else {
    r.Count(n, p, "members", &g.members);
    if (g.members < 2 || g.members > kMaxGroupMembers)
      r.Fail(n["members"], p + ".members", "from 2 to 200 (Telegram's limit)");
  }
  // Drawn sizes are checked against the users when drawn (GroupLayout).
  const uint64_t least = g.drawn() ? g.sizes.min : g.members;
  if (g.count > spec->users / least) {
    r.Fail(n["count"], p + ".count",
           std::to_string(g.count) + " groups of " + (g.drawn() ? "at least " : "") + std::to_string(least) + " take " +
               std::to_string(g.count * least) + " users and workload.users is " + std::to_string(spec->users) +
               " (a user is in one group)");
  }
}

// actions: {edits: 0.05, deletes: 0.01, reads: 0.3, forwards: 0.02}: shares
// of the arrivals.
void ReadActions(const Reader& r, const YAML::Node& a, WorkloadSpec* spec) {
  if (!a.IsDefined()) return;
  const std::string p = "workload.actions";
  r.OnlyKeys(a, p, {"edits", "deletes", "reads", "forwards"});
  r.Number(a, p, "edits", &spec->edit_share, 0, 1);
  r.Number(a, p, "deletes", &spec->delete_share, 0, 1);
  r.Number(a, p, "reads", &spec->read_share, 0, 1);
  r.Number(a, p, "forwards", &spec->forward_share, 0, 1);
  if (spec->ActionShares() > 1)
    r.Fail(a, p, "edits, deletes, reads and forwards are shares of the arrivals: together at most 1");
}

// media: {file_bytes: 20MB, shares: 1000000, start: 2s}
void ReadMedia(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string p = "workload.media";
  r.OnlyKeys(n, p, {"file_bytes", "shares", "start"});
  r.Required(n, p, "file_bytes", "the size of the file that goes viral");
  size_t bytes = 0;
  r.Bytes(n, p, "file_bytes", &bytes, double(2ull << 30));
  if (bytes == 0) r.Fail(n["file_bytes"], p + ".file_bytes", "at least 1B");
  spec->media.file_bytes = bytes;
  // 0 (the default) to 100 million: more would run for days.
  double shares = 0;
  r.Number(n, p, "shares", &shares, 0, 1e8);
  if (shares != std::floor(shares)) r.Fail(n["shares"], p + ".shares", "a whole number, 0 to 100000000");
  spec->media.shares = static_cast<uint64_t>(shares);
  if (n["start"].IsDefined()) r.DurationOrZero(n, p, "start", &spec->media.start);
}

// bots: {echo: {count: 4, messages_per_second: 50},
//        broadcast: {recipients: 100000, at: 10s, connections: 8}}
void ReadBots(const Reader& r, const YAML::Node& n, WorkloadSpec* spec) {
  if (!n.IsDefined()) return;
  const std::string p = "workload.bots";
  r.OnlyKeys(n, p, {"echo", "broadcast"});
  BotLoad& b = spec->bots;
  if (const YAML::Node echo = n["echo"]; echo.IsDefined()) {
    const std::string e = p + ".echo";
    r.OnlyKeys(echo, e, {"count", "messages_per_second"});
    r.Required(echo, e, "count", "how many echo bots");
    r.Count(echo, e, "count", &b.echo);
    if (b.echo > 1000) r.Fail(echo["count"], e + ".count", "at most 1000");
    r.Number(echo, e, "messages_per_second", &b.echo_messages_per_second, 0, 1e6);
  }
  if (const YAML::Node cast = n["broadcast"]; cast.IsDefined()) {
    const std::string c = p + ".broadcast";
    r.OnlyKeys(cast, c, {"recipients", "at", "connections"});
    r.Required(cast, c, "recipients", "how many users the broadcast bot writes to (users 1 to recipients)");
    r.Count(cast, c, "recipients", &b.broadcast_recipients);
    if (b.broadcast_recipients > spec->users)
      r.Fail(cast["recipients"], c + ".recipients", "at most workload.users (" + std::to_string(spec->users) + ")");
    r.DurationOrZero(cast, c, "at", &b.broadcast_at);
    r.Count(cast, c, "connections", &b.broadcast_connections);
    if (b.broadcast_connections > 100) r.Fail(cast["connections"], c + ".connections", "at most 100");
  }
}

}  // namespace

void ReadWorkload(const Reader& r, const YAML::Node& w, WorkloadSpec* spec) {
  if (!w.IsDefined()) return;
  const std::string p = "workload";
  r.OnlyKeys(w, p,
             {"users", "devices_per_user", "online_share", "messages_per_second", "text_bytes", "connect_ramp",
              "ack_delay", "quiet_resync", "ui_tick", "classes", "rate", "diurnal", "sessions", "sign_ins", "channels",
              "groups", "actions", "media", "bots"});
  r.Count(w, p, "users", &spec->users);
  ReadDevices(r, w, spec);
  r.Number(w, p, "online_share", &spec->online_share, 0, 1);
  r.Number(w, p, "messages_per_second", &spec->messages_per_second, 0, 1e9);
  r.Count(w, p, "text_bytes", &spec->text_bytes);
  if (spec->text_bytes > 4096)
    r.Fail(w["text_bytes"], "workload.text_bytes", "at most 4096 (the message service refuses longer texts)");
  r.DurationOrZero(w, p, "connect_ramp", &spec->connect_ramp);
  r.DurationOrZero(w, p, "ack_delay", &spec->ack_delay);
  r.DurationOrZero(w, p, "quiet_resync", &spec->quiet_resync);
  // Shorter would have every device polling all the time (and 1ns rounds
  // to "never" in microseconds).
  if (spec->quiet_resync != 0 && spec->quiet_resync < 0.1)
    r.Fail(w["quiet_resync"], "workload.quiet_resync", "at least 100ms, or 0 (never)");
  r.DurationOrZero(w, p, "ui_tick", &spec->ui_tick);
  if (spec->ui_tick > 1) r.Fail(w["ui_tick"], "workload.ui_tick", "at most 1s (a screen redraws faster)");
  ReadClasses(r, w["classes"], spec);
  ReadRate(r, w["rate"], spec);
  ReadDiurnal(r, w["diurnal"], spec);
  ReadSessions(r, w["sessions"], spec);
  ReadSignIns(r, w["sign_ins"], spec);
  if (spec->users < 2) r.Fail(w["users"], "workload.users", "need at least 2 users to chat");
  ReadChannels(r, w["channels"], spec);
  ReadGroups(r, w["groups"], spec);
  ReadActions(r, w["actions"], spec);
  ReadMedia(r, w["media"], spec);
  ReadBots(r, w["bots"], spec);
}

}  // namespace msgbed::sim
