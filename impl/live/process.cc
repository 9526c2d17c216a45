#include "live/process.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <random>

#include "core/cluster.h"
#include "live/client_server.h"
#include "live/fault_board.h"
#include "live/faulty_store.h"
#include "live/file_blob_store.h"
#include "live/http_client_server.h"
#include "live/instance_store.h"
#include "live/kafka_bus.h"
#include "live/link_auth.h"
#include "live/live_substrate.h"
#include "live/reshape_board.h"
#include "live/router.h"
#include "live/s3_blob_store.h"
#include "roles/registry.h"

namespace msgbed::live {

namespace {

// Bot API webhooks: the URL is each bot's own (OutboundMessage::to).
ProviderConfig WebhookProvider() {
  ProviderConfig p;
  p.kind = ProviderConfig::Kind::kWebhook;
  p.timeout = 10 * kSecond;
  return p;
}

// One instance: its substrate, its host, and its client transport if the
// role has clients. Destroyed in reverse: clients, host, then substrate.
struct Instance {
  InstanceConfig config;
  std::unique_ptr<LiveSubstrate> substrate;
  std::unique_ptr<InstanceHost> host;
  std::unique_ptr<ClientTransport> clients;
  uint16_t client_port = 0;
};

Status ReadMockBootstrap(const LiveConfig& cfg, std::string* out) {
  const std::string file = MockBootstrapFile(cfg);
  std::ifstream in(file);
  if (!in || !std::getline(in, *out) || out->empty()) {
    return Status::IoError("bus: mock mode across processes: start `msgbed serve " + cfg.file +
                           " --role bus` first (no " + file + ")");
  }
  return Status::Ok();
}

Status WriteMockBootstrap(const LiveConfig& cfg, const std::string& bootstrap) {
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  // Written aside, then renamed: processes watching the file never read half of it.
  const std::string file = MockBootstrapFile(cfg);
  const std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << bootstrap << "\n";
    if (!out.flush()) return Status::IoError("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, file, ec);
  return ec ? Status::IoError("cannot write " + file + ": " + ec.message()) : Status::Ok();
}

}  // namespace

std::string MockBootstrapFile(const LiveConfig& config) {
  return (std::filesystem::path(config.data_dir) / "bus.bootstrap").string();
}

// How often a process that found the mock bus through its bootstrap file
// looks for a restarted bus (a new cluster, at new addresses).
constexpr auto kBootstrapPoll = std::chrono::seconds(1);

struct Process::Impl {
  asio::io_context io{1};
  LiveConfig config;
  std::unique_ptr<KafkaMockCluster> mock;
  std::unique_ptr<FaultBoard> faults;  // before what uses it: the router, the stores
  std::string bootstrap;
  std::unique_ptr<KafkaBus> bus;
  std::unique_ptr<Router> router;
  std::unique_ptr<OutboundProviders> outbound;  // shared by the process's instances
  std::vector<std::unique_ptr<Instance>> instances;
  std::unique_ptr<asio::steady_timer> bootstrap_watch;
  bool everything = false;
  std::unique_ptr<ReshapeBoard> reshapes;
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> reconnect_failures{0};
  std::string operator_key;  // the Bot API operator's (link_auth.h), once an HTTP role needs it

  // The operator key of the deployment secret, created where LoadSecret
  // creates it (the default path), so that `msgbed bot` finds the same.
  Status LoadOperatorKey(const LiveConfig& cfg) {
    if (!operator_key.empty()) return Status::Ok();
    std::string secret;
    if (Status s = LoadSecret(cfg.SecretFile(), cfg.security.secret_file.empty(), &secret); !s.ok()) return s;
    operator_key = OperatorKey(secret);
    return Status::Ok();
  }

  // The transport the role's clients speak (RoleSpec::client_protocol).
  std::unique_ptr<ClientTransport> MakeClients(const RoleSpec& role, const InstanceConfig& ic, InstanceHost* host) {
    if (role.client_protocol == RoleSpec::ClientProtocol::kHttp) {
      return std::make_unique<HttpClientServer>(io, ic.Name(), host, config.clients, operator_key);
    }
    return std::make_unique<ClientServer>(io, ic.Name(), host, config.clients);
  }

  void WatchBootstrap(const LiveConfig& cfg) {
    bootstrap_watch = std::make_unique<asio::steady_timer>(io, kBootstrapPoll);
    bootstrap_watch->async_wait([this, cfg](boost::system::error_code ec) {
      if (ec) return;
      std::string now;
      if (ReadMockBootstrap(cfg, &now).ok() && now != bus->bootstrap()) {
        const bool started = bus->ReconnectAsync(now, [this](const Status& s) {
          if (s.ok()) {
            ++reconnects;
          } else {
            ++reconnect_failures;
            spdlog::error("{}; will try again", s.message());
          }
        });
        if (started) spdlog::info("bus: the mock cluster moved to {}; reconnecting", now);
      }
      WatchBootstrap(cfg);
    });
  }

  Status HostMock(const LiveConfig& cfg) {
    Status s = KafkaMockCluster::Start(cfg.bus.mock_brokers, &mock);
    for (const auto& topic : AllTopics(RoleRegistry::Global())) {
      if (s.ok()) s = mock->CreateTopic(topic, cfg.partitions);
    }
    if (s.ok()) bootstrap = mock->bootstrap();
    return s;
  }

  Status StartBus(const LiveConfig& cfg, bool host_mock) {
    if (cfg.bus.mode == BusConfig::Mode::kKafka) {
      bootstrap = cfg.bus.bootstrap;
    } else if (host_mock) {
      if (Status s = HostMock(cfg); !s.ok()) return s;
    } else if (Status s = ReadMockBootstrap(cfg, &bootstrap); !s.ok()) {
      return s;
    } else {
      WatchBootstrap(cfg);
    }
    return KafkaBus::Open(bootstrap, cfg.partitions, AllTopics(RoleRegistry::Global()), io, &bus,
                          static_cast<int>(cfg.bus.session_timeout / 1000));
  }

  // An instance's blobs: in storage.s3 for roles that keep blobs, if
  // configured; else files in <dir>.blobs (made on first write).
  static Status OpenBlobs(const LiveConfig& cfg, const InstanceConfig& ic, const RoleSpec& role, const std::string& dir,
                          std::unique_ptr<BlobStore>* out) {
    if (!cfg.s3 || !role.uses_blobs) {
      std::unique_ptr<FileBlobStore> files;
      Status s = FileBlobStore::Open(dir + ".blobs", cfg.sync_writes, &files);
      *out = std::move(files);
      return s;
    }
    S3Options o;
    o.host = cfg.s3->host;
    o.port = cfg.s3->port;
    o.bucket = cfg.s3->bucket;
    o.prefix = cfg.s3->prefix;
    o.instance = ic.role + "-" + std::to_string(ic.index);
    o.credentials = {cfg.s3->access_key, "", cfg.s3->region};
    std::ifstream in(cfg.s3->secret_key_file);
    if (!std::getline(in, o.credentials.secret_key) || o.credentials.secret_key.empty()) {
      return Status::Invalid("storage.s3.secret_key_file: cannot read a key from " + cfg.s3->secret_key_file);
    }
    std::unique_ptr<S3BlobStore> s3;
    Status s = S3BlobStore::Open(o, &s3);
    if (!s.ok()) s = Status::IoError("storage.s3: " + s.message());
    *out = std::move(s3);
    return s;
  }

  Status AddInstance(const LiveConfig& cfg, const InstanceConfig& ic, bool listen_rpc) {
    const RoleSpec& role = RoleRegistry::Global().Get(ic.role);
    auto inst = std::make_unique<Instance>();
    inst->config = ic;
    const Address addr = MakeAddress(ic.role, ic.index);
    std::unique_ptr<KvStore> store;
    if (Status s = OpenInstanceStore(cfg, ic.role, ic.index, &store); !s.ok()) return s;
    std::unique_ptr<BlobStore> blobs;
    if (Status s = OpenBlobs(cfg, ic, role, InstanceDir(cfg, ic.role, ic.index), &blobs); !s.ok()) return s;
    if (!outbound) {
      outbound = std::make_unique<OutboundProviders>(
          io, OutboundProviders::ByChannel{{kSmsChannel, cfg.ProvidersOrDefault(kSmsChannel)},
                                           {kPushChannel, cfg.ProvidersOrDefault(kPushChannel)},
                                           {kEmailChannel, cfg.ProvidersOrDefault(kEmailChannel)},
                                           {kWebhookChannel, {WebhookProvider()}}});
    }
    if (role.name == role::kAuth) {
      if (Status s = outbound->Check(); !s.ok()) return s;
    }
    const bool http = role.has_clients && role.client_protocol == RoleSpec::ClientProtocol::kHttp;
    if (http) {
      if (Status s = LoadOperatorKey(cfg); !s.ok()) return s;
    }
    inst->substrate = std::make_unique<LiveSubstrate>(
        io, addr, router.get(), bus.get(), std::make_unique<FaultyStore>(std::move(store), faults.get(), addr),
        std::move(blobs), outbound.get());
    auto settings = cfg.role_settings.contains(ic.role) ? cfg.role_settings.at(ic.role) : RoleSettings{};
    // A (re)start builds the core with the shape in effect then.
    auto make = [this, &role, settings](Env* env) { return role.make(env, config.Shape(), settings); };
    inst->host = std::make_unique<InstanceHost>(addr, make, inst->substrate.get(), std::random_device{}());
    if (role.has_clients) inst->clients = MakeClients(role, ic, inst->host.get());
    inst->substrate->Attach(inst->host.get(), inst->clients.get());
    router->AddLocal(addr, inst->host.get());
    inst->host->Start();
    if (Status s = inst->substrate->subscribe_status(); !s.ok()) return s;
    if (inst->clients) {
      if (Status s = inst->clients->Listen(ic.client, &inst->client_port); !s.ok()) return s;
    }
    if (listen_rpc) {
      uint16_t port = 0;
      if (Status s = router->Listen(ic.rpc, &port); !s.ok()) return s;
    }
    const std::string clients = std::string(http ? " (HTTP on " : " (devices on ") + ic.client.host + ":" +
                                std::to_string(inst->client_port) + ")";
    spdlog::info("serving {}{}", ic.Name(), inst->clients ? clients : "");
    instances.push_back(std::move(inst));
    return Status::Ok();
  }

  Instance* Find(const Address& a) {
    for (auto& i : instances) {
      if (SameAddress(i->host->Self(), a)) return i.get();
    }
    return nullptr;
  }

  // An injected crash: the core and what it held in memory are lost, the
  // store is kept; its clients (devices, HTTP) see their connections drop.
  void CrashInstance(const Address& a) {
    Instance* i = Find(a);
    if (i == nullptr || !i->host->running()) return;
    i->host->Crash();
    i->substrate->Attach(i->host.get(), nullptr);
    i->clients.reset();
  }

  void StartInstance(const Address& a) {
    Instance* i = Find(a);
    if (i == nullptr || i->host->running()) return;
    if (const RoleSpec& role = RoleRegistry::Global().Get(i->config.role); role.has_clients) {
      i->clients = MakeClients(role, i->config, i->host.get());
      i->substrate->Attach(i->host.get(), i->clients.get());
      Endpoint ep = i->config.client;
      ep.port = i->client_port;  // where its devices reconnect
      if (Status s = i->clients->Listen(ep, &i->client_port); !s.ok())
        spdlog::error("{}: {}", i->config.Name(), s.message());
    }
    i->host->Start();
  }

  // A reshape was posted: reach the new instances, start them if this
  // process serves everything (otherwise their own processes run them),
  // tell every instance here the new shape.
  Status ApplyReshape(const LiveConfig& next) {
    config.instances = next.instances;
    for (const auto& ic : config.instances) router->AddRemote(MakeAddress(ic.role, ic.index), ic.rpc);
    Status started;
    for (const auto& ic : everything ? config.instances : std::vector<InstanceConfig>{}) {
      if (Find(MakeAddress(ic.role, ic.index))) continue;
      if (Status s = AddInstance(config, ic, false); !s.ok() && started.ok()) {
        started = Status::IoError(ic.Name() + ": " + s.message());
      }
    }
    const ClusterShape shape = config.Shape();
    for (auto& inst : instances) inst->host->Reshape(shape);
    return started;
  }

  void WatchFaults() {
    FaultBoard::Actions act;
    act.serves = [this](const Address& a) { return Find(a) != nullptr; };
    act.crash = [this](const Address& a) { CrashInstance(a); };
    act.start = [this](const Address& a) { StartInstance(a); };
    if (mock) {
      act.broker_down = [this](uint32_t b) {
        if (Status s = mock->SetBrokerUp(b, false); !s.ok()) spdlog::error("{}", s.message());
      };
      act.broker_up = [this](uint32_t b) {
        if (Status s = mock->SetBrokerUp(b, true); !s.ok()) spdlog::error("{}", s.message());
      };
    }
    faults = std::make_unique<FaultBoard>(io, config, std::move(act));
  }
};

Process::Process(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Process::~Process() {
  // Instances go before the bus and router they use; the bus stops its
  // consumer threads before the io_context goes.
  impl_->bootstrap_watch.reset();
  for (auto& inst : impl_->instances) inst->host->Stop();  // an orderly stop: cores hear of it
  impl_->instances.clear();
  impl_->bus.reset();
}

Status Process::Start(const LiveConfig& cfg, const std::string& selector, std::unique_ptr<Process>* out) {
  auto impl = std::make_unique<Impl>();
  impl->config = cfg;
  const bool bus_only = selector == "bus";
  const auto selected = bus_only ? std::vector<InstanceConfig>{} : cfg.Select(selector);
  if (Status s = CheckPostedReshape(cfg, selected); !s.ok()) return s;
  if (!bus_only && selected.empty()) return Status::Invalid("no instance matches '" + selector + "' in " + cfg.file);
  const bool everything = selected.size() == cfg.instances.size();
  impl->everything = everything;
  // The configuration first: a mistake there is named before anything starts.
  if (!everything && !bus_only) {
    for (const auto& ic : cfg.instances) {
      if (ic.rpc.port == 0) {
        return Status::Invalid(cfg.file + ": instances." + ic.Name() +
                               ".rpc: port 0 works only when one process serves every instance");
      }
    }
  }
  if (bus_only) {
    if (cfg.bus.mode != BusConfig::Mode::kMock) return Status::Invalid("--role bus needs bus.mode: mock");
    Status s = impl->HostMock(cfg);
    if (s.ok()) s = WriteMockBootstrap(cfg, impl->bootstrap);
    if (!s.ok()) return s;
    spdlog::info("mock Kafka cluster at {} (written to {})", impl->bootstrap, MockBootstrapFile(cfg));
  } else if (std::any_of(selected.begin(), selected.end(),
                         [](const auto& ic) { return RoleRegistry::Global().Get(ic.role).uses_bus; })) {
    if (Status s = impl->StartBus(cfg, everything); !s.ok()) return s;
  }
  // Links between processes prove they hold the deployment secret; a
  // process serving everything has none.
  std::string secret;
  if (!everything && !bus_only) {
    if (Status s = LoadSecret(cfg.SecretFile(), cfg.security.secret_file.empty(), &secret); !s.ok()) return s;
  }
  impl->WatchFaults();
  impl->router = std::make_unique<Router>(impl->io, cfg, std::move(secret));
  impl->router->SetFaults(impl->faults.get());
  if (!everything && !bus_only) {
    if (cfg.security.tls.enabled()) {
      if (Status s = impl->router->UseTls(cfg.security.tls); !s.ok()) return s;
      spdlog::info("links between services: mutual TLS 1.3 (certificate {}, CA {})", cfg.security.tls.cert,
                   cfg.security.tls.ca);
    } else {
      spdlog::info(
          "links between services: authenticated by the deployment secret, not encrypted (set "
          "security.tls for mutual TLS)");
    }
  }
  for (const auto& ic : selected) {
    if (Status s = impl->AddInstance(cfg, ic, !everything); !s.ok()) return s;
  }
  // Only now that its instances exist can the process tell which posted
  // faults concern it (a process restarted during a fault applies it too).
  impl->faults->Watch();
  if (!bus_only) {
    Impl* i = impl.get();
    impl->reshapes = std::make_unique<ReshapeBoard>(
        impl->io, cfg, selector.empty() ? "all" : selector,
        [i](const LiveConfig& next) { return i->ApplyReshape(next); },
        [i] {
          std::string names;
          for (const auto& inst : i->instances) {
            names += (names.empty() ? "" : " ") + inst->config.Name();
          }
          return names;
        });
    impl->reshapes->Watch();
  }
  out->reset(new Process(std::move(impl)));
  return Status::Ok();
}

void Process::Run(bool stop_on_signals) {
  auto guard = asio::make_work_guard(impl_->io);
  std::optional<asio::signal_set> signals;
  if (stop_on_signals) {
    signals.emplace(impl_->io, SIGINT, SIGTERM);
    signals->async_wait([this](boost::system::error_code ec, int sig) {
      if (!ec) spdlog::info("signal {}: stopping", sig);
      Stop();
    });
  }
  impl_->io.run();
}

void Process::Stop() { impl_->io.stop(); }

uint16_t Process::client_port(uint32_t index) const {
  for (const auto& i : impl_->instances) {
    if (i->clients && i->config.index == index) return i->client_port;
  }
  return 0;
}

uint16_t Process::client_port(std::string_view role, uint32_t index) const {
  for (const auto& i : impl_->instances) {
    if (i->clients && i->config.role == role && i->config.index == index) return i->client_port;
  }
  return 0;
}

Metrics Process::StatsOf(const Address& addr) {
  std::promise<Metrics> copy;
  asio::post(impl_->io, [&] {
    for (const auto& i : impl_->instances) {
      if (SameAddress(i->host->Self(), addr)) return copy.set_value(i->host->Stats());
    }
    copy.set_value(Metrics());
  });
  return copy.get_future().get();
}

const std::string& Process::bus_bootstrap() const { return impl_->bootstrap; }

uint64_t Process::bus_reconnects() const { return impl_->reconnects; }
uint64_t Process::bus_reconnect_failures() const { return impl_->reconnect_failures; }

uint64_t Process::faults_applied() const { return impl_->faults ? impl_->faults->applied() : 0; }

uint64_t Process::faults_ended() const { return impl_->faults ? impl_->faults->ended() : 0; }

uint64_t Process::client_accept_errors() const {
  uint64_t n = 0;
  for (const auto& i : impl_->instances) {
    if (i->clients) n += i->clients->accept_errors();
  }
  return n;
}

}  // namespace msgbed::live
