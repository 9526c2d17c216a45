// Recorder: what a simulated run measured, from the devices' side.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <unordered_set>
#include <vector>

#include "histogram.h"
#include "time_series.h"

namespace msgbed::sim {

// Percentiles of a sample set, in milliseconds. `unfinished` samples did
// not end within the run: they rank above every finished one, and a
// percentile that falls among them is NaN ("longer than the run"), never
// a figure biased low by leaving them out. No samples at all: NaN too.
struct Percentiles {
  uint64_t count = 0, unfinished = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  static Percentiles Of(std::vector<double> seconds, uint64_t unfinished = 0);
};

class Recorder {
 public:
  // Latencies are measured for messages sent from `warmup` on; counts
  // cover the whole run.
  // end: when the run stops (duration + drain); what a device would show
  // only later was not shown in the run.
  explicit Recorder(double warmup = 0, double end = std::numeric_limits<double>::infinity())
      : warmup_(warmup), end_(end) {}

  // Whether user is a member of basic group chat (workload.groups); unset: no groups.
  std::function<bool(uint64_t user, uint64_t chat)> in_group;

  // device: the sending device (any id unique among the run's devices).
  void Sent(uint64_t random_id, double now, uint64_t from_user, uint64_t peer, uint64_t device) {
    series.Sent(now);
    sent_messages_[random_id] = {now, device, from_user, peer};
    ++sent_;
    measured_sent_ += now >= warmup_;
  }
  void Acked(uint64_t random_id, double now) {
    ++acked_;
    acked_ids_.push_back(random_id);
    const double sent = SentAt(random_id);
    series.Acked(now, now - sent);
    if (sent < warmup_) return;
    send_to_ack_.push_back(now - sent);
    ack_histogram_.Add(now - sent);
  }
  // What a device was shown: a message of a chat its user must be in (by
  // what the workload sent, not by what the message says), at a pts above
  // any it had reached.
  void Shown(uint64_t device_user, uint64_t random_id, bool pts_went_back) {
    const auto [from, peer] = ChatOf(random_id);
    if (device_user != from && device_user != peer && !(in_group && in_group(device_user, peer))) ++foreign_;
    if (pts_went_back) ++out_of_order_;
  }
  // A forward (workload.actions) from_user sent to peer as random_id: a
  // message of that chat, measured where it is delivered; stored: the
  // server answered it (its copies are then checked like acknowledged
  // messages'). Not counted as sent or acknowledged.
  void Forwarded(uint64_t random_id, double now, uint64_t from_user, uint64_t peer, uint64_t device) {
    sent_messages_[random_id] = {now, device, from_user, peer};
  }
  void ForwardStored(uint64_t random_id) { acked_ids_.push_back(random_id); }
  // A delivery to a device that was connected when the message was sent
  // counts for latency; one that reached it through catch-up does not.
  // visible_at: when the device's UI shows it (its next render tick).
  void Delivered(uint64_t random_id, double now, double device_connected_at, double visible_at) {
    const double sent = SentAt(random_id);
    if (Online(sent, device_connected_at)) {
      ++delivered_online_;
      series.Delivered(now, now - sent);
      if (sent < warmup_) return;
      send_to_delivered_.push_back(now - sent);
      if (visible_at <= end_) {
        send_to_visible_.push_back(visible_at - sent);
      } else {
        ++shown_after_end_;
      }
      delivered_histogram_.Add(now - sent);
    } else {
      ++caught_up_;
      series.Delivered(now, -1);  // a catch-up: counted, no latency
    }
  }
  // Whether random_id, in the box of `device` (connected since
  // device_connected_at, -1: not connected) but not delivered to it by the
  // end, is an unfinished send_to_delivered sample: sent by another device
  // while this one was online, from the warm-up on.
  bool OwedSample(uint64_t random_id, uint64_t device, double device_connected_at) const {
    auto it = sent_messages_.find(random_id);
    if (it == sent_messages_.end() || it->second.device == device) return false;
    return it->second.at >= warmup_ && Online(it->second.at, device_connected_at);
  }
  // Each message sent from the warm-up on that the server never answered:
  // f(random_id, sent_at, sending_device), in no particular order.
  template <typename F>
  void ForEachUnansweredMeasured(F&& f) const {
    const std::unordered_set<uint64_t> answered(acked_ids_.begin(), acked_ids_.end());
    for (const auto& [id, m] : sent_messages_) {
      if (m.at >= warmup_ && !answered.contains(id)) f(id, m.at, m.device);
    }
  }
  static bool Online(double sent, double device_connected_at) {
    return device_connected_at >= 0 && device_connected_at <= sent;
  }
  // A late device caught up `seconds` after it connected at `connected`.
  void Synced(double connected, double seconds) {
    if (connected >= warmup_) offline_sync_.push_back(seconds);
  }
  // The workload offered a message (before any device acts on it): counted,
  // and folded into a digest of the offered load, so runs can show they
  // offered the same messages at the same times.
  void Offered(double now, uint64_t from_user, uint64_t from_device, uint64_t peer, uint64_t random_id) {
    ++offered_;
    for (uint64_t v : {static_cast<uint64_t>(now * 1e6 + 0.5), from_user, from_device, peer, random_id}) {
      for (int i = 0; i < 8; ++i) {
        digest_ ^= (v >> (8 * i)) & 0xff;
        digest_ *= 1099511628211ull;
      }
    }
  }
  // By user class (workload.classes), counted alongside Offered.
  void OfferedByClass(uint32_t user_class) {
    if (offered_by_class_.size() <= user_class) offered_by_class_.resize(user_class + 1);
    ++offered_by_class_[user_class];
  }
  // A message offered to a device not yet up to date: sent once it is.
  void Held() { ++held_; }
  void Error() { ++errors_; }
  // A send the device gave up on (a permanent error, or out of attempts).
  void GaveUp() { ++given_up_; }
  void Reconnect() { ++reconnects_; }
  // A device ended its session (workload.sessions) and went away.
  void SessionEnded() { ++sessions_ended_; }
  // A push notification reached a device: asleep (away and not connected,
  // so it wakes) or not (connected, or not started yet); a woken device
  // synced `seconds` after its push arrived.
  void PushArrived(bool asleep) { ++(asleep ? pushes_woke_ : pushes_ignored_); }
  void WokeAndSynced(double seconds) { woke_synced_.push_back(seconds); }
  // A woken device's background sync ended otherwise: its user came back
  // first (the connection became the session), or it was closed.
  enum class WakeEnd { kUserReturned, kDropped };
  void WakeEnded(WakeEnd how) { ++(how == WakeEnd::kUserReturned ? wakes_returned_ : wakes_dropped_); }
  // An arrival found no online device to send it (every pick was away).
  void NobodyOnline() { ++nobody_online_; }
  // An offered message goes to a basic group (workload.groups).
  void OfferedToGroup() { ++offered_to_groups_; }
  // workload.actions: an edit, deletion, read mark or forward was asked of
  // a device; it had nothing to act on or was not up to date (skipped), or
  // it sent the request, which was answered done or with an error.
  enum class Action { kEdit, kDelete, kRead, kForward };
  struct ActionCounts {
    uint64_t offered = 0, skipped = 0, done = 0, failed = 0;
  };
  void ActionOffered(Action a) { ++actions_[static_cast<size_t>(a)].offered; }
  void ActionSkipped(Action a) { ++actions_[static_cast<size_t>(a)].skipped; }
  void ActionAnswered(Action a, bool done) {
    ActionCounts& c = actions_[static_cast<size_t>(a)];
    ++(done ? c.done : c.failed);
  }
  const ActionCounts& actions(Action a) const { return actions_[static_cast<size_t>(a)]; }
  // workload.sign_ins: a device without a session began signing in by
  // phone, asked for a code (first time or again), was asked its password,
  // met an error, or finished after `seconds`. Sign-in errors are not
  // counted in errors().
  // new_device: the first sign-in of a device the user added.
  void SignInStarted(bool new_device = false) {
    ++sign_ins_started_;
    new_devices_started_ += new_device;
  }
  void CodeRequested() { ++code_requests_; }
  void PasswordAsked() { ++passwords_asked_; }
  void SignInFailure(int code) { ++sign_in_failures_[code]; }
  void SignedIn(double seconds, bool new_device = false) {
    sign_in_.push_back(seconds);
    new_devices_signed_in_ += new_device;
  }

  // workload.channels: channel k's creator posted random_id at `now`, when
  // `online` other member devices were connected; a post is complete once
  // each of them showed it. A member device showed a post (counted for
  // latency if it was connected when the post was made).
  void Posted(uint64_t random_id, uint32_t channel, double now, uint64_t online) {
    posts_[random_id] = {channel, now, online, 0, now, false, false};
  }
  // The poster's device was told the post was stored (or gave it up: then
  // it is no post, and true is returned; false if random_id is none).
  void PostAcked(uint64_t random_id) {
    if (auto it = posts_.find(random_id); it != posts_.end()) it->second.acked = true;
  }
  bool PostFailed(uint64_t random_id) {
    auto it = posts_.find(random_id);
    if (it == posts_.end()) return false;
    it->second.failed = true;
    return true;
  }
  void PostSkipped(uint32_t channel) { ChannelAt(channel).skipped++; }
  void ChannelDelivered(uint64_t random_id, double now, double device_connected_at) {
    auto it = posts_.find(random_id);
    if (it == posts_.end()) return;
    Post& p = it->second;
    ChannelStats& c = ChannelAt(p.channel);
    if (device_connected_at < 0 || device_connected_at > p.at) {
      ++c.caught_up;
      return;
    }
    ++p.shown;
    p.last = std::max(p.last, now);
    ++c.deliveries;
    c.delivery.push_back(now - p.at);
  }
  struct ChannelStats {
    uint64_t posts = 0, skipped = 0, failed = 0, deliveries = 0, caught_up = 0, expected = 0;
    std::vector<double> delivery;    // each online member device: post -> shown
    std::vector<double> all_online;  // each complete post: post -> the last online member device showed it
    uint64_t incomplete = 0;         // stored posts some online member device never showed
    uint64_t not_shown = 0;          // their online member devices that never showed them
  };
  // Per channel, with every post's completion worked out.
  std::vector<ChannelStats> Channels() const {
    std::vector<ChannelStats> out = channels_;
    for (const auto& [random_id, p] : posts_) {
      ChannelStats& c = out[p.channel];
      if (p.failed || !p.acked) {  // never stored (as far as its poster knows)
        ++c.failed;
        continue;
      }
      ++c.posts;
      c.expected += p.online;
      if (p.shown >= p.online) {
        c.all_online.push_back(p.last - p.at);
      } else {
        ++c.incomplete;
        c.not_shown += p.online - p.shown;
      }
    }
    return out;
  }

  uint64_t sent() const { return sent_; }
  uint64_t held() const { return held_; }
  uint64_t offered() const { return offered_; }
  uint64_t offered_digest() const { return digest_; }
  const std::vector<uint64_t>& offered_by_class() const { return offered_by_class_; }
  uint64_t acked() const { return acked_; }
  uint64_t errors() const { return errors_; }
  uint64_t foreign() const { return foreign_; }
  uint64_t out_of_order() const { return out_of_order_; }
  // (sender, peer) of a sent random_id.
  std::pair<uint64_t, uint64_t> ChatOf(uint64_t random_id) const {
    auto it = sent_messages_.find(random_id);
    return it == sent_messages_.end() ? std::pair<uint64_t, uint64_t>{0, 0}
                                      : std::pair<uint64_t, uint64_t>{it->second.from, it->second.peer};
  }
  const std::vector<uint64_t>& acked_ids() const { return acked_ids_; }
  uint64_t given_up() const { return given_up_; }
  uint64_t reconnects() const { return reconnects_; }
  uint64_t sessions_ended() const { return sessions_ended_; }
  uint64_t pushes_woke() const { return pushes_woke_; }
  uint64_t pushes_ignored() const { return pushes_ignored_; }
  const std::vector<double>& woke_synced() const { return woke_synced_; }
  uint64_t wakes_returned() const { return wakes_returned_; }
  uint64_t wakes_dropped() const { return wakes_dropped_; }
  uint64_t nobody_online() const { return nobody_online_; }
  uint64_t offered_to_groups() const { return offered_to_groups_; }
  uint64_t delivered_online() const { return delivered_online_; }
  uint64_t sign_ins_started() const { return sign_ins_started_; }
  uint64_t new_devices_started() const { return new_devices_started_; }
  uint64_t new_devices_signed_in() const { return new_devices_signed_in_; }
  uint64_t code_requests() const { return code_requests_; }
  uint64_t passwords_asked() const { return passwords_asked_; }
  const std::map<int, uint64_t>& sign_in_failures() const { return sign_in_failures_; }
  const std::vector<double>& sign_in() const { return sign_in_; }
  // Sends from the warm-up's end on not acknowledged (yet).
  uint64_t measured_unacked() const { return measured_sent_ - send_to_ack_.size(); }
  uint64_t caught_up() const { return caught_up_; }
  const std::vector<double>& send_to_ack() const { return send_to_ack_; }
  const std::vector<double>& send_to_delivered() const { return send_to_delivered_; }
  const std::vector<double>& send_to_visible() const { return send_to_visible_; }
  // Measured deliveries whose UI tick would have come after the run's end.
  uint64_t shown_after_end() const { return shown_after_end_; }
  const std::vector<double>& offline_sync() const { return offline_sync_; }
  // The measured latencies (from the warm-up's end on), mergeable.
  const Histogram& ack_histogram() const { return ack_histogram_; }
  const Histogram& delivered_histogram() const { return delivered_histogram_; }

  TimeSeries series;

 private:
  struct Post {
    uint32_t channel;
    double at;
    uint64_t online, shown;
    double last;
    bool acked, failed;
  };
  ChannelStats& ChannelAt(uint32_t channel) {
    if (channels_.size() <= channel) channels_.resize(channel + 1);
    return channels_[channel];
  }
  std::map<uint64_t, Post> posts_;  // by random_id; ordered: summaries must not depend on hashing
  std::vector<ChannelStats> channels_;
  // A message (or forward) as the workload sent it: when, from which
  // device, and its chat.
  struct SentMessage {
    double at;
    uint64_t device;
    uint64_t from, peer;
  };
  double SentAt(uint64_t random_id) const {
    auto it = sent_messages_.find(random_id);
    return it == sent_messages_.end() ? 0 : it->second.at;
  }
  // By random_id. Looked up at every delivery: open addressing, one probe.
  absl::flat_hash_map<uint64_t, SentMessage> sent_messages_;
  std::vector<uint64_t> acked_ids_;
  std::vector<uint64_t> offered_by_class_;
  uint64_t foreign_ = 0, out_of_order_ = 0;
  std::array<ActionCounts, 4> actions_{};
  uint64_t sent_ = 0, acked_ = 0, errors_ = 0, caught_up_ = 0, held_ = 0, offered_ = 0, given_up_ = 0, reconnects_ = 0;
  uint64_t offered_to_groups_ = 0;
  uint64_t sessions_ended_ = 0, nobody_online_ = 0, pushes_woke_ = 0, pushes_ignored_ = 0;
  uint64_t wakes_returned_ = 0, wakes_dropped_ = 0;
  std::vector<double> woke_synced_;
  uint64_t sign_ins_started_ = 0, code_requests_ = 0, passwords_asked_ = 0;
  uint64_t new_devices_started_ = 0, new_devices_signed_in_ = 0;
  std::map<int, uint64_t> sign_in_failures_;  // by api::ErrorCode
  std::vector<double> sign_in_;
  uint64_t digest_ = 1469598103934665603ull;
  double warmup_, end_;
  uint64_t shown_after_end_ = 0;
  uint64_t measured_sent_ = 0, delivered_online_ = 0;
  std::vector<double> send_to_ack_, send_to_delivered_, send_to_visible_, offline_sync_;
  Histogram ack_histogram_, delivered_histogram_;
};

}  // namespace msgbed::sim
