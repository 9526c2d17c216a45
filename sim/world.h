// World: what the simulated deployment shares: the scenario, the network,
// every node, the bus and the recorder. One per run. Randomness comes from
// streams derived from the scenario's seed by purpose (core/rng.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "core/address.h"
#include "core/cluster.h"
#include "core/rng.h"
#include "faults.h"
#include "group_layout.h"
#include "network.h"
#include "outbound_model.h"
#include "recorder.h"
#include "scenario.h"
#include "scheduler.h"
#include "tracer.h"

namespace msgbed::sim {

// Simulated dates (Env::Date) start here, 2026-01-01T00:00:00Z: dates in
// results do not depend on when the simulation ran.
inline constexpr Micros kSimulatedEpoch = 1'767'225'600'000'000;

class ServiceNode;
class Population;
class ClientSide;
class BotTraffic;
class KafkaModel;
class MediaShares;

// The scenario's topology plus one vertex per gateway for its client
// population, attached by the scenario's client link to the client cloud
// nearest the gateway (or, without clouds, to the gateway's datacenter).
// Population g is vertex PopulationVertex(g), "clients-<g>". With
// workload.bots, the bots of botapi instance b are BotsVertex(b),
// "botclients-<b>", attached the same way.
TopologyGraph WithClientPopulations(const Scenario& sc);

// Who the run's users are. User u (from 1) owns devices first_device[u-1]
// to first_device[u]-1 of the run (0-based); its class (an index into
// workload.classes) is class_of[u-1], empty without classes.
struct UserTable {
  std::vector<uint64_t> first_device;  // users + 1 entries
  std::vector<uint8_t> class_of;
  // By device: when a device added during the run (workload.sign_ins'
  // new_devices_per_hour) joins, -1 for one the user had from the start;
  // empty when no device is added. A user's added devices come last.
  std::vector<double> joins_at;

  uint64_t devices() const { return first_device.empty() ? 0 : first_device.back(); }
  uint64_t DeviceIndex(uint64_t user, uint64_t device) const { return first_device[user - 1] + device - 1; }
  uint64_t DevicesOf(uint64_t user) const { return first_device[user] - first_device[user - 1]; }
  uint32_t ClassOf(uint64_t user) const { return class_of.empty() ? 0 : class_of[user - 1]; }
  double JoinsAt(uint64_t index) const { return joins_at.empty() ? -1 : joins_at[index]; }
};

// Which message a run traces: the nth sent (from 1), or, with `where`, the
// first sent from the warm-up's end on whose sender's and peer's boxes are
// on different messages instances ("cross-box") or in different
// datacenters ("cross-dc").
struct TraceChoice {
  TraceChoice(uint64_t n = 0) : nth(n) {}  // NOLINT: a number picks the n-th
  uint64_t nth = 0;
  std::string where;
  bool any() const { return nth > 0 || !where.empty(); }
};

class World {
 public:
  explicit World(const Scenario& sc)
      : scenario(sc),
        graph(WithClientPopulations(sc)),
        net(&graph),
        faults(sc, DeriveSeed(sc.seed, "faults")),
        recorder(sc.warmup, sc.duration + sc.drain) {}

  uint64_t NextSeq() { return seq_++; }
  // The simulated time now.
  double Now() const { return sched.Now(); }
  // One draw of a service time, from the run's own stream.
  double Draw(const ServiceTime& t) { return t.Sample(service_times_); }
  // Uniform in [0, 1), from the same stream.
  double Uniform() { return service_times_.Uniform(); }
  // One draw of the scenario's cost `key`. REQUIRES: the table has it.
  double DrawCost(const std::string& key) { return Draw(scenario.costs.at(key)); }
  // The node serving a, or nullptr.
  ServiceNode* FindService(const Address& a) const {
    auto it = services.find(a);
    return it == services.end() ? nullptr : it->second;
  }

  const Scenario& scenario;
  Scheduler sched;
  const TopologyGraph graph;
  ClusterShape shape;
  Network net;
  Faults faults;
  Recorder recorder;
  Tracer tracer;
  TraceChoice trace;
  uint64_t traced = 0;                       // the message traced (n-th sent), 0: none yet
  std::string traced_about;                  // who sent it to whom, for the diagram's title
  std::map<std::string, uint64_t> lag_peak;  // by topic: the highest consumer lag sampled (each simulated second)
  // Whether the message being sent now (the recorder's sent() is its
  // number) is the one to trace; true once at most.
  bool PickForTrace(uint64_t sender, uint64_t device, uint64_t peer);
  // The datacenter (fabric) host `host` is in, or the host itself.
  std::string DatacenterOf(const std::string& host) const;
  std::map<Address, ServiceNode*, AddressLess> services;
  UserTable users;
  std::vector<Population*> populations;  // index = gateway index
  // The population of the run's device `device` and its index there.
  std::pair<Population*, size_t> Locate(uint64_t device) const {
    const uint32_t gateways = shape.Count(role::kGateway);
    return {populations[device % gateways], device / gateways};
  }
  // The first of up to 16 devices drawn from rng that is connected, up to
  // date and passes `also` (if given); nullopt if none: with most devices
  // online a few draws find one.
  std::optional<uint64_t> PickReadyDevice(Rng& rng, const std::function<bool(uint64_t)>& also = nullptr) const;
  // Each instance's clients, by the instance (gateways: their populations,
  // botapi: its bots).
  std::map<Address, ClientSide*, AddressLess> clients;
  std::vector<uint64_t> channels;  // workload.channels' ids, in order
  std::vector<uint64_t> groups;    // workload.groups' ids, in order
  GroupLayout group_layout;        // ... and their members
  // Whether a message's peer (Recorder, Population) is a basic group: user
  // ids are 1..users, a group's id is far above.
  bool IsGroup(uint64_t peer) const { return peer > scenario.workload.users && !IsBot(peer); }
  // workload.bots' bots: ids users+1 to users+bot count (sim/bot_traffic.h).
  bool IsBot(uint64_t id) const {
    return id > scenario.workload.users && id <= scenario.workload.users + scenario.workload.bots.count();
  }
  BotTraffic* bots = nullptr;  // workload.bots, if any
  bool InGroup(uint64_t user, uint64_t chat) const {
    const int64_t k = group_layout.GroupOf(user);
    return k >= 0 && groups[k] == chat;
  }
  KafkaModel* kafka = nullptr;
  MediaShares* media = nullptr;  // workload.media, if any
  std::unique_ptr<OutboundModel> sms, push;
  // The channel's model (kSmsChannel, kPushChannel); nullptr for another.
  OutboundModel* Outbound(std::string_view channel) const {
    return channel == kSmsChannel ? sms.get() : channel == kPushChannel ? push.get() : nullptr;
  }
  // Users one of whose devices is signing in by phone: the code goes to the
  // user's one number, so a second device waits its turn.
  std::unordered_set<uint64_t> signing_in;
  // An SMS reaches its phone at the given time (set by whoever waits for codes).
  std::function<void(const OutboundMessage&, double at)> sms_arrived;
  // A push reaches the device its token names at the given time.
  std::function<void(const OutboundMessage&, double at)> push_arrived;

 private:
  uint64_t seq_ = 0;
  Rng service_times_{DeriveSeed(scenario.seed, "service_times")};
};

}  // namespace msgbed::sim
