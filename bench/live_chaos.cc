// Live chaos under load, on loopback: a deployment of one OS process per
// role (`msgbed serve --role ...`: the mock bus, gateway, messages, sync),
// devices in this process sending steadily, and every --interval one role
// killed with SIGKILL, left down --downtime, and started again (gateway,
// messages, sync, bus, in turn, --rounds times). Devices reconnect as a
// real client does. Then sending stops and the run waits until every
// device shows every acknowledged message meant for it. Prints figures;
// exits 1 if an acknowledged message never reaches a device that should
// show it, or a device shows one twice.
//   ./build/bench/live_chaos --msgbed ./build/msgbed
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "live/device_connection.h"
#include "live/free_ports.h"
#include "live/provision.h"
#include "role_processes.h"

namespace msgbed::live {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
  std::string msgbed = "./build/msgbed";
  uint64_t users = 20;
  uint64_t devices = 2;
  double rate = 100;  // messages per second, all users together
  double interval = 8;
  double downtime = 2;
  uint64_t rounds = 1;
  double drain = 120;  // at most, after the last restart
};

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class Chaos final : public Device::Observer {
 public:
  Chaos(const Options& o, uint16_t port, RoleProcesses* deploy, std::map<SessionKey, api::Authorization> sessions)
      : o_(o), port_(port), sessions_(std::move(sessions)), deploy_(deploy) {}

  int Run() {
    for (uint64_t u = 1; u <= o_.users; ++u) {
      for (uint64_t d = 1; d <= o_.devices; ++d) Connect(u, d);
    }
    if (!RunUntil([&] { return synced_.size() == conns_.size(); }, 60)) return Fail("the devices never all synced");
    start_ = Clock::now();
    Tick();
    const char* order[] = {"gateway", "messages", "sync", "auth", "bus"};
    for (uint64_t k = 0; k < 4 * o_.rounds; ++k) {
      RunFor(o_.interval);
      const std::string role = order[k % 4];
      deploy_->Stop(role, SIGKILL);
      const auto killed = Clock::now();
      RunFor(o_.downtime);
      deploy_->Start(role);
      kills_.push_back({role, Since(start_), Since(killed)});
    }
    RunFor(o_.interval);
    sending_ = false;
    const auto stop = Clock::now();
    const bool converged = RunUntil([&] { return Missing() == 0; }, o_.drain);
    Report(Since(stop), converged);
    return converged && duplicates_ == 0 ? 0 : 1;
  }

  void OnSynced(Device& d) override { synced_.insert({d.user(), d.device()}); }
  void OnSent(Device& d, const api::SentMessage& s) override {
    acked_[s.random_id()] = peer_of_[s.random_id()];
    if (!acked_.empty() && last_ack_ != Clock::time_point())
      longest_pause_ = std::max(longest_pause_, Since(last_ack_));
    last_ack_ = Clock::now();
    (void)d;
  }
  void OnSendFailed(Device&, uint64_t, const api::Error&) override { ++given_up_; }
  void OnDelivered(Device& d, const api::Message& m) override {
    if (++shown_[{d.user(), d.device()}][m.random_id()] > 1) ++duplicates_;
  }
  void OnError(Device&, const api::Error&) override { ++errors_; }

 private:
  struct Kill {
    std::string role;
    double at_s, down_s;
  };

  template <typename Pred>
  bool RunUntil(Pred pred, double seconds) {
    const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    while (!pred()) {
      if (Clock::now() > end) return false;
      io_.run_one_for(milliseconds(20));
    }
    return true;
  }
  void RunFor(double seconds) {
    RunUntil([] { return false; }, seconds);
  }

  void Connect(uint64_t user, uint64_t device) {
    auto& conn = conns_[{user, device}];
    if (!conn) conn = std::make_unique<DeviceConnection>(io_, sessions_.at({user, device}), this);
    conn->Connect("127.0.0.1", port_, [this, user, device](const std::string&) {
      ++reconnects_;
      auto timer = std::make_shared<asio::steady_timer>(io_, milliseconds(500 + rng_() % 1000));
      timer->async_wait([this, timer, user, device](boost::system::error_code) { Connect(user, device); });
    });
  }

  // Sends at the offered rate from device 1 of random users that are ready.
  void Tick() {
    if (!sending_) return;
    constexpr double kTick = 0.01;
    credit_ += o_.rate * kTick;
    for (; credit_ >= 1; credit_ -= 1) {
      const uint64_t from = 1 + rng_() % o_.users;
      Device& d = conns_.at({from, 1})->device();
      if (d.state() != Device::State::kReady) continue;  // offline: this one is not sent
      uint64_t peer = 1 + rng_() % (o_.users - 1);
      if (peer >= from) ++peer;
      const uint64_t id = ++sent_;
      peer_of_[id] = {from, peer};
      d.SendText(peer, "chaos " + std::to_string(id), id);
    }
    tick_.expires_after(milliseconds(10));
    tick_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  // Acknowledged messages a device should show and does not.
  uint64_t Missing() const {
    uint64_t missing = 0;
    for (const auto& [id, ends] : acked_) {
      const auto [from, to] = ends;
      for (uint64_t d = 1; d <= o_.devices; ++d) {
        missing += Lacks({to, d}, id);
        if (d != 1) missing += Lacks({from, d}, id);  // the sender's other devices
      }
    }
    return missing;
  }
  bool Lacks(std::pair<uint64_t, uint64_t> device, uint64_t id) const {
    auto it = shown_.find(device);
    return it == shown_.end() || !it->second.contains(id);
  }

  int Fail(const std::string& why) {
    std::cerr << "live_chaos: " << why << "\n";
    return 1;
  }

  void Report(double drain_s, bool converged) {
    std::cout << "live chaos on loopback: " << o_.users << " users x " << o_.devices << " devices, " << o_.rate
              << " msg/s offered; " << o_.interval << " s of traffic, then a role killed (SIGKILL) and down "
              << o_.downtime << " s, " << 4 * o_.rounds << " times\n";
    for (const Kill& k : kills_) {
      std::cout << "  kill -9 " << k.role << " at " << k.at_s << " s, restarted " << k.down_s << " s later\n";
    }
    std::cout << "  sent " << sent_ << ", acked " << acked_.size() << ", given up " << given_up_ << ", errors "
              << errors_ << ", reconnects " << reconnects_ << "\n"
              << "  longest pause between acks: " << longest_pause_ << " s\n"
              << "  after sending stopped: "
              << (converged ? "every device showed every acked message in " : "STILL MISSING after ") << drain_s
              << " s (missing " << Missing() << ")\n"
              << "  shown twice: " << duplicates_ << "\n";
  }

  const Options& o_;
  const uint16_t port_;
  const std::map<SessionKey, api::Authorization> sessions_;
  RoleProcesses* deploy_;
  asio::io_context io_;
  asio::steady_timer tick_{io_};
  std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<DeviceConnection>> conns_;
  std::set<std::pair<uint64_t, uint64_t>> synced_;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> peer_of_;  // random_id -> (from, to)
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> acked_;
  std::map<std::pair<uint64_t, uint64_t>, std::map<uint64_t, int>> shown_;
  std::vector<Kill> kills_;
  std::mt19937_64 rng_{1};
  bool sending_ = true;
  double credit_ = 0;
  uint64_t sent_ = 0, given_up_ = 0, errors_ = 0, reconnects_ = 0, duplicates_ = 0;
  Clock::time_point start_, last_ack_;
  double longest_pause_ = 0;
};

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  using namespace msgbed::live;
  Options o;
  CLI::App app{"Live chaos under load on loopback: kill -9 each role in turn during steady traffic"};
  app.add_option("--msgbed", o.msgbed, "The msgbed binary")->capture_default_str()->check(CLI::ExistingFile);
  app.add_option("--users", o.users)->capture_default_str()->check(CLI::Range(2, 10000));
  app.add_option("--devices", o.devices, "Devices per user")->capture_default_str()->check(CLI::Range(1, 8));
  app.add_option("--rate", o.rate, "Messages per second offered")->capture_default_str()->check(CLI::Range(1.0, 1e5));
  app.add_option("--interval", o.interval, "Seconds of traffic before each kill (after the last restart)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--downtime", o.downtime, "Seconds a killed role stays down")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--rounds", o.rounds, "Times every role is killed")->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--drain", o.drain, "Longest wait for every device to converge, seconds")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  o.msgbed = std::filesystem::absolute(o.msgbed).string();

  const auto dir = std::filesystem::temp_directory_path() / ("msgbed-live-chaos-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = FreePorts(5);
  const auto at = [](uint16_t port) { return "127.0.0.1:" + std::to_string(port); };
  std::ofstream(dir / "deploy.yaml") << "partitions: 8\nbus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: "
                                     << (dir / "data").string() << ", sync: false}\ninstances:\n"
                                     << "  gateway/0: {client: " << at(p[0]) << ", rpc: " << at(p[1]) << "}\n"
                                     << "  messages/0: {rpc: " << at(p[2]) << "}\n  sync/0: {rpc: " << at(p[3])
                                     << "}\n  auth/0: {rpc: " << at(p[4]) << "}\n";
  // Every user's devices are signed in before anything starts.
  std::vector<SessionKey> wanted;
  for (uint64_t u = 1; u <= o.users; ++u) {
    for (uint64_t d = 1; d <= o.devices; ++d) wanted.emplace_back(u, d);
  }
  std::map<SessionKey, msgbed::api::Authorization> sessions;
  if (msgbed::Status s = ProvisionSessions(LoadConfig((dir / "deploy.yaml").string()), wanted, &sessions); !s.ok()) {
    std::cerr << "live_chaos: cannot provision sessions: " << s.message() << "\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  int rc = 1;
  {
    RoleProcesses deploy(o.msgbed, dir / "deploy.yaml", dir);
    if (deploy.StartBus(dir / "data" / "bus.bootstrap")) {
      for (const char* role : {"messages", "sync", "auth", "gateway"}) deploy.Start(role);
      rc = Chaos(o, p[0], &deploy, std::move(sessions)).Run();
    }
  }
  if (rc == 0) std::filesystem::remove_all(dir);
  if (rc != 0) std::cerr << "logs kept in " << dir << "\n";
  return rc;
}
