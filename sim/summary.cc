#include "summary.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "bot_traffic.h"
#include "device_consistency.h"
#include "fault_reader.h"
#include "invariants.h"
#include "kafka_model.h"
#include "media_shares.h"
#include "messages/box_store.h"
#include "messages/placement.h"
#include "population.h"
#include "scale_reader.h"
#include "service_node.h"

namespace msgbed::sim {

using nlohmann::ordered_json;

// A percentile of NaN (among the unfinished, or no sample at all) is null,
// never a 0 that would meet any objective.
ordered_json PercentilesJson(const std::vector<double>& seconds, uint64_t unfinished) {
  const Percentiles p = Percentiles::Of(seconds, unfinished);
  ordered_json out = {{"count", p.count}};
  if (unfinished > 0) out["unfinished"] = unfinished;
  for (const auto& [key, v] : {std::pair{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"max", p.max}})
    out[key] = std::isnan(v) ? ordered_json(nullptr) : ordered_json(v);
  return out;
}

namespace {

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

ordered_json LinkJson(const LinkSpec& l) { return {{"bandwidth_Bps", l.bandwidth}, {"latency_s", Round6(l.latency)}}; }

// What was still under way when the run stopped.
struct AtEnd {
  uint64_t work = 0;                  // messages in flight or queued for a worker, anywhere
  uint64_t sends_unanswered = 0;      // by devices: in flight or waiting to be sent again
  uint64_t devices_not_ready = 0;     // not signed in and synced (and not away)
  uint64_t signing_in = 0;            // of those, with a phone sign-in under way
  uint64_t catch_ups_unfinished = 0;  // of those, catching up after joining late or coming back (measured)
  uint64_t devices_away = 0;          // offline between sessions: behind by design
  uint64_t sends_of_away = 0;         // unanswered sends of devices away: sent again when they are back
  // Nothing under way, or nothing left to do: every device holds its whole
  // box, every send was answered and every acknowledged message is in both
  // boxes. (Background work never stops in a long run: devices resync
  // after a quiet period, and one may be mid-resync at the end.)
  bool settled = false;
};

AtEnd StateAtEnd(const World& w, const std::vector<const Node*>& nodes) {
  AtEnd e;
  const double ramp = w.scenario.workload.connect_ramp;
  for (const Node* n : nodes) e.work += n->work_queued();
  e.work += w.kafka->held();  // records waiting for a partition leader
  for (const Population* pop : w.populations) {
    e.work += pop->work_queued();
    for (const auto& d : pop->devices()) {
      (d->away ? e.sends_of_away : e.sends_unanswered) += d->core.unanswered();
      e.devices_away += d->away ? 1 : 0;
      const bool not_ready = !d->away && d->core.state() != Device::State::kReady;
      e.devices_not_ready += not_ready;
      e.signing_in += !d->away && d->signing_in_since >= 0;
      // A device not catching up is only resyncing in the background.
      const double connected = d->connected_at >= 0 ? d->connected_at : d->connect_at;
      e.catch_ups_unfinished += not_ready && d->CatchingUp(ramp) && connected >= w.scenario.warmup;
    }
  }
  return e;
}

ordered_json Utilisation(const Scenario& sc, const std::vector<const Node*>& nodes, double end) {
  std::map<std::string, double> busy;
  std::map<std::string, const HostCpu*> cpus;
  for (const Node* n : nodes) {
    busy[n->host()->get_name()] += n->busy_flops();
    cpus[n->host()->get_name()] = n->cpu();
  }
  // Work booked past the end was not done in the run.
  for (const auto& [host, cpu] : cpus) busy[host] -= cpu->FlopsBeyond(end);
  ordered_json out = ordered_json::object();
  for (const HostSpec& h : sc.hosts) {
    const double capacity = h.speed * h.cores * end;
    out[h.name] = capacity > 0 ? Round6(busy[h.name] / capacity) : 0.0;
  }
  return out;
}

// The share of each modelled disk's channel time spent on operations.
ordered_json DiskUtilisation(const std::vector<const Node*>& nodes, double end) {
  ordered_json out = ordered_json::object();
  for (const auto& [host, disk] : DisksOf(nodes)) {
    const double busy = disk->busy_seconds() - disk->BusyBeyond(end);
    out[host] = end > 0 ? Round6(busy / (disk->channels() * end)) : 0.0;
  }
  return out;
}

// The share of its workers' time each node was busy (CPU, waiting for a
// host core, storage I/O): 1 means saturated, whatever its host's load.
ordered_json InstanceUtilisation(const std::vector<const Node*>& nodes, double end) {
  ordered_json out = ordered_json::object();
  for (const Node* n : nodes) out[n->name()] = end > 0 ? Round6(n->busy_seconds(end) / (n->workers() * end)) : 0.0;
  return out;
}

// What each instance counted, by address.
ordered_json InvariantsJson(const InvariantReport& r) {
  return {{"ok", r.ok()},
          {"settled", r.settled},
          {"acked_lost", r.acked_lost},
          {"one_sided", r.one_sided},
          {"duplicated", r.duplicated},
          {"chat_order_differs", r.chat_order_differs},
          {"foreign_deliveries", r.foreign_deliveries},
          {"out_of_order", r.out_of_order},
          {"devices_behind", r.devices_behind},
          {"examples", r.examples}};
}

uint64_t Refused(const World& w) {
  uint64_t n = 0;
  for (const auto& [addr, node] : w.services) n += node->host().Stats().Get("sim.refused");
  return n;
}

ordered_json InstanceCounters(const World& w) {
  ordered_json out = ordered_json::object();
  for (const auto& [addr, node] : w.services) out[ToString(addr)] = node->host().Stats().counters();
  return out;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// workload.sign_ins: how many devices signed in (again, or the first time
// for devices users added), how long it took (from losing the session or
// joining to being signed in; unfinished ones rank above),
// what failed on the way, and what the SMS providers did.
ordered_json SignInsJson(const World& w) {
  const Recorder& r = w.recorder;
  const uint64_t done = r.sign_in().size(), unfinished = r.sign_ins_started() - done;
  ordered_json failures = ordered_json::object();
  for (const auto& [code, n] : r.sign_in_failures())
    failures[api::ErrorCode_Name(static_cast<api::ErrorCode>(code))] = n;
  return {{"started", r.sign_ins_started()},
          {"completed", done},
          {"unfinished", unfinished},
          {"success_rate", r.sign_ins_started() ? Round6(double(done) / double(r.sign_ins_started())) : 1.0},
          {"codes_requested", r.code_requests()},
          {"passwords_asked", r.passwords_asked()},
          {"new_devices", {{"joined", r.new_devices_started()}, {"signed_in", r.new_devices_signed_in()}}},
          {"failures", failures},
          {"sms",
           {{"accepted", w.sms->accepted},
            {"refused", w.sms->refused},
            {"timed_out", w.sms->timed_out},
            {"lost", w.sms->lost}}},
          {"latency_ms", PercentilesJson(r.sign_in(), unfinished)}};
}

// A counter summed over every instance.
int64_t CounterSum(const World& w, const std::string& name) {
  int64_t n = 0;
  for (const auto& [addr, node] : w.services) n += node->host().Stats().Get(name);
  return n;
}

// Push notifications, end to end: what auth sent (one per token; each
// through the providers, with retries), what the providers did with each
// attempt, what reached the devices and what a device did when one
// arrived, and how long a woken device took to sync from the push's
// arrival (wakes that ended otherwise are counted apart; unfinished ones,
// still syncing at the end, rank above).
ordered_json PushJson(const World& w) {
  const Recorder& r = w.recorder;
  const OutboundModel& p = *w.push;
  const int64_t sent = CounterSum(w, "auth.pushes"), accepted = CounterSum(w, "auth.pushes_delivered"),
                failed = CounterSum(w, "auth.pushes_failed");
  const uint64_t arrived = r.pushes_woke() + r.pushes_ignored();
  const uint64_t unsynced = r.pushes_woke() - r.woke_synced().size() - r.wakes_returned() - r.wakes_dropped();
  return {{"sent", sent},
          {"accepted", accepted},
          {"failed", failed},
          {"retrying_at_end", sent - accepted - failed},
          {"attempts", {{"accepted", p.accepted}, {"refused", p.refused}, {"timed_out", p.timed_out}}},
          {"lost", p.lost},
          {"arrived", arrived},
          {"on_the_way_at_end", p.accepted - p.lost - arrived},
          {"woke_devices", r.pushes_woke()},
          {"arrived_otherwise", r.pushes_ignored()},
          {"woken_devices_synced", r.woke_synced().size()},
          {"woken_user_returned_first", r.wakes_returned()},
          {"woken_connection_closed", r.wakes_dropped()},
          {"wake_to_synced_ms", PercentilesJson(r.woke_synced(), unsynced)}};
}

// workload.channels: per channel, how long its posts took to reach the
// member devices connected when they were posted (each delivery, and each
// post until the last of them; incomplete posts rank above).
ordered_json ChannelsJson(const World& w) {
  ordered_json out = ordered_json::array();
  const auto stats = w.recorder.Channels();
  for (size_t k = 0; k < w.scenario.workload.channels.size(); ++k) {
    const Recorder::ChannelStats c = k < stats.size() ? stats[k] : Recorder::ChannelStats{};
    out.push_back({{"members", w.scenario.workload.channels[k].members},
                   {"posts", c.posts},
                   {"posts_skipped", c.skipped},
                   {"posts_failed", c.failed},
                   {"online_member_devices", c.expected},
                   {"shown_online", c.deliveries},
                   {"shown_on_return", c.caught_up},
                   {"incomplete_posts", c.incomplete},
                   {"delivery_ms", PercentilesJson(c.delivery, c.not_shown)},
                   {"all_online_ms", PercentilesJson(c.all_online, c.incomplete)}});
  }
  return out;
}

}  // namespace

// The workload as understood: what the scenario left out reads as its
// default (null: not used).
ordered_json GroupsJson(const GroupLoad& g) {
  const ordered_json members =
      !g.drawn() ? ordered_json(g.members)
                 : ordered_json{{"min", g.sizes.min}, {"max", g.sizes.max}, {"alpha", Round6(g.sizes.alpha)}};
  return {{"count", g.count}, {"members", members}, {"share", g.share}};
}

// What a reader of the results should know before trusting them, from the
// summary itself (also printed with it).
ordered_json Warnings(const ordered_json& s) {
  ordered_json out = ordered_json::array();
  uint64_t refused = 0;
  for (const auto& [addr, counters] : s["instances"].items()) refused += counters.value("gateway.refused_over_cap", 0);
  if (refused > 0) {
    out.push_back("gateways refused " + std::to_string(refused) +
                  " connections over their cap (raise gateway.max_connections if that is not the point)");
  }
  if (s.contains("media") && s["media"]["seed_uploaded_at_s"].get<double>() < 0) {
    out.push_back("workload.media: the file's upload did not finish within the run (" +
                  std::to_string(s["media"]["bytes_uploaded"].get<int64_t>()) + " of " +
                  std::to_string(s["media"]["file_bytes"].get<uint64_t>()) +
                  " bytes arrived), so no shares were made: start it earlier, lengthen duration or widen clients.link");
  }
  if (s.contains("bots")) BotWarnings(s, &out);
  const double ramp = s["scenario"]["workload"]["connect_ramp_s"].get<double>();
  const double duration = s["scenario"]["duration_s"].get<double>();
  if (ramp > duration) {
    char text[240];
    std::snprintf(text, sizeof text,
                  "connect_ramp %g s is longer than duration %g s: devices connecting after it are offered no "
                  "messages, and those due after the drain never connect",
                  ramp, duration);
    out.push_back(text);
  }
  return out;
}

ordered_json WorkloadJson(const WorkloadSpec& wl) {
  ordered_json devices = wl.devices_per_user;
  if (!wl.device_weights.empty()) {
    devices = ordered_json::object();
    for (const auto& [n, weight] : wl.device_weights) devices[std::to_string(n)] = weight;
  }
  ordered_json classes = ordered_json::array();
  for (const UserClass& c : wl.classes) classes.push_back({{"name", c.name}, {"share", c.share}, {"rate", c.rate}});
  ordered_json rate = ordered_json::array();
  for (const RatePoint& p : wl.rate) rate.push_back({{"at_s", Round6(p.at)}, {"factor", p.factor}});
  ordered_json diurnal = nullptr, sessions = nullptr;
  if (wl.diurnal_period > 0) {
    diurnal = {{"period_s", Round6(wl.diurnal_period)}, {"low", wl.diurnal_low}, {"peak_s", Round6(wl.diurnal_peak)}};
  }
  if (wl.session_online > 0) {
    sessions = {{"online_s", Round6(wl.session_online)}, {"offline_s", Round6(wl.session_offline)}};
  }
  ordered_json channels = ordered_json::array();
  for (const ChannelLoad& c : wl.channels) {
    channels.push_back({{"members", c.members}, {"posts_per_minute", c.posts_per_minute}, {"broadcast", c.broadcast}});
  }
  ordered_json out = {{"users", wl.users},
                      {"devices_per_user", devices},
                      {"online_share", wl.online_share},
                      {"messages_per_second", wl.messages_per_second},
                      {"text_bytes", wl.text_bytes},
                      {"connect_ramp_s", Round6(wl.connect_ramp)},
                      {"ack_delay_s", Round6(wl.ack_delay)},
                      {"quiet_resync_s", Round6(wl.quiet_resync)},
                      {"ui_tick_s", Round6(wl.ui_tick)},
                      {"classes", classes},
                      {"rate", rate},
                      {"diurnal", diurnal},
                      {"sessions", sessions},
                      {"channels", channels},
                      {"groups", GroupsJson(wl.groups)}};
  // Shown only when used, so results without them keep their bytes.
  auto or_ramp = [&](double at) { return Round6(at >= 0 ? at : wl.connect_ramp); };
  if (wl.media.file_bytes > 0) {
    out["media"] = {
        {"file_bytes", wl.media.file_bytes}, {"shares", wl.media.shares}, {"start_s", or_ramp(wl.media.start)}};
  }
  const BotLoad& b = wl.bots;
  if (b.echo > 0) out["bots"]["echo"] = {{"count", b.echo}, {"messages_per_second", b.echo_messages_per_second}};
  if (b.broadcast_recipients > 0) {
    out["bots"]["broadcast"] = {{"recipients", b.broadcast_recipients},
                                {"at_s", or_ramp(b.broadcast_at)},
                                {"connections", b.broadcast_connections}};
  }
  return out;
}

// The providers of a channel, as the run used them.
ordered_json ProvidersJson(const std::vector<ProviderSpec>& providers) {
  ordered_json out = ordered_json::array();
  for (const ProviderSpec& p : providers) {
    ordered_json outages = ordered_json::array();
    for (const auto& [from, until] : p.outages)
      outages.push_back({{"from_s", Round6(from)}, {"until_s", Round6(until)}});
    out.push_back({{"latency_s", Round6(p.latency)},
                   {"timeout_s", Round6(p.timeout)},
                   {"failure_rate", p.failure_rate},
                   {"delivery_s", p.delivery.Json()},
                   {"loss", p.loss},
                   {"outages", outages}});
  }
  return out;
}

ordered_json EchoScenario(const Scenario& sc) {
  ordered_json hosts = ordered_json::array();
  for (const HostSpec& h : sc.hosts) {
    ordered_json host = {{"name", h.name}, {"cores", h.cores}, {"speed_flops", h.speed}};
    if (h.disk.modelled()) {
      host["disk"] = {{"read_Bps", h.disk.read_bandwidth},
                      {"write_Bps", h.disk.write_bandwidth},
                      {"latency_s", Round6(h.disk.latency)},
                      {"queue_depth", h.disk.queue_depth},
                      {"cache_hit", h.disk.cache_hit}};
    }
    hosts.push_back(host);
  }
  ordered_json links = ordered_json::array();
  for (size_t e = 0; e < sc.graph.edge_count(); ++e) {
    auto [a, b] = sc.graph.ends(e);
    ordered_json l = LinkJson(sc.graph.edge(e).link);
    links.push_back({{"ends", {sc.graph.vertex(a).name, sc.graph.vertex(b).name}},
                     {"bandwidth_Bps", l["bandwidth_Bps"]},
                     {"latency_s", l["latency_s"]}});
  }
  ordered_json services = ordered_json::object();
  for (const auto& [role, names] : sc.services) services[role] = names;
  ordered_json costs = ordered_json::object();
  for (const auto& [key, time] : sc.costs) costs[key] = time.Json();
  ordered_json faults = ordered_json::array();
  for (const FaultSpec& f : sc.faults) faults.push_back(FaultJson(f));
  ordered_json slo = ordered_json::array();
  for (const SloSpec& s : sc.slo)
    slo.push_back({{"flow", s.flow}, {"quantile", s.quantile}, {"limit_s", Round6(s.limit)}});
  ordered_json instances = ordered_json::object();
  for (const auto& [role, spec] : sc.instances)
    instances[role] = {{"workers", spec.workers}, {"queue_limit", spec.queue_limit}};
  return {{"name", sc.name},
          {"seed", sc.seed},
          {"duration_s", Round6(sc.duration)},
          {"drain_s", Round6(sc.drain)},
          {"warmup_s", Round6(sc.warmup)},
          {"diagram", sc.diagram},
          {"hosts", hosts},
          {"links", links},
          {"services", services},
          {"instances", instances},
          {"kafka",
           {{"brokers", sc.kafka.brokers},
            {"partitions", sc.kafka.partitions},
            {"replication", sc.kafka.replication},
            {"failover_after_s", Round6(sc.kafka.failover_after)},
            {"session_timeout_s", Round6(sc.kafka.session_timeout)},
            {"rebalance_time_s", Round6(sc.kafka.rebalance_time)},
            {"linger_s", Round6(sc.kafka.linger)},
            {"batch_bytes", sc.kafka.batch_bytes}}},
          {"client_link", LinkJson(sc.client_link)},
          {"workload", WorkloadJson(sc.workload)},
          {"costs_s", costs},
          {"settings", sc.role_settings},
          {"faults", faults},
          {"slo", slo},
          {"sms", ProvidersJson(sc.sms)},
          {"push", ProvidersJson(sc.push)}};
}

ordered_json FaultCountsJson(const Faults::Counts& f) {
  return {{"envelopes_dropped", f.dropped},
          {"envelopes_duplicated", f.duplicated},
          {"envelopes_delayed", f.delayed},
          {"bus_hops_held", f.bus_held},
          {"disk_writes_failed", f.disk_failed},
          {"disk_writes_slowed", f.disk_slowed},
          {"bus_records_lost_in_crashes", f.records_lost}};
}

// Each objective against the latencies measured; a percentile longer than
// the run (null) misses any limit.
ordered_json SloJson(const Scenario& sc, const ordered_json& latency_ms) {
  ordered_json checks = ordered_json::array();
  bool met = true;
  for (const SloSpec& s : sc.slo) {
    const ordered_json& measured = latency_ms[s.flow][s.quantile];
    const bool ok = !measured.is_null() && measured.get<double>() <= s.limit * 1e3 + 1e-9;
    met = met && ok;
    checks.push_back({{"flow", s.flow},
                      {"quantile", s.quantile},
                      {"limit_ms", Round6(s.limit * 1e3)},
                      {"measured_ms", measured},
                      {"met", ok}});
  }
  return {{"met", met}, {"checks", checks}};
}

// workload.actions: per kind, asked of a device, skipped (nothing to act
// on, or not up to date), answered done or with an error; the rest were
// unanswered at the end.
ordered_json ActionsJson(const Recorder& r) {
  ordered_json out = ordered_json::object();
  for (auto [name, action] :
       {std::pair{"edits", Recorder::Action::kEdit}, std::pair{"deletes", Recorder::Action::kDelete},
        std::pair{"reads", Recorder::Action::kRead}, std::pair{"forwards", Recorder::Action::kForward}}) {
    const Recorder::ActionCounts& c = r.actions(action);
    out[name] = {{"offered", c.offered},
                 {"skipped", c.skipped},
                 {"done", c.done},
                 {"failed", c.failed},
                 {"unanswered", c.offered - c.skipped - c.done - c.failed}};
  }
  return out;
}

// What instances joining or leaving did (scale:): keys handed to a new
// owner (counted by their senders once written there: a duplicated chunk
// counts once), requests that waited for their box or took an old route, writes
// refused to a box that had left (their clients retried).
ordered_json ReshapeJson(const World& w) {
  return {{"keys_moved", CounterSum(w, "messages.handoff_keys_out")},
          {"chunk_retries", CounterSum(w, "messages.handoff_retries")},
          {"requests_held", CounterSum(w, "messages.held")},
          {"requests_passed_on", CounterSum(w, "messages.passed_on")},
          {"writes_refused", CounterSum(w, "messages.moved_writes_refused")}};
}

// What the bus carried, what its consumers had not handled at the end, and
// the backpressure: sync's reports of partitions behind, and the new
// messages the gateways shed for them (FLOOD_WAIT; devices retry).
ordered_json KafkaJson(const World& w) {
  const KafkaModel& k = *w.kafka;
  ordered_json lag = ordered_json::object();
  for (const std::string& topic : k.Topics()) lag[topic] = k.Lag(topic);
  return {{"records", k.records()},
          {"bytes", k.bytes()},
          {"produce_requests", k.requests()},
          {"records_per_request", k.requests() ? Round6(static_cast<double>(k.records()) / k.requests()) : 0.0},
          {"rebalances", k.rebalances()},
          {"lag_at_end", lag},
          {"lag_peak", w.lag_peak},
          {"behind_reports", CounterSum(w, "sync.behind_reports")},
          {"shed_messages", CounterSum(w, "gateway.shed")}};
}

// Messages offered per user class; empty without classes.
ordered_json OfferedByClass(const Scenario& sc, const Recorder& r) {
  ordered_json out = ordered_json::object();
  for (size_t i = 0; i < sc.workload.classes.size(); ++i) {
    out[sc.workload.classes[i].name] = i < r.offered_by_class().size() ? r.offered_by_class()[i] : 0;
  }
  return out;
}

ordered_json BuildSummary(const Scenario& sc, const World& w, const std::vector<const Node*>& nodes, double end) {
  const Recorder& r = w.recorder;
  const Consistency c = CheckDevices(w);
  AtEnd e = StateAtEnd(w, nodes);
  InvariantReport inv = CheckInvariants(w, /*settled=*/true);
  // What devices away at the end owe or are owed waits for them by design.
  const bool complete = c.missing == 0 && c.held_unsent == c.held_by_away && c.in_sync + e.devices_away == c.devices &&
                        e.sends_unanswered == 0 && e.signing_in == 0 && inv.acked_lost == 0 && inv.one_sided == 0;
  // An upload of workload.media still under way is work under way too.
  const size_t media_unfinished = w.media ? w.media->in_flight() : 0;
  // So is a broadcast still sending.
  const uint64_t broadcast_unsent = w.bots ? w.bots->BroadcastUnsent() : 0;
  const uint64_t echo_unanswered = w.bots ? w.bots->EchoUnanswered() : 0;
  e.settled = (complete || e.work + e.sends_unanswered + e.devices_not_ready == 0) && media_unfinished == 0 &&
              broadcast_unsent == 0 && echo_unanswered == 0;
  if (!e.settled) inv = CheckInvariants(w, false);
  // Deliveries not made in a run that stopped with work under way may be
  // on their way: "not_yet_delivered", not "missing".
  const uint64_t missing = e.settled ? c.missing : 0;
  const ordered_json latency = {
      {"send_to_ack", PercentilesJson(r.send_to_ack(), r.measured_unacked())},
      {"send_to_delivered", PercentilesJson(r.send_to_delivered(), c.owed_samples)},
      {"send_to_visible", PercentilesJson(r.send_to_visible(), c.owed_samples + r.shown_after_end())},
      {"offline_catch_up", PercentilesJson(r.offline_sync(), e.catch_ups_unfinished)}};
  ordered_json out = {
      {"scenario", EchoScenario(sc)},
      {"simulated_s", Round6(end)},
      {"at_end",
       {{"settled", e.settled},
        {"work_in_flight", e.work},
        {"sends_unanswered", e.sends_unanswered},
        {"devices_not_ready", e.devices_not_ready},
        {"devices_signing_in", e.signing_in},
        {"devices_away", e.devices_away},
        {"sends_of_devices_away", e.sends_of_away}}},
      {"messages",
       {{"offered", r.offered()},
        {"offered_digest", Hex(r.offered_digest())},
        {"offered_by_class", OfferedByClass(sc, r)},
        {"nobody_online", r.nobody_online()},
        {"to_groups", r.offered_to_groups()},
        {"sent", r.sent()},
        {"acked", r.acked()},
        {"errors", r.errors()},
        {"refused_by_admission", Refused(w)},
        {"retries", c.retries},
        {"given_up", r.given_up()},
        {"held_until_synced", r.held()},
        {"held_unsent", c.held_unsent}}},
      {"deliveries",
       {{"expected", c.expected},
        {"delivered", c.delivered},
        {"online", r.delivered_online()},
        {"caught_up", r.caught_up()},
        {"missing", missing},
        {"not_yet_delivered", c.missing - missing},
        {"extra", c.extra},
        {"owed_to_devices_away", c.owed_to_away},
        {"duplicates_ignored", c.duplicates_ignored}}},
      {"devices",
       {{"total", c.devices},
        {"in_sync_with_box", c.in_sync},
        {"reconnects", r.reconnects()},
        {"sessions_ended", r.sessions_ended()},
        {"quiet_resyncs", c.quiet_resyncs}}},
      {"latency_histograms",
       {{"send_to_ack", r.ack_histogram().Json()}, {"send_to_delivered", r.delivered_histogram().Json()}}},
      {"latency_ms", latency},
      {"slo", SloJson(sc, latency)},
      {"cpu_utilisation", Utilisation(sc, nodes, end)},
      {"instance_utilisation", InstanceUtilisation(nodes, end)},
      {"disk_utilisation", DiskUtilisation(nodes, end)},
      {"kafka", KafkaJson(w)},
      {"instances", InstanceCounters(w)},
      {"faults_applied", FaultCountsJson(w.faults.counts())},
      {"invariants", InvariantsJson(inv)}};
  if (sc.workload.sign_ins_per_hour > 0 || sc.workload.new_devices_per_hour > 0) out["sign_ins"] = SignInsJson(w);
  if (sc.workload.session_online > 0 || CounterSum(w, "auth.pushes") > 0) {
    out["push"] = PushJson(w);
  }
  if (!sc.workload.channels.empty()) out["channels"] = ChannelsJson(w);
  if (w.bots) {
    out["bots"] = w.bots->Json();
    out["at_end"]["bot_broadcast_unsent"] = broadcast_unsent;
    out["at_end"]["bot_messages_unanswered"] = echo_unanswered;
  }
  if (w.media) {
    out["media"] = MediaJson(w);
    out["at_end"]["media_uploads_unfinished"] = media_unfinished;
  }
  if (!sc.scale.empty()) {
    out["scenario"]["scale"] = ordered_json::array();
    for (const ScaleStep& s : sc.scale) out["scenario"]["scale"].push_back(ScaleJson(s));
    out["reshape"] = ReshapeJson(w);
  }
  if (sc.workload.ActionShares() > 0) {
    out["actions"] = ActionsJson(w.recorder);
  }
  out["warnings"] = Warnings(out);
  return out;
}

}  // namespace msgbed::sim
