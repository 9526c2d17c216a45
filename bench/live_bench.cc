// Live end-to-end throughput on loopback: a whole deployment in this process
// (one thread serving, mock Kafka, RocksDB) and `users` x `devices` real TCP
// devices on a second thread. Every user's first device keeps `window` sends
// in flight to random peers until `messages` were sent; the run ends when
// every device has every message meant for it.
//   ./build/bench/live_bench --users 50 --devices 2 --messages 20000
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "live/config.h"
#include "live/device_connection.h"
#include "live/process.h"
#include "live/provision.h"
#include "live/tls.h"
#include "live_deployment.h"

namespace msgbed::live {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t users = 50;
  uint64_t devices = 2;
  uint64_t messages = 20000;
  uint64_t window = 8;
  bool sync = false;
  bool tls = false;
};

class Bench final : public Device::Observer {
 public:
  Bench(const Options& o, uint16_t port, std::map<SessionKey, api::Authorization> sessions,
        std::shared_ptr<ssl::context> tls)
      : o_(o), port_(port), sessions_(std::move(sessions)), tls_(std::move(tls)) {}

  int Run() {
    for (uint64_t u = 1; u <= o_.users; ++u) {
      for (uint64_t d = 1; d <= o_.devices; ++d) {
        conns_.push_back(std::make_unique<DeviceConnection>(io_, sessions_.at({u, d}), this));
        if (tls_) conns_.back()->UseTls(tls_);
        conns_.back()->Connect("127.0.0.1", port_, [](const std::string& why) {
          std::cerr << "device disconnected: " << why << "\n";
          std::exit(1);
        });
      }
    }
    const auto deadline = Clock::now() + std::chrono::minutes(5);
    while (!done() && Clock::now() < deadline) io_.run_one_for(std::chrono::milliseconds(100));
    if (!done()) {
      std::cerr << "timed out: " << delivered_ << " of " << expected() << " deliveries\n";
      return 1;
    }
    Report();
    return 0;
  }

  void OnSynced(Device& d) override {
    if (++synced_ != conns_.size()) return;
    start_ = Clock::now();
    for (auto& c : conns_) {
      if (c->device().device() != 1) continue;
      for (uint64_t i = 0; i < o_.window; ++i) SendOne(c->device());
    }
    (void)d;
  }
  void OnSent(Device& d, const api::SentMessage& s) override {
    ack_us_.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent_at_[s.random_id()]).count());
    SendOne(d);
  }
  void OnDelivered(Device&, const api::Message&) override {
    if (++delivered_ == expected()) end_ = Clock::now();
  }
  void OnError(Device&, const api::Error& e) override {
    std::cerr << "error: " << e.message() << "\n";
    std::exit(1);
  }

 private:
  // Each message reaches the peer's devices and the sender's other devices.
  uint64_t expected() const { return o_.messages * (2 * o_.devices - 1); }
  bool done() const { return sent_ == o_.messages && delivered_ == expected(); }

  void SendOne(Device& from) {
    if (sent_ == o_.messages) return;
    uint64_t peer = 1 + rng_() % (o_.users - 1);
    if (peer >= from.user()) ++peer;
    const uint64_t id = ++sent_;
    sent_at_[id] = Clock::now();
    from.SendText(peer, std::string(100, 'x'), id);
  }

  void Report() {
    const double secs = std::chrono::duration<double>(end_ - start_).count();
    std::sort(ack_us_.begin(), ack_us_.end());
    auto pct = [&](double q) {
      return ack_us_[std::min(ack_us_.size() - 1, static_cast<size_t>(q * ack_us_.size()))] / 1e3;
    };
    std::cout << "live loopback: " << o_.users << " users x " << o_.devices << " devices, window " << o_.window
              << ", storage sync " << (o_.sync ? "on" : "off") << ", " << (tls_ ? "TLS 1.3" : "plain TCP") << "\n"
              << "  " << o_.messages << " messages, " << delivered_ << " deliveries in " << secs << " s\n"
              << "  " << static_cast<uint64_t>(o_.messages / secs) << " messages/s, "
              << static_cast<uint64_t>(delivered_ / secs) << " deliveries/s\n"
              << "  send->ack ms: p50 " << pct(0.5) << ", p99 " << pct(0.99) << "\n";
  }

  const Options o_;
  const uint16_t port_;
  asio::io_context io_;
  std::vector<std::unique_ptr<DeviceConnection>> conns_;
  const std::map<SessionKey, api::Authorization> sessions_;
  const std::shared_ptr<ssl::context> tls_;
  std::mt19937_64 rng_{1};
  std::map<uint64_t, Clock::time_point> sent_at_;
  std::vector<double> ack_us_;
  size_t synced_ = 0;
  uint64_t sent_ = 0, delivered_ = 0;
  Clock::time_point start_, end_;
};

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  using namespace msgbed::live;
  Options o;
  CLI::App app{"Live end-to-end messages/s on loopback"};
  app.add_option("--users", o.users)->capture_default_str()->check(CLI::Range(2, 100000));
  app.add_option("--devices", o.devices, "Devices per user")->capture_default_str()->check(CLI::Range(1, 16));
  app.add_option("--messages", o.messages)->capture_default_str();
  app.add_option("--window", o.window, "Sends in flight per sending device")->capture_default_str();
  app.add_flag("--sync", o.sync, "fsync every storage write");
  app.add_flag("--tls", o.tls, "devices connect over TLS 1.3 (development certificates)");
  CLI11_PARSE(app, argc, argv);

  auto deployment = LiveDeployment::Start(o.users, o.devices, o.sync, o.tls);
  if (!deployment) return 1;
  std::shared_ptr<ssl::context> tls;
  if (o.tls) {
    if (auto s = ClientTlsContext(deployment->ca_file(), &tls); !s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
  }
  const int rc = Bench(o, deployment->port(), std::move(deployment->sessions()), std::move(tls)).Run();
  return rc;
}
