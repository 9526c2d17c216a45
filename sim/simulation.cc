#include "simulation.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <simgrid/s4u.hpp>

#include "auth/credential.h"
#include "auth/provision.h"
#include "bot_population.h"
#include "bot_traffic.h"
#include "botapi/placement.h"
#include "channel_posts.h"
#include "kafka_model.h"
#include "media_shares.h"
#include "messages/message_service.h"
#include "messages/provision.h"
#include "population.h"
#include "service_node.h"
#include "summary.h"
#include "workload.h"
#include "world.h"

namespace msgbed::sim {

namespace s4u = simgrid::s4u;

namespace {

// Everything a run owns; destroyed after the engine stops.
struct Deployment {
  std::map<std::string, std::unique_ptr<HostCpu>> cpus;
  std::map<std::string, std::unique_ptr<HostDisk>> disks;  // hosts with a disk model
  std::map<std::string, Placement> at;                     // host name -> where its nodes run
  std::vector<std::unique_ptr<ServiceNode>> services;
  std::unique_ptr<KafkaModel> kafka;
  std::vector<std::unique_ptr<Population>> populations;
  std::unique_ptr<Workload> workload;
  std::unique_ptr<ChannelPosts> channel_posts;
  std::unique_ptr<MediaShares> media;
  std::vector<std::unique_ptr<BotPopulation>> bot_populations;  // by botapi instance
  std::unique_ptr<BotTraffic> bots;
};

// The SimGrid links bulk flows take (Node::TransmitBulk): one per direction
// of every topology edge, and a route between every two hosts along the
// graph's lowest-latency path, the one the light transport takes.
void BuildRoutes(const World& w, const Deployment& d, s4u::NetZone* zone) {
  std::vector<s4u::Link*> links;
  for (size_t e = 0; e < w.graph.edge_count(); ++e) {
    const LinkSpec& spec = w.graph.edge(e).link;
    for (const char* dir : {"fwd", "back"}) {
      const std::string name = "edge" + std::to_string(e) + "-" + dir;
      links.push_back(zone->create_link(name, spec.bandwidth)->set_latency(spec.latency)->seal());
    }
  }
  for (const auto& [from_name, from] : d.at) {
    for (const auto& [to_name, to] : d.at) {
      if (from.host == to.host) continue;
      std::vector<s4u::LinkInRoute> route;
      for (const TopologyGraph::Hop& hop : w.graph.Route(from.endpoint, to.endpoint)) {
        route.emplace_back(links[2 * hop.edge + (hop.forward ? 0 : 1)]);
      }
      zone->add_route(from.host->get_netpoint(), to.host->get_netpoint(), nullptr, nullptr, route, false);
    }
  }
}

void BuildPlatform(const Scenario& sc, World& w, Deployment& d) {
  auto* zone = s4u::create_full_zone("deployment");
  auto place = [&](const std::string& name, int cores, double speed, const DiskSpec& disk) {
    auto* host = zone->create_host(name, speed)->set_core_count(cores)->seal();
    d.cpus[name] = std::make_unique<HostCpu>(cores, speed);
    if (disk.modelled()) d.disks[name] = std::make_unique<HostDisk>(disk);
    d.at[name] =
        Placement{host, d.cpus[name].get(), *w.graph.Find(name), disk.modelled() ? d.disks[name].get() : nullptr};
  };
  for (const HostSpec& h : sc.hosts) place(h.name, h.cores, h.speed, h.disk);
  for (uint32_t g = 0; g < w.shape.Count(role::kGateway); ++g) place(PopulationVertex(g), 1, 1e9, {});
  if (sc.workload.bots.count() > 0) {
    for (uint32_t b = 0; b < w.shape.Count(role::kBotApi); ++b) place(BotsVertex(b), 1, 1e9, {});
  }
  BuildRoutes(w, d, zone);
  zone->seal();
}

void DeployServices(const Scenario& sc, const RoleRegistry& roles, World& w, Deployment& d) {
  for (const auto& [role, hosts] : sc.services) {
    const RoleSpec& spec = roles.Get(role);
    for (uint32_t i = 0; i < hosts.size(); ++i) {
      Address addr = MakeAddress(role, i);
      const uint64_t seed = DeriveSeed(sc.seed, "instance/" + ToString(addr));
      auto node = std::make_unique<ServiceNode>(&w, spec, addr, d.at.at(hosts[i]), seed);
      node->SetWorkers(sc.instances.at(role).workers);
      node->SetQueueLimit(sc.instances.at(role).queue_limit);
      w.services[addr] = node.get();
      d.services.push_back(std::move(node));
    }
  }
  std::vector<std::unique_ptr<Node>> brokers;
  for (size_t b = 0; b < sc.kafka.brokers.size(); ++b) {
    const std::string& host = sc.kafka.brokers[b];
    brokers.push_back(std::make_unique<Node>(&w, "broker/" + std::to_string(b), d.at.at(host)));
  }
  d.kafka = std::make_unique<KafkaModel>(&w, std::move(brokers), sc.kafka);
  w.kafka = d.kafka.get();
  // Instances that join later (scale:) start then; the others' stores are
  // complete for the shape they start with (BoxHandoff need not ask).
  for (auto& node : d.services) {
    const Address& a = node->host().Self();
    if (a.index() >= w.shape.Count(a.role())) continue;
    if (a.role() == role::kMessages) SettleMessagesStore(node->store(), w.shape.Count(a.role()));
    node->StartInstance();
  }
}

// Who the users are: each user's device count and class, drawn from the
// "users" stream (nothing is drawn for what the scenario fixes).
// workload.sign_ins.new_devices_per_hour: a Poisson stream over the run
// of (time, user) for devices users add, in time order.
std::vector<std::pair<double, uint64_t>> DrawNewDevices(const Scenario& sc) {
  std::vector<std::pair<double, uint64_t>> added;
  const double rate = sc.workload.new_devices_per_hour / 3600;
  if (rate <= 0) return added;
  Rng draw(DeriveSeed(sc.seed, "new_devices"));
  for (double t = draw.Exponential(rate); t < sc.duration; t += draw.Exponential(rate))
    added.emplace_back(t, 1 + draw.Below(sc.workload.users));
  return added;
}

UserTable DrawUsers(const Scenario& sc) {
  const WorkloadSpec& wl = sc.workload;
  Rng draw(DeriveSeed(sc.seed, "users"));
  std::vector<double> device_weights, class_shares;
  for (const auto& [n, weight] : wl.device_weights) device_weights.push_back(weight);
  for (const UserClass& c : wl.classes) class_shares.push_back(c.share);
  // By user: when each added device joins (none and not allocated without them).
  const bool adding = wl.new_devices_per_hour > 0;
  std::vector<std::vector<double>> added(adding ? wl.users + 1 : 0);
  for (const auto& [t, user] : DrawNewDevices(sc)) added[user].push_back(t);
  UserTable users;
  users.first_device.reserve(wl.users + 1);
  uint64_t devices = 0;
  for (uint64_t user = 1; user <= wl.users; ++user) {
    users.first_device.push_back(devices);
    const uint64_t own =
        device_weights.empty() ? wl.devices_per_user : wl.device_weights[draw.Pick(device_weights)].first;
    devices += own + (adding ? added[user].size() : 0);
    if (!class_shares.empty()) users.class_of.push_back(static_cast<uint8_t>(draw.Pick(class_shares)));
    if (!adding) continue;
    users.joins_at.insert(users.joins_at.end(), own, -1);
    users.joins_at.insert(users.joins_at.end(), added[user].begin(), added[user].end());
  }
  users.first_device.push_back(devices);
  return users;
}

// workload.channels: each written full (users 1..members, user 1 its
// creator and admin) before the run, as if every member had joined.
void ProvisionChannels(const Scenario& sc, World& w) {
  auto store_of = [&w](const Address& a) -> KvStore& { return w.FindService(a)->store(); };
  for (size_t k = 0; k < sc.workload.channels.size(); ++k) {
    const ChannelLoad& load = sc.workload.channels[k];
    storage::ChannelRecord record;
    record.set_id(NewGroupId(1, k + 1, 1));
    record.set_title("channel " + std::to_string(k));
    record.set_broadcast(load.broadcast);
    record.set_creator(1);
    record.set_random_id(k + 1);
    record.add_admins(1);
    std::vector<uint64_t> members(load.members);
    for (uint64_t u = 0; u < load.members; ++u) members[u] = u + 1;
    if (Status s = ProvisionChannel(store_of, w.shape, record, members); !s.ok()) {
      throw ScenarioError("cannot provision workload.channels[" + std::to_string(k) + "]: " + s.message());
    }
    w.channels.push_back(record.id());
  }
}

// workload.groups: each group (a block of users, the first its creator,
// sim/group_layout.h) written full before the run.
void ProvisionGroups(const Scenario& sc, World& w) {
  auto store_of = [&w](const Address& a) -> KvStore& { return w.FindService(a)->store(); };
  w.group_layout = GroupLayout(sc.workload.groups, sc.seed);
  const GroupLayout& g = w.group_layout;
  for (uint64_t k = 0; k < g.count(); ++k) {
    storage::ChatRecord record;
    record.set_creator(g.FirstMember(k));
    record.set_random_id(k + 1);
    record.set_id(NewGroupId(record.creator(), record.random_id(), 0));
    record.set_title("group " + std::to_string(k));
    for (uint64_t u = 0; u < g.Size(k); ++u) record.add_members(record.creator() + u);
    if (Status s = ProvisionGroup(store_of, w.shape, record); !s.ok()) {
      throw ScenarioError("cannot provision workload.groups: " + s.message());
    }
    w.groups.push_back(record.id());
  }
}

// A device with no session yet: its first connection signs in by phone.
api::Authorization NewDevice(uint64_t user, uint64_t device) {
  api::Authorization session;
  session.set_user_id(user);
  session.set_device_id(device);
  return session;
}

void DeployClients(const Scenario& sc, World& w, Deployment& d) {
  const WorkloadSpec& wl = sc.workload;
  w.users = DrawUsers(sc);
  for (uint32_t g = 0; g < w.shape.Count(role::kGateway); ++g) {
    d.populations.push_back(std::make_unique<Population>(&w, g, d.at.at(PopulationVertex(g))));
    w.populations.push_back(d.populations.back().get());
    w.clients[MakeAddress(role::kGateway, g)] = d.populations.back().get();
  }
  w.sms_arrived = [&w](const OutboundMessage& m, double at) {
    for (Population* p : w.populations) p->SmsArrived(m, at);
  };
  w.push_arrived = [&w](const OutboundMessage& m, double at) {
    uint64_t i = 0;
    if (!ParsePushToken(m.to, &i) || i >= w.users.devices()) return;
    const uint32_t gateways = w.shape.Count(role::kGateway);
    w.populations[i % gateways]->PushArrived(i / gateways, at);
  };
  Rng placement(DeriveSeed(sc.seed, "placement"));
  // Every device starts signed in: its session is written into the auth
  // stores as a finished sign-up would have left it (auth/provision.h).
  Rng secrets(DeriveSeed(sc.seed, "credentials"));
  Rng passwords(DeriveSeed(sc.seed, "passwords"));  // which users have a cloud password
  auto store_of = [&w](const Address& a) -> KvStore& { return w.FindService(a)->store(); };
  uint64_t i = 0;
  for (uint64_t user = 1; user <= wl.users; ++user) {
    const bool has_password = wl.password_share > 0 && passwords.Uniform() < wl.password_share;
    for (uint64_t dev = 1; dev <= w.users.DevicesOf(user); ++dev, ++i) {
      Population& pop = *d.populations[i % w.shape.Count(role::kGateway)];
      if (const double joins = w.users.JoinsAt(i); joins >= 0) {  // added during the run: signs in then
        pop.AddDevice(NewDevice(user, dev), i, joins);
        continue;
      }
      const bool online = placement.Uniform() < wl.online_share;
      // Late devices join somewhere in the loaded period and must catch up.
      const double at = online ? placement.Uniform() * wl.connect_ramp
                               : wl.connect_ramp + placement.Uniform() * std::max(0.0, sc.duration - wl.connect_ramp);
      std::string secret(Credential::kSecretBytes, '\0');
      for (size_t b = 0; b < secret.size(); b += 8) {
        const uint64_t r = secrets.Next();
        for (size_t k = 0; k < 8; ++k) secret[b + k] = static_cast<char>(r >> (8 * k));
      }
      Status status;
      const std::string password = has_password ? "pw-" + std::to_string(user) : "";
      api::Authorization session =
          ProvisionSession(store_of, w.shape, user, dev, secret, kSimulatedEpoch, &status, password, PushToken(i));
      pop.AddDevice(std::move(session), i, at);
    }
  }
  ProvisionChannels(sc, w);
  ProvisionGroups(sc, w);
  if (!w.groups.empty()) w.recorder.in_group = [&w](uint64_t user, uint64_t chat) { return w.InGroup(user, chat); };
}

// workload.bots: each bot's account written into auth as `msgbed bot
// create` leaves it, and the bot given to the population of the botapi
// instance that owns it.
void DeployBots(const Scenario& sc, World& w, Deployment& d) {
  if (sc.workload.bots.count() == 0) return;
  d.bots = std::make_unique<BotTraffic>(&w);
  w.bots = d.bots.get();
  for (uint32_t b = 0; b < w.shape.Count(role::kBotApi); ++b) {
    d.bot_populations.push_back(std::make_unique<BotPopulation>(&w, b, d.at.at(BotsVertex(b))));
    w.clients[MakeAddress(role::kBotApi, b)] = d.bot_populations.back().get();
  }
  auto store_of = [&w](const Address& a) -> KvStore& { return w.FindService(a)->store(); };
  const BotLoad& load = sc.workload.bots;
  for (uint32_t k = 0; k < load.count(); ++k) {
    const bool broadcast = k == load.echo;
    const uint64_t id = broadcast ? d.bots->BroadcastBot() : d.bots->EchoBot(k);
    Status status;
    const std::string token =
        ProvisionBot(store_of, w.shape, id, (broadcast ? "news" : "echo") + std::to_string(k) + "_bot",
                     "secret" + std::to_string(id), kSimulatedEpoch, &status);
    if (!status.ok()) throw ScenarioError("cannot provision workload.bots: " + status.message());
    const uint32_t owner = BotApiOf(w.shape, id).index();
    d.bot_populations[owner]->AddBot(id, token, broadcast);
  }
}

// Samples the deployment at the end of every simulated second into the
// recorder's time series: each instance's and broker's queue and worker
// utilisation, each host's CPU, each link direction's utilisation. Work
// is counted when a worker takes it, so a backlogged instance reads 1.
class Sampler {
 public:
  Sampler(World* w, const Scenario& sc, std::vector<const Node*> nodes, Node* clock)
      : w_(w), sc_(sc), nodes_(std::move(nodes)), clock_(clock) {}

  void Start() {
    clock_->Post(1, 0, [this] { Sample(); });
  }

 private:
  void Sample() {
    const double t = w_->Now();
    TimeSeries& ts = w_->recorder.series;
    for (const Node* n : nodes_) {
      ts.Sample(t, "queue:" + n->name(), static_cast<double>(n->work_queued()));
      ts.Sample(t, "util:" + n->name(), std::min(1.0, Delta(&busy_[n], n->busy_seconds(t)) / n->workers()));
    }
    for (const HostSpec& h : sc_.hosts) {
      double flops = 0;
      const HostCpu* cpu = nullptr;
      for (const Node* n : nodes_) {
        if (n->host()->get_name() != h.name) continue;
        flops += n->busy_flops();
        cpu = n->cpu();
      }
      if (cpu) flops -= cpu->FlopsBeyond(t);
      ts.Sample(t, "cpu:" + h.name, std::min(1.0, Delta(&host_flops_[h.name], flops) / (h.cores * h.speed)));
    }
    for (const auto& [host, disk] : DisksOf(nodes_)) {
      const double busy = disk->busy_seconds() - disk->BusyBeyond(t);
      ts.Sample(t, "disk:" + host, std::min(1.0, Delta(&disk_busy_[host], busy) / disk->channels()));
    }
    for (size_t i = 0; i < w_->net.link_count(); ++i) {
      auto [a, b] = w_->graph.ends(i / 2);
      if (i % 2) std::swap(a, b);
      const std::string name = "link:" + w_->graph.vertex(a).name + ">" + w_->graph.vertex(b).name;
      ts.Sample(t, name, std::min(1.0, Delta(&link_busy_[i], w_->net.link(i).busy_seconds())));
    }
    for (const std::string& topic : w_->kafka->Topics()) {
      const uint64_t lag = w_->kafka->Lag(topic);
      ts.Sample(t, "lag:" + topic, static_cast<double>(lag));
      uint64_t& peak = w_->lag_peak[topic];
      peak = std::max(peak, lag);
    }
    if (t + 1 <= sc_.duration + sc_.drain + 1e-9) clock_->Post(t + 1, 0, [this] { Sample(); });
  }
  // The growth of a cumulative figure since the last sample.
  static double Delta(double* last, double now) {
    const double d = now - *last;
    *last = now;
    return d;
  }

  World* w_;
  const Scenario& sc_;
  std::vector<const Node*> nodes_;
  Node* clock_;
  std::map<const Node*, double> busy_;
  std::map<std::string, double> host_flops_, disk_busy_;
  std::map<size_t, double> link_busy_;
};

// The fault timeline's crashes and starts, each on the instance's own node
// at its time. Windowed faults need no event: the network, bus and disks
// ask World::faults as they go.
void ScheduleFaults(const Scenario& sc, World& w) {
  for (const FaultSpec& f : sc.faults) {
    const bool crash = f.kind == FaultSpec::Kind::kCrash;
    if (!crash && f.kind != FaultSpec::Kind::kStart) continue;
    const auto slash = f.instance.find('/');
    const std::string role = f.instance.substr(0, slash);
    const uint32_t index = std::stoul(f.instance.substr(slash + 1));
    if (role == "broker") {
      KafkaModel* kafka = w.kafka;
      kafka->brokers()[index]->Post(
          f.at, 0, [kafka, index, crash] { crash ? kafka->CrashBroker(index) : kafka->StartBroker(index); });
      continue;
    }
    ServiceNode* node = w.FindService(MakeAddress(role, index));
    node->Post(f.at, 0, [node, crash] {
      if (crash) {
        node->CrashInstance();
      } else if (!node->host().running()) {
        node->StartInstance();
      }
    });
  }
}

// scale: at each step the role's count changes, a joining instance starts,
// and every running instance is told the new shape at once (as a config
// push would, without its delay).
void ScheduleScale(const Scenario& sc, World& w) {
  for (const ScaleStep& step : sc.scale) {
    ServiceNode* node = w.FindService(MakeAddress(step.role, step.instance));
    node->Post(step.at, 0, [&w, node, step] {
      w.shape.instances[step.role] += step.add ? 1 : -1;
      if (step.add && !node->host().running()) node->StartInstance();
      for (const auto& [addr, other] : w.services) {
        if (other != node || !step.add) other->host().Reshape(w.shape);
      }
    });
  }
}

void Start(const Scenario& sc, World& w, Deployment& d) {
  ScheduleFaults(sc, w);
  ScheduleScale(sc, w);
  for (uint32_t g = 0; g < w.shape.Count(role::kGateway); ++g) {
    d.populations[g]->Begin(w.services.at(MakeAddress(role::kGateway, g)));
  }
  d.workload = std::make_unique<Workload>(&w, w.populations, DeriveSeed(sc.seed, "workload"));
  d.workload->Begin(d.populations.front().get());
  d.channel_posts = std::make_unique<ChannelPosts>(&w);
  d.channel_posts->Begin(d.populations.front().get());
  if (sc.workload.media.file_bytes > 0) {
    d.media = std::make_unique<MediaShares>(&w);
    w.media = d.media.get();
    d.media->Begin(d.populations.front().get());
  }
  for (uint32_t b = 0; b < d.bot_populations.size(); ++b) {
    d.bot_populations[b]->Begin(w.services.at(MakeAddress(role::kBotApi, b)), d.bots.get());
  }
  if (d.bots) d.bots->Begin(d.populations.front().get());
  // The only non-daemon actor: the run ends when it does.
  const double end = sc.duration + sc.drain;
  s4u::Actor::create("scheduler", d.at.begin()->second.host, [&w, end] { w.sched.Run(end); });
}

}  // namespace

SimulationResult Simulate(const Scenario& sc, const TraceChoice& trace, const RoleRegistry& roles,
                          const std::function<void(double)>& progress) {
  int argc = 2;
  char arg0[] = "msgbed";
  char arg1[] = "--log=root.thresh:critical";
  char* argv[] = {arg0, arg1, nullptr};
  s4u::Engine engine(&argc, argv);
  // Bulk flows under the textbook model: a lone flow takes latency +
  // bytes / bandwidth, as a message of the light transport does.
  s4u::Engine::set_config("network/model:CM02");
  s4u::Engine::set_config("network/latency-factor:1");
  s4u::Engine::set_config("network/bandwidth-factor:1");
  s4u::Engine::set_config("network/crosstraffic:0");

  World w(sc);
  w.trace = trace;
  if (progress) w.sched.OnProgress(1 << 16, progress);
  for (const auto& [role, hosts] : sc.services) w.shape.instances[role] = sc.StartCount(role);
  w.shape.partitions = sc.kafka.partitions;
  w.sms = std::make_unique<OutboundModel>(sc.sms, DeriveSeed(sc.seed, "sms"));
  w.push = std::make_unique<OutboundModel>(sc.push, DeriveSeed(sc.seed, "push"));
  Deployment d;
  BuildPlatform(sc, w, d);
  DeployServices(sc, roles, w, d);
  DeployClients(sc, w, d);
  DeployBots(sc, w, d);
  std::vector<const Node*> nodes;
  for (auto& s : d.services) nodes.push_back(s.get());
  for (auto& b : d.kafka->brokers()) nodes.push_back(b.get());
  Node clock(&w, "sampler", d.at.begin()->second);
  Sampler sampler(&w, sc, nodes, &clock);
  sampler.Start();
  Start(sc, w, d);
  engine.run();

  SimulationResult result{BuildSummary(sc, w, nodes, w.Now()), "", w.traced, w.recorder.series.Csv()};
  if (w.traced > 0) {
    for (const Node* n : nodes) {
      const std::string host = n->host()->get_name();
      w.tracer.Describe(n->name(), host + ", " + w.DatacenterOf(host));
    }
    for (const Population* p : w.populations) w.tracer.Describe(p->name(), "devices");
    const std::string what = trace.where.empty() ? "message-" + std::to_string(w.traced) : trace.where;
    result.trace = w.tracer.SequenceDiagram(
        sc.name + "-trace-" + what, "Message " + std::to_string(w.traced) + " (" + w.traced_about + ") of scenario " +
                                        sc.name + " (seed " + std::to_string(sc.seed) +
                                        "): " + std::to_string(w.tracer.hops()) + " hops");
  }
  return result;
}

void ClaimResultDir(const Scenario& sc, const std::string& out_dir) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(out_dir) / sc.name;
  std::error_code ec;
  if (!fs::is_regular_file(sc.file, ec)) return;  // the embedded quickstart claims nothing
  const fs::path source = fs::weakly_canonical(sc.file, ec);
  const fs::path marker = dir / ".source";
  std::ifstream in(marker);
  std::string claimed;
  // A claim by a file that is gone (moved, or the clone moved) lapses.
  if (std::getline(in, claimed) && claimed != source.string() && fs::exists(claimed, ec)) {
    throw ScenarioError(sc.file + ": key 'name': '" + sc.name + "' is also the name of " + claimed +
                        ", whose results are in " + dir.string() +
                        "; give this scenario a name of its own (or use --out)");
  }
  if (claimed == source.string()) return;
  WriteResultFile(sc, out_dir, ".source", source.string() + "\n");
}

std::string WriteResultFile(const Scenario& sc, const std::string& out_dir, const std::string& name,
                            const std::string& content) {
  const std::filesystem::path dir = std::filesystem::path(out_dir) / sc.name;
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / name;
  const std::filesystem::path tmp = dir / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file);  // readers never see half a file
  return file.string();
}

std::string WriteSummary(const Scenario& sc, const nlohmann::ordered_json& summary, const std::string& out_dir) {
  return WriteResultFile(sc, out_dir, "summary.json", summary.dump(2) + "\n");
}

void PrintSummary(const nlohmann::ordered_json& s, std::ostream& out) {
  const auto& m = s["messages"];
  const auto& d = s["deliveries"];
  out << "scenario " << s["scenario"]["name"].get<std::string>() << ", seed " << s["scenario"]["seed"] << ", "
      << s["simulated_s"] << " s simulated\n";
  out << "  messages   sent " << m["sent"] << ", acked " << m["acked"] << ", errors " << m["errors"];
  if (m["given_up"].get<uint64_t>() > 0) out << ", given up " << m["given_up"];
  if (s["kafka"]["shed_messages"].get<int64_t>() > 0) {
    out << ", shed " << s["kafka"]["shed_messages"] << " times while sync was behind (retried)";
  }
  out << "\n";
  out << "  deliveries " << d["delivered"] << " of " << d["expected"] << " expected (" << d["online"] << " live, "
      << d["caught_up"] << " by catch-up";
  if (s.contains("bots")) out << ", " << s["bots"]["deliveries"] << " in chats with bots";
  out << "), missing " << d["missing"];
  if (d["not_yet_delivered"].get<uint64_t>() > 0) out << ", not yet delivered " << d["not_yet_delivered"];
  out << "\n";
  const auto& e = s["at_end"];
  if (!e["settled"].get<bool>()) {
    out << "  UNSETTLED  the run stopped with work under way: " << e["work_in_flight"] << " messages in flight, "
        << e["sends_unanswered"] << " sends unanswered, " << e["devices_not_ready"]
        << " devices not synced; lengthen drain or lower the load\n";
  }
  out << "  devices    " << s["devices"]["in_sync_with_box"] << " of " << s["devices"]["total"]
      << " in sync with their box";
  if (e["devices_away"].get<uint64_t>() > 0) {
    out << " (" << e["devices_away"] << " away between sessions, owed " << d["owed_to_devices_away"] << " updates)";
  }
  out << "\n";
  if (s.contains("media")) PrintMedia(s["media"], out);
  if (s.contains("bots")) PrintBots(s["bots"], out);
  // A connection cap is a capacity limit that is not CPU: say so.
  for (const auto& warning : s["warnings"]) out << "  WARNING    " << warning.get<std::string>() << "\n";
  const auto& inv = s["invariants"];
  out << "  invariants " << (inv["ok"].get<bool>() ? "hold" : "BROKEN") << "\n";
  for (const auto& e : inv["examples"]) out << "    " << e.get<std::string>() << "\n";
  out << std::fixed << std::setprecision(3);
  out << "  latency ms          p50       p90       p99       max\n";
  for (const char* k : {"send_to_ack", "send_to_delivered", "send_to_visible", "offline_catch_up"}) {
    const auto& p = s["latency_ms"][k];
    out << "    " << std::left << std::setw(18) << k << std::right;
    for (const char* q : {"p50", "p90", "p99", "max"}) {
      out << std::setw(10);
      if (p[q].is_null() && p["count"].get<uint64_t>() + p.value("unfinished", uint64_t{0}) == 0) {
        out << "-";  // no samples
      } else if (p[q].is_null()) {
        out << ">run";  // fell among the sends that never finished
      } else {
        out << std::fixed << std::setprecision(3) << p[q].get<double>();
      }
    }
    out << "\n";
  }
  for (const auto& c : s["slo"]["checks"]) {
    out << "  SLO        " << c["flow"].get<std::string>() << " " << c["quantile"].get<std::string>()
        << " <= " << c["limit_ms"].get<double>() << " ms: ";
    if (c["measured_ms"].is_null()) {
      const auto& flow = s["latency_ms"][c["flow"].get<std::string>()];
      out << (flow["count"].get<uint64_t>() + flow.value("unfinished", uint64_t{0}) == 0 ? "no samples"
                                                                                         : "longer than the run");
    } else {
      out << c["measured_ms"].get<double>() << " ms";
    }
    out << (c["met"].get<bool>() ? ", met\n" : ", MISSED\n");
    out << std::setprecision(3);
  }
  out << "  cpu utilisation";
  for (const auto& [host, u] : s["cpu_utilisation"].items()) {
    out << "  " << host << " " << std::setprecision(1) << u.get<double>() * 100 << "%";
  }
  out << "\n";
  out.unsetf(std::ios::fixed);
}

}  // namespace msgbed::sim
