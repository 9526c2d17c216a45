#include "conformance/worlds.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "conformance/probe_role.h"
#include "live/config.h"
#include "live/live_fixture.h"
#include "live/process.h"
#include "live/raw_client.h"
#include "simulation.h"
#include "unit/test_cluster.h"

namespace msgbed::probe {

namespace {

constexpr uint32_t kPartitions = 4;
const Address kProbe0 = MakeAddress(kRole, 0);

class TestWorld final : public ProbeWorld {
 public:
  Observed Run(const Plan& plan) override {
    ClusterShape shape{{{kRole, plan.instances}}, kPartitions};
    testing::TestCluster c(shape, RoleRegistry::Global(), {{kRole, {{"act", plan.act}}}});
    if (plan.crash >= 0) {
      const Address crashed = MakeAddress(kRole, plan.crash);
      c.Advance(100 * kMillisecond);
      c.Crash(crashed);
      c.Advance(50 * kMillisecond);
      c.Start(crashed);
      c.Advance(plan.run_for - 150 * kMillisecond);
    } else {
      c.Advance(plan.run_for);
    }
    Observed out;
    for (uint32_t i = 0; i < plan.instances; ++i) out.push_back(c.host(MakeAddress(kRole, i)).Stats());
    return out;
  }

  Metrics GatewayClosing(uint32_t connections) override {
    testing::TestCluster c(testing::Shape(), RoleRegistry::Global(), {{role::kGateway, {{"max_connections", 1}}}});
    for (uint32_t i = 0; i < connections; ++i) c.Connect(c.AddDevice(1 + i, 1));
    c.Run();
    return c.host(MakeAddress(role::kGateway, 0)).Stats();
  }
};

// A scenario with a host per probe (and the roles every deployment needs,
// idle), run in a child process: SimGrid allows one engine per process.
class SimWorld final : public ProbeWorld {
 public:
  Metrics GatewayClosing(uint32_t connections) override {
    std::ostringstream yaml;
    yaml << "name: closing\nduration: 1s\ndrain: 1s\n"
         << "topology:\n  hosts: [{name: base}]\n"
         << "  services: {gateway: [base], messages: [base], sync: [base], auth: [base]}\n  kafka: {brokers: [base]}\n"
         << "workload: {users: " << connections << ", devices_per_user: 1, online_share: 1, messages_per_second: 0}\n"
         << "gateway: {max_connections: 1}\n";
    const auto summary = InChild(sim::ParseScenario(yaml.str(), "closing.yaml"));
    Metrics out;
    for (const auto& [k, v] : summary["instances"]["gateway/0"].items()) out.Set(k, v.get<int64_t>());
    return out;
  }

  Observed Run(const Plan& plan) override {
    std::ostringstream yaml;
    yaml << "name: probe\nseed: 1\nduration: " << plan.run_for << "us\ndrain: 0s\n"
         << "topology:\n  hosts:\n    - {name: base}\n";
    std::string probes;
    for (uint32_t i = 0; i < plan.instances; ++i) {
      yaml << "    - {name: p" << i << "}\n";
      probes += (i ? ", p" : "p") + std::to_string(i);
    }
    yaml << "  services: {gateway: [base], messages: [base], sync: [base], auth: [base], probe: [" << probes << "]}\n"
         << "  kafka: {brokers: [base], partitions: " << kPartitions << "}\n"
         << "workload: {users: 2, messages_per_second: 0}\n"
         << "probe: {act: " << plan.act << "}\n";
    if (plan.crash >= 0) {
      yaml << "faults: [{at: 100ms, crash: probe/" << plan.crash << "}, {at: 150ms, start: probe/" << plan.crash
           << "}]\n";
    }
    const auto summary = InChild(sim::ParseScenario(yaml.str(), "probe.yaml"));
    Observed out(plan.instances);
    for (uint32_t i = 0; i < plan.instances; ++i) {
      for (const auto& [k, v] : summary["instances"][kRole + std::string("/") + std::to_string(i)].items()) {
        out[i].Set(k, v.get<int64_t>());
      }
    }
    return out;
  }

 private:
  // The run's summary.json, or an empty object if the child failed.
  static nlohmann::json InChild(const sim::Scenario& sc) {
    const auto dir = std::filesystem::temp_directory_path() / ("msgbed-probe-" + std::to_string(::getpid()));
    const pid_t pid = ::fork();
    if (pid == 0) {
      sim::WriteSummary(sc, sim::Simulate(sc).summary, dir.string());
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::ifstream in(dir / sc.name / "summary.json");
    nlohmann::json summary = nlohmann::json::object();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && in) summary = nlohmann::json::parse(in);
    std::filesystem::remove_all(dir);
    return summary;
  }
};

// Each probe in its own Process (so messages cross the router and the
// authenticated links), plus the mock bus; the standard roles are listed
// in the config but not started.
class LiveWorld final : public ProbeWorld {
 public:
  Observed Run(const Plan& plan) override {
    testing::TempDir dir("probe");
    const auto ports = testing::FreePorts(4 + plan.instances);
    auto at = [&](size_t i) { return "127.0.0.1:" + std::to_string(ports[i]); };
    std::string yaml = "partitions: " + std::to_string(kPartitions) + "\nbus: {mode: mock, mock_brokers: 1}\n" +
                       "storage: {data_dir: " + dir.path().string() + ", sync: false}\n" +
                       "probe: {act: " + std::to_string(plan.act) + "}\ninstances:\n" +
                       "  gateway/0: {client: 127.0.0.1:0, rpc: " + at(0) + "}\n  messages/0: {rpc: " + at(1) +
                       "}\n  sync/0: {rpc: " + at(2) + "}\n  auth/0: {rpc: " + at(3) + "}\n";
    for (uint32_t i = 0; i < plan.instances; ++i) {
      yaml += "  probe/" + std::to_string(i) + ": {rpc: " + at(4 + i) + "}\n";
    }
    config_ = live::ParseConfig(yaml, "probe.yaml");
    Start("bus");
    // Highest index first: probe/0 talks to the others as it starts.
    for (uint32_t i = plan.instances; i-- > 0;) Start(Name(i));
    if (plan.crash >= 0) {
      Await([&] { return plan.crash_when(Snapshot(plan.instances)); }, plan.run_for);
      Stop(Name(plan.crash));
      Start(Name(plan.crash));
    }
    Observed out;
    Await([&] { return plan.done(out = Snapshot(plan.instances)); }, plan.run_for);
    for (auto it = procs_.rbegin(); it != procs_.rend(); ++it) Stop(it->first);
    return out;
  }
  ~LiveWorld() override {
    for (auto& [name, r] : procs_) Stop(name);
  }

  // The whole deployment in one process; raw connections that never sign in.
  Metrics GatewayClosing(uint32_t connections) override {
    testing::TempDir dir("closing");
    config_ = live::ParseConfig("bus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " + dir.path().string() +
                                    ", sync: false}\ngateway: {max_connections: 1}\ninstances:\n"
                                    "  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
                                    "  messages/0: {rpc: 127.0.0.1:0}\n  sync/0: {rpc: 127.0.0.1:0}\n"
                                    "  auth/0: {rpc: 127.0.0.1:0}\n",
                                "closing.yaml");
    Start("");
    const uint16_t port = procs_.at("").process->client_port(0);
    std::vector<std::unique_ptr<testing::RawClient>> clients;
    for (uint32_t i = 0; i < connections; ++i) clients.push_back(std::make_unique<testing::RawClient>(port));
    for (uint32_t i = 1; i < connections; ++i) clients[i]->ReadUntilClosed();  // refused, then closed
    const Address gw = MakeAddress(role::kGateway, 0);
    Metrics m;
    Await(
        [&] {
          m = procs_.at("").process->StatsOf(gw);
          return m.Get("gateway.connections") == 1;
        },
        10 * kSecond);
    Stop("");
    return m;
  }

 private:
  struct Running {
    std::unique_ptr<live::Process> process;
    std::thread thread;
  };
  static std::string Name(uint32_t i) { return std::string(kRole) + "/" + std::to_string(i); }
  void Start(const std::string& selector) {
    Running& r = procs_[selector];
    const Status s = live::Process::Start(config_, selector, &r.process);
    if (!s.ok()) throw std::runtime_error(selector + ": " + s.message());
    r.thread = std::thread([p = r.process.get()] { p->Run(); });
  }
  void Stop(const std::string& selector) {
    Running& r = procs_[selector];
    if (!r.process) return;
    r.process->Stop();
    r.thread.join();
    r.process.reset();
  }
  Metrics Stats(uint32_t i) { return procs_.at(Name(i)).process->StatsOf(MakeAddress(kRole, i)); }
  Observed Snapshot(uint32_t n) {
    Observed out;
    for (uint32_t i = 0; i < n; ++i) out.push_back(Stats(i));
    return out;
  }
  // Polls pred every 20 ms until it holds or `bound` passes.
  static void Await(const std::function<bool()>& pred, Micros bound) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(bound);
    while (!pred() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  live::LiveConfig config_;
  std::map<std::string, Running> procs_;
};

}  // namespace

std::unique_ptr<ProbeWorld> MakeWorld(const std::string& name) {
  RegisterProbe();
  if (name == "test") return std::make_unique<TestWorld>();
  if (name == "sim") return std::make_unique<SimWorld>();
  return std::make_unique<LiveWorld>();
}

}  // namespace msgbed::probe
