// Live channel fan-out on loopback: `members` users with one device each
// (real TCP connections, all online) in one broadcast channel of user 1,
// who posts `posts` times, each once the last reached every member. For
// each post: the time until every member's device showed it, and each
// device's post->shown time. The deployment is LiveDeployment's (one
// serving thread); the devices run on this thread.
//   ./build/bench/live_fanout_bench --members 1000 --posts 20
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>

#include "live/device_connection.h"
#include "live_deployment.h"

namespace msgbed::live {
namespace {

using Clock = std::chrono::steady_clock;

class FanoutBench final : public Device::Observer {
 public:
  FanoutBench(uint64_t members, uint64_t posts, LiveDeployment& d) : members_(members), posts_(posts), d_(d) {}

  int Run() {
    for (uint64_t u = 1; u <= members_; ++u) {
      conns_.push_back(std::make_unique<DeviceConnection>(io_, d_.sessions().at({u, 1}), this));
      conns_.back()->Connect("127.0.0.1", d_.port(), [](const std::string& why) {
        std::cerr << "device disconnected: " << why << "\n";
        std::exit(1);
      });
    }
    if (!Until([&] { return synced_ == members_; }, "devices synced")) return 1;
    api::ClientFrame create;
    create.mutable_create_channel()->set_title("news");
    create.mutable_create_channel()->set_broadcast(true);
    create.mutable_create_channel()->set_random_id(1);
    conns_[0]->device().Request(create);
    if (!Until([&] { return channel_ != 0; }, "channel created")) return 1;
    for (size_t i = 1; i < conns_.size(); ++i) {
      api::ClientFrame join;
      join.mutable_join_channel()->set_channel_id(channel_);
      conns_[i]->device().Request(join);
      if (i % 256 == 0 && !Until([&] { return joined() >= i; }, "members joined")) return 1;
    }
    if (!Until([&] { return joined() == members_ - 1; }, "members joined")) return 1;
    for (post_ = 1; post_ <= posts_; ++post_) {
      shown_ = 0;
      posted_at_ = Clock::now();
      conns_[0]->device().SendToChannel(channel_, "post " + std::to_string(post_), post_);
      if (!Until([&] { return shown_ == members_ - 1; }, "post shown")) return 1;
      all_ms_.push_back(Ms(Clock::now()));
    }
    Report();
    return 0;
  }

  void OnSynced(Device&) override { ++synced_; }
  void OnServerFrame(Device&, const api::ServerFrame& f) override {
    if (f.has_channel() && channel_ == 0) channel_ = f.channel().id();
  }
  void OnDelivered(Device& d, const api::Message& m) override {
    if (m.channel_id() != channel_ || m.random_id() != post_ || d.user() == 1) return;
    ++shown_;
    each_ms_.push_back(Ms(Clock::now()));
  }
  void OnError(Device&, const api::Error& e) override {
    std::cerr << "error: " << e.message() << "\n";
    std::exit(1);
  }

 private:
  uint64_t joined() const {
    uint64_t n = 0;
    for (size_t i = 1; i < conns_.size(); ++i) n += conns_[i]->device().channels();
    return n;
  }
  double Ms(Clock::time_point t) const { return std::chrono::duration<double, std::milli>(t - posted_at_).count(); }
  bool Until(const std::function<bool()>& done, const char* what) {
    const auto deadline = Clock::now() + std::chrono::minutes(5);
    while (!done()) {
      if (Clock::now() > deadline) {
        std::cerr << "timed out waiting: " << what << "\n";
        return false;
      }
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    return true;
  }
  static double Pct(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  }
  void Report() const {
    std::cout << "live channel fan-out: " << members_ - 1 << " members online, " << posts_ << " posts\n"
              << "  post -> every member shown ms: p50 " << Pct(all_ms_, 0.5) << ", max " << Pct(all_ms_, 1) << "\n"
              << "  post -> shown per member device ms: p50 " << Pct(each_ms_, 0.5) << ", p99 " << Pct(each_ms_, 0.99)
              << "\n";
  }

  const uint64_t members_, posts_;
  LiveDeployment& d_;
  asio::io_context io_;
  std::vector<std::unique_ptr<DeviceConnection>> conns_;
  uint64_t synced_ = 0, channel_ = 0, post_ = 0, shown_ = 0;
  Clock::time_point posted_at_;
  std::vector<double> all_ms_, each_ms_;
};

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  using namespace msgbed::live;
  uint64_t members = 1000, posts = 20;
  CLI::App app{"Live channel fan-out on loopback: post -> shown on every member's device"};
  app.add_option("--members", members, "Users in the channel, its creator included, each with one device online")
      ->capture_default_str()
      ->check(CLI::Range(2, 20000));
  app.add_option("--posts", posts)->capture_default_str()->check(CLI::Range(1, 10000));
  CLI11_PARSE(app, argc, argv);
  // Two sockets per member in this process (the device's and the gateway's).
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < 2 * members + 1000) {
    std::cerr << "error: " << members << " members need about " << 2 * members + 1000
              << " open files in this process; the limit is " << files.rlim_cur << " (ulimit -Hn)\n";
    return 1;
  }
  auto deployment = LiveDeployment::Start(members, 1, false);
  if (!deployment) return 1;
  return FanoutBench(members, posts, *deployment).Run();
}
