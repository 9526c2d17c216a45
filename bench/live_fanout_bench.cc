// Live channel fan-out on loopback: `members` users with one device each
// (real TCP connections, all online) in one broadcast channel of user 1,
// who posts `posts` times, each once the last reached every member. For
// each post: the time until every member's device showed it, and each
// device's post->shown time.
//
// Every part is an OS process of its own, as on real machines, so that no
// process needs more open files than one machine's limit allows: the
// deployment's roles (`msgbed serve --role ...`: the mock bus, messages,
// two sync instances, auth, and one process per gateway, each gateway
// taking at most --per-gateway devices) and the member devices (worker
// processes of this program, --per-worker devices each; fanout_worker.h).
// The creator's device runs here.
//   ./build/bench/live_fanout_bench --members 10000 --posts 10
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "fanout_worker.h"
#include "live/device_connection.h"
#include "live/free_ports.h"
#include "live/provision.h"
#include "role_processes.h"

namespace msgbed::live {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string msgbed;  // default: next to this program's directory
  uint64_t members = 1000, posts = 20;
  uint64_t per_gateway = 9000, per_worker = 9000;
  double quiet_resync_s = 30;  // the device default
  bool keep = false;
};

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// A worker process: its stdin (commands) and stdout (reports, read as lines).
struct WorkerProcess {
  pid_t pid = -1;
  int to = -1;
  std::unique_ptr<asio::posix::stream_descriptor> from;
  asio::streambuf input;
};

class FanoutBench final : public Device::Observer {
 public:
  FanoutBench(const Options& o, fs::path dir) : o_(o), dir_(std::move(dir)) {}
  ~FanoutBench() override {
    for (WorkerProcess& w : workers_) {
      if (w.to >= 0) ::close(w.to);  // the worker's stdin ends: it exits
      if (w.pid > 0) ::waitpid(w.pid, nullptr, 0);
    }
  }

  int Run() {
    // Ctrl-C or a kill ends the wait under way; the destructors then stop every process.
    stop_signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (!ec) Failed("stopped by signal " + std::to_string(sig));
    });
    const uint64_t gateways = (o_.members + o_.per_gateway - 1) / o_.per_gateway;
    if (!Deploy(gateways)) return 1;
    // The creator first: once it is signed in and synced, every role is up.
    creator_ = std::make_unique<DeviceConnection>(io_, sessions_.at({1, 1}), this);
    creator_->Connect("127.0.0.1", ports_[0], [this](const std::string& why) { Failed("creator: " + why); });
    if (!Until([&] { return creator_synced_; }, "the creator synced")) return 1;
    started_ = Clock::now();
    StartWorkers();
    if (!Until([&] { return synced_ == worker_files_.size(); }, "devices synced")) return 1;
    const double connect_s = Seconds(started_);
    api::ClientFrame create;
    create.mutable_create_channel()->set_title("news");
    create.mutable_create_channel()->set_broadcast(true);
    create.mutable_create_channel()->set_random_id(1);
    creator_->device().Request(create);
    if (!Until([&] { return channel_ != 0; }, "channel created")) return 1;
    const auto joining = Clock::now();
    for (WorkerProcess& w : workers_) Tell(w, "join " + std::to_string(channel_));
    if (!Until([&] { return joined_ == workers_.size(); }, "members joined")) return 1;
    const double join_s = Seconds(joining);
    for (uint64_t post = 1; post <= o_.posts; ++post) {
      if (!Post(post)) return 1;
    }
    Report(gateways, connect_s, join_s);
    return 0;
  }

  void OnSynced(Device&) override { creator_synced_ = true; }
  void OnServerFrame(Device&, const api::ServerFrame& f) override {
    if (f.has_channel() && channel_ == 0) channel_ = f.channel().id();
  }
  // Before the roles are all up, signing in fails and is retried.
  void OnError(Device&, const api::Error& e) override {
    if (creator_synced_ || e.code() != api::UNAVAILABLE) Failed("creator: " + e.message());
  }

 private:
  // The config, the sessions, and every role's process, the bus first.
  bool Deploy(uint64_t gateways) {
    ports_ = FreePorts(2 * gateways + 4);
    const auto at = [&](size_t i) { return "127.0.0.1:" + std::to_string(ports_[i]); };
    std::ostringstream yaml;
    yaml << "partitions: 8\nbus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " << (dir_ / "data").string()
         << ", sync: false}\ngateway: {max_connections: " << o_.per_gateway + 10
         << ", source_request_rate: 10000000, source_request_burst: 10000000, max_connections_per_source: "
            "10000000}\ninstances:\n";
    for (uint64_t g = 0; g < gateways; ++g) {
      yaml << "  gateway/" << g << ": {client: " << at(g) << ", rpc: " << at(gateways + g) << "}\n";
    }
    yaml << "  messages/0: {rpc: " << at(2 * gateways) << "}\n  sync/0: {rpc: " << at(2 * gateways + 1)
         << "}\n  sync/1: {rpc: " << at(2 * gateways + 2) << "}\n  auth/0: {rpc: " << at(2 * gateways + 3) << "}\n";
    std::ofstream(dir_ / "deploy.yaml") << yaml.str();
    std::vector<SessionKey> wanted;
    for (uint64_t u = 1; u <= o_.members; ++u) wanted.emplace_back(u, 1);
    if (Status s = ProvisionSessions(LoadConfig((dir_ / "deploy.yaml").string()), wanted, &sessions_); !s.ok()) {
      std::cerr << "cannot provision sessions: " << s.message() << "\n";
      return false;
    }
    roles_ = std::make_unique<RoleProcesses>(o_.msgbed, dir_ / "deploy.yaml", dir_);
    if (!roles_->StartBus(dir_ / "data" / "bus.bootstrap")) return false;
    for (const char* role : {"messages", "sync/0", "sync/1", "auth"}) roles_->Start(role);
    for (uint64_t g = 0; g < gateways; ++g) roles_->Start("gateway/" + std::to_string(g));
    ports_.resize(gateways);  // the client ports
    return AwaitListening();
  }

  // Until every gateway accepts connections (they start in parallel).
  bool AwaitListening() {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (uint16_t port : ports_) {
      for (;;) {
        tcp::socket probe(io_);
        boost::system::error_code ec;
        probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
        if (!ec) break;
        if (Clock::now() > deadline) {
          std::cerr << "a gateway never listened on port " << port << " (logs in " << dir_ << ")\n";
          return false;
        }
        ::usleep(50'000);
      }
    }
    return true;
  }

  // Members 2..members, --per-worker to a process. One worker connects at a
  // time, the next once it has synced: all at once, the auth instance falls
  // so far behind that gateways close devices not signed in within their
  // sign-in timeout (seen at 200,000).
  void StartWorkers() {
    for (uint16_t p : ports_) gateway_ports_ += (gateway_ports_.empty() ? "" : ",") + std::to_string(p);
    for (uint64_t first = 2; first <= o_.members; first += o_.per_worker) {
      std::vector<api::Authorization> slice;
      for (uint64_t u = first; u <= std::min(o_.members, first + o_.per_worker - 1); ++u) {
        slice.push_back(sessions_.at({u, 1}));
      }
      worker_files_.push_back((dir_ / ("worker-" + std::to_string(worker_files_.size()) + ".sessions")).string());
      WriteSessions(worker_files_.back(), slice);
    }
    Spawn(worker_files_.front());
  }

  void Spawn(const std::string& sessions_file) {
    int to[2], from[2];
    // Close-on-exec: a later worker must not hold an earlier one's stdin open.
    if (::pipe2(to, O_CLOEXEC) != 0 || ::pipe2(from, O_CLOEXEC) != 0) throw std::runtime_error("cannot make pipes");
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      ::dup2(to[0], STDIN_FILENO);
      ::dup2(from[1], STDOUT_FILENO);
      for (int fd : {to[0], to[1], from[0], from[1]}) ::close(fd);
      const std::string quiet = std::to_string(o_.quiet_resync_s);
      ::execl("/proc/self/exe", "live_fanout_bench", "--worker", sessions_file.c_str(), "--gateways",
              gateway_ports_.c_str(), "--quiet-resync", quiet.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(to[0]);
    ::close(from[1]);
    WorkerProcess& w = workers_.emplace_back();
    w.pid = pid;
    w.to = to[1];
    w.from = std::make_unique<asio::posix::stream_descriptor>(io_, from[0]);
    Listen(workers_.size() - 1);
  }

  void Listen(size_t i) {
    WorkerProcess& w = workers_[i];
    asio::async_read_until(*w.from, w.input, '\n', [this, i](const boost::system::error_code& ec, size_t) {
      if (ec) return Failed("worker " + std::to_string(i) + " ended (" + ec.message() + ")");
      std::istream lines(&workers_[i].input);
      std::string line;
      std::getline(lines, line);
      Heard(i, line);
      Listen(i);
    });
  }

  void Heard(size_t worker, const std::string& line) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    if (verb == "synced") {
      std::cerr << "member process " << worker << " synced, " << Seconds(started_) << " s in\n";
      if (++synced_ < worker_files_.size()) Spawn(worker_files_[synced_]);
    } else if (verb == "joined") {
      ++joined_;
    } else if (uint64_t post = 0; verb == "shown" && in >> post && post == post_) {
      for (uint64_t ns; in >> ns;) each_ms_.push_back((static_cast<double>(ns) - posted_ns_) / 1e6);
      ++shown_by_;
    } else {
      Failed("worker " + std::to_string(worker) + ": " + line);
    }
  }

  void Tell(WorkerProcess& w, const std::string& line) {
    if (!WriteLine(w.to, line)) Failed("a worker is gone");
  }

  bool Post(uint64_t post) {
    post_ = post;
    shown_by_ = 0;
    const auto posted = Clock::now();
    posted_ns_ =
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(posted.time_since_epoch()).count());
    const size_t before = each_ms_.size();
    creator_->device().SendToChannel(channel_, "post " + std::to_string(post), post);
    if (!Until([&] { return shown_by_ == workers_.size(); }, "post shown")) return false;
    all_ms_.push_back(*std::max_element(each_ms_.begin() + static_cast<ptrdiff_t>(before), each_ms_.end()));
    return true;
  }

  bool Until(const std::function<bool()>& done, const char* what) {
    const auto deadline = Clock::now() + std::chrono::minutes(30);
    while (!done() && failure_.empty()) {
      if (Clock::now() > deadline) failure_ = std::string("timed out waiting: ") + what;
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    if (!failure_.empty()) std::cerr << "live_fanout_bench: " << failure_ << " (logs in " << dir_ << ")\n";
    return failure_.empty();
  }
  void Failed(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  static double Pct(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  }
  void Report(uint64_t gateways, double connect_s, double join_s) const {
    uint64_t gateways_kib = 0, members_kib = 0;
    for (uint64_t g = 0; g < gateways; ++g) gateways_kib += roles_->RssKib("gateway/" + std::to_string(g));
    for (const WorkerProcess& w : workers_) members_kib += RssKibOf(w.pid);
    std::cout << "live channel fan-out: " << o_.members - 1 << " members online over " << gateways << " gateway(s), "
              << workers_.size() << " member process(es), " << o_.posts << " posts, quiet resync " << o_.quiet_resync_s
              << " s\n"
              << "  connected and synced in " << connect_s << " s, joined in " << join_s << " s\n"
              << "  post -> every member shown ms: p50 " << Pct(all_ms_, 0.5) << ", max " << Pct(all_ms_, 1) << "\n"
              << "  post -> shown per member device ms: p50 " << Pct(each_ms_, 0.5) << ", p99 " << Pct(each_ms_, 0.99)
              << "\n"
              << "  resident memory, MiB: gateways " << gateways_kib / 1024 << ", all roles "
              << roles_->TotalRssKib() / 1024 << ", member devices " << members_kib / 1024 << std::endl;
  }

  const Options& o_;
  const fs::path dir_;
  asio::io_context io_;
  asio::signal_set stop_signals_{io_, SIGINT, SIGTERM};
  std::vector<uint16_t> ports_;  // after Deploy: the gateways' client ports
  std::map<SessionKey, api::Authorization> sessions_;
  std::unique_ptr<RoleProcesses> roles_;
  std::vector<std::string> worker_files_;  // sessions, one file per worker
  std::string gateway_ports_;              // the workers' --gateways
  std::deque<WorkerProcess> workers_;      // a deque: the read buffers never move
  std::unique_ptr<DeviceConnection> creator_;
  bool creator_synced_ = false;
  uint64_t channel_ = 0, synced_ = 0, joined_ = 0, post_ = 0, shown_by_ = 0;
  double posted_ns_ = 0;
  std::string failure_;
  Clock::time_point started_;  // of the members' connecting
  std::vector<double> all_ms_, each_ms_;
};

std::vector<uint16_t> ParsePorts(const std::string& text) {
  std::vector<uint16_t> ports;
  std::istringstream in(text);
  for (std::string p; std::getline(in, p, ',');) ports.push_back(static_cast<uint16_t>(std::stoul(p)));
  return ports;
}

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  using namespace msgbed::live;
  Options o;
  std::string worker_sessions, worker_ports;
  CLI::App app{"Live channel fan-out on loopback: post -> shown on every member's device"};
  app.add_option("--members", o.members, "Users in the channel, its creator included, each with one device online")
      ->capture_default_str()
      ->check(CLI::Range(2, 1'000'000));
  app.add_option("--posts", o.posts)->capture_default_str()->check(CLI::Range(1, 10000));
  app.add_option("--per-gateway", o.per_gateway, "Devices per gateway process (a gateway takes at most 10,000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--per-worker", o.per_worker, "Member devices per worker process")
      ->capture_default_str()
      ->check(CLI::Range(1, 9000));
  app.add_option("--quiet-resync", o.quiet_resync_s,
                 "Seconds without an update after which a member device asks getDifference (0: never); every idle "
                 "device polls at this period")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--msgbed", o.msgbed, "The msgbed program (default: ../msgbed from this one)");
  app.add_flag("--keep", o.keep, "Keep the deployment's directory (logs, data)");
  app.add_option("--worker", worker_sessions)->group("");  // internal: run as a worker process
  app.add_option("--gateways", worker_ports)->group("");
  CLI11_PARSE(app, argc, argv);
  if (!worker_sessions.empty()) {
    return RunFanoutWorker(worker_sessions, ParsePorts(worker_ports),
                           static_cast<msgbed::Micros>(o.quiet_resync_s * msgbed::kSecond));
  }
  if (o.msgbed.empty()) o.msgbed = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "msgbed").string();
  if (!fs::exists(o.msgbed)) {
    std::cerr << "error: no msgbed program at " << o.msgbed << " (--msgbed)\n";
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a worker gone shows as a failed write
  spdlog::set_level(spdlog::level::warn);
  const auto dir = fs::temp_directory_path() / ("msgbed-live-fanout-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  int rc = 1;
  try {
    rc = FanoutBench(o, dir).Run();
  } catch (const std::exception& e) {
    std::cerr << "live_fanout_bench: " << e.what() << "\n";
  }
  if (rc == 0 && !o.keep) fs::remove_all(dir);
  if (rc == 0 && o.keep) std::cerr << "kept " << dir << "\n";
  return rc;
}
