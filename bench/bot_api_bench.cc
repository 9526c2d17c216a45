// bot_api_bench: the Bot API server (botapi, docs/bots.md) under load on
// loopback, as bots see it: keep-alive HTTP/1.1 connections, requests back
// to back on each. docs/benchmarks.md records the figures.
//   ./build/bench/bot_api_bench            # storage not fsynced
//   ./build/bench/bot_api_bench --sync     # every store write fsynced
//
// The deployment is a child `msgbed serve` (everything in one process, as
// in docs/bots.md) with the rate limits lifted, so that the server's CPU is
// its own: the figures give its CPU time per request apart from this
// client's, and `perf record -p <pid>` or --wrap sees only the server.
// Users 1..--users are provisioned before it starts; two bots, A and B, are
// made by the operator's request (/admin/createBot, as `msgbed bot create`).
//
// Measurements (--phases; each ends after --requests or --duration,
// whichever comes first):
//   getme    getMe by bot A, 1 and 8 connections: HTTP and the token cache
//   chat     sendMessage from A to one user's private chat (a fresh chat
//            for each connection count), with the rate per 1,000 messages
//   users    sendMessage spread over every user in turn (each user got one
//            message first, shown apart: a new peer's profile is fetched)
//   wakeup   B waits in getUpdates (timeout 30); A sends B a message; from
//            just before A's request is written to B's answer read
//   drain    A queues --queue messages for B; B reads them with limit=100,
//            each call confirming the one before
// ("send" is chat and users.)
// Any answer other than the one expected ends the run with exit status 1.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "live/config.h"
#include "live/http_call.h"
#include "live/link_auth.h"
#include "live/provision.h"

namespace msgbed::live {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

struct Options {
  std::string msgbed;  // default: next to this program's directory
  std::vector<uint32_t> connections{1, 8};
  uint64_t requests = 100000;  // per measurement, at most
  double duration_s = 5;       // per measurement, at most
  uint64_t users = 1000;
  uint64_t wakeups = 500;
  uint64_t think_ms = 20;  // a pause of up to this between wake-up samples
  uint64_t queue = 10000;
  bool sync = false;
  std::vector<std::string> phases{"getme", "send", "wakeup", "drain"};
  std::string wrap;  // a command the server runs under (valgrind ..., perf record ...)
  bool keep = false;
};

struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double CpuSecondsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command's name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// --- The server: `[wrap] msgbed serve CONFIG` as a child process.

class Server {
 public:
  // Starts it and reads its output until it serves; throws BenchError if it
  // does not. Its output goes on to `log`.
  Server(const Options& o, const fs::path& config, const fs::path& log) : log_path_(log) {
    std::vector<std::string> args;
    std::istringstream wrap(o.wrap);
    for (std::string word; wrap >> word;) args.push_back(word);
    for (const std::string& a : {o.msgbed, std::string("serve"), config.string()}) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw BenchError("cannot make a pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw BenchError("cannot fork");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the bench killed: its server stops too
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(out[1], STDERR_FILENO);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    reader_ = std::thread([this, fd = out[0]] { Read(fd); });
    std::unique_lock lock(mu_);
    // A wrapped server (valgrind) starts far slower.
    const auto limit = o.wrap.empty() ? std::chrono::seconds(60) : std::chrono::seconds(600);
    if (!changed_.wait_for(lock, limit, [this] { return serving_ || ended_; }) || !serving_ || port_ == 0) {
      throw BenchError("the server did not start (" + o.msgbed + " serve " + config.string() + "; its output is in " +
                       log_path_.string() + ")");
    }
  }

  // SIGTERM, then SIGKILL if it has not ended within 60 s.
  ~Server() {
    ::kill(pid_, SIGTERM);
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    pollfd p{fd, POLLIN, 0};
    if (fd < 0 || ::poll(&p, 1, 60'000) != 1) ::kill(pid_, SIGKILL);
    if (fd >= 0) ::close(fd);
    ::waitpid(pid_, nullptr, 0);
    reader_.join();
  }

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }

 private:
  // The child's output, line by line, to the log; notes when botapi/0
  // listens (its port) and when every instance is up.
  void Read(int fd) {
    std::ofstream log(log_path_);
    std::string line;
    char chunk[4096];
    for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      log.write(chunk, n);
      log.flush();
      for (ssize_t i = 0; i < n; ++i) {
        if (chunk[i] != '\n') {
          line += chunk[i];
          continue;
        }
        Note(line);
        line.clear();
      }
    }
    ::close(fd);
    std::lock_guard lock(mu_);
    ended_ = true;
    changed_.notify_all();
  }

  void Note(const std::string& line) {
    static const std::string kBotApi = "serving botapi/0 (HTTP on 127.0.0.1:";
    std::lock_guard lock(mu_);
    if (const size_t at = line.find(kBotApi); at != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoul(line.substr(at + kBotApi.size())));
    }
    if (line.find("Ctrl-C stops") != std::string::npos) serving_ = true;  // after every instance started
    changed_.notify_all();
  }

  const fs::path log_path_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool serving_ = false, ended_ = false;
  uint16_t port_ = 0;
};

// --- The client: keep-alive connections driven by callbacks on one thread.

using Request = http::request<http::string_body>;

Request Get(const std::string& target) {
  Request r{http::verb::get, target, 11};
  r.set(http::field::host, "127.0.0.1");
  r.prepare_payload();
  return r;
}

Request PostJson(const std::string& target, std::string body) {
  Request r{http::verb::post, target, 11};
  r.set(http::field::host, "127.0.0.1");
  r.set(http::field::content_type, "application/json");
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

class Conn {
 public:
  Conn(asio::io_context& io, uint16_t port, std::string name) : stream_(io), name_(std::move(name)) {
    beast::error_code ec;
    stream_.socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) throw BenchError(name_ + ": cannot connect: " + ec.message());
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  // Writes request and reads its answer; then done. An answer other than
  // 200 with "ok":true (or none within timeout) throws BenchError out of
  // io.run().
  void Send(Request request, std::function<void()> done, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    request_ = std::move(request);
    stream_.expires_after(timeout);
    started_ = Clock::now();
    http::async_write(stream_, request_, [this, done = std::move(done)](beast::error_code ec, size_t) {
      if (ec) throw BenchError(name_ + ": cannot send " + std::string(request_.target()) + ": " + ec.message());
      parser_.emplace();
      parser_->body_limit(64 << 20);
      http::async_read(stream_, buffer_, *parser_, [this, done](beast::error_code ec, size_t) {
        ended_ = Clock::now();
        if (ec) throw BenchError(name_ + ": no answer to " + std::string(request_.target()) + ": " + ec.message());
        if (status() != 200 || body().rfind("{\"ok\":true", 0) != 0) {
          throw BenchError(name_ + ": " + std::string(request_.target()) + " answered HTTP " +
                           std::to_string(status()) + ": " + body().substr(0, 300));
        }
        done();
      });
    });
  }

  unsigned status() const { return parser_->get().result_int(); }
  const std::string& body() const { return parser_->get().body(); }
  Clock::time_point started() const { return started_; }
  Clock::time_point ended() const { return ended_; }
  double micros() const { return std::chrono::duration<double, std::micro>(ended_ - started_).count(); }

 private:
  beast::tcp_stream stream_;
  const std::string name_;
  beast::flat_buffer buffer_;
  Request request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Clock::time_point started_, ended_;
};

// --- Figures.

struct Row {
  std::string what;
  uint32_t conns = 0;
  uint64_t count = 0;  // requests, or updates
  double seconds = 0;
  std::vector<double> latency_us;
  std::vector<double> done_s;  // when each request was answered, from the start
  double server_cpu_s = 0, client_cpu_s = 0;
  std::string unit = "req/s";
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void PrintHeader() {
  std::cout << std::left << std::setw(44) << "measurement" << std::right << std::setw(6) << "conns" << std::setw(9)
            << "count" << std::setw(8) << "s" << std::setw(16) << "rate" << std::setw(9) << "p50 ms" << std::setw(9)
            << "p99 ms" << std::setw(12) << "server CPU" << std::setw(12) << "client CPU"
            << "\n"
            << std::left << std::setw(44) << "" << std::right << std::setw(6) << "" << std::setw(9) << ""
            << std::setw(8) << "" << std::setw(16) << "" << std::setw(9) << "" << std::setw(9) << "" << std::setw(12)
            << "us each" << std::setw(12) << "us each"
            << "\n";
}

void Print(Row r) {
  const double n = static_cast<double>(std::max<uint64_t>(r.count, 1));
  std::ostringstream rate;
  rate << std::fixed << std::setprecision(0) << static_cast<double>(r.count) / r.seconds << " " << r.unit;
  std::cout << std::left << std::setw(44) << r.what << std::right << std::setw(6) << r.conns << std::setw(9) << r.count
            << std::setw(8) << std::fixed << std::setprecision(2) << r.seconds << std::setw(16) << rate.str()
            << std::setprecision(3) << std::setw(9) << Percentile(r.latency_us, 0.5) / 1e3 << std::setw(9)
            << Percentile(r.latency_us, 0.99) / 1e3 << std::setprecision(1) << std::setw(12) << r.server_cpu_s * 1e6 / n
            << std::setw(12) << r.client_cpu_s * 1e6 / n << std::endl;
}

// The rate over each `block` requests in turn: shows a cost that grows
// with what the measurement itself stored.
void PrintBlocks(const Row& r, uint64_t block, const std::string& what) {
  if (r.done_s.size() < 2 * block) return;  // nothing to compare
  std::vector<double> done = r.done_s;
  std::sort(done.begin(), done.end());
  std::cout << "    " << what << ":";
  double from = 0;
  for (size_t end = block; end <= done.size(); end += block) {
    std::cout << (end == block ? " " : ", ") << std::fixed << std::setprecision(0)
              << static_cast<double>(block) / (done[end - 1] - from);
    from = done[end - 1];
  }
  std::cout << " req/s" << std::endl;
}

// --- The measurements.

struct BotToken {
  uint64_t id = 0;
  std::string token;
};

class Bench {
 public:
  Bench(const Options& o, const LiveConfig& config, Server& server) : o_(o), config_(config), server_(server) {}

  void Run() {
    a_ = CreateBot("bench_a_bot");
    b_ = CreateBot("bench_b_bot");
    std::cout << "Bot API server on loopback: msgbed serve (pid " << server_.pid() << "), one process, storage sync "
              << (o_.sync ? "on" : "off") << ", " << o_.users << " users, rate limits lifted; "
              << std::thread::hardware_concurrency() << " cores\n";
    // An interval measured, not a wait for anything: the server's own work
    // while no request comes (the bus consumers' fetches every 10 ms).
    const double idle_from = CpuSecondsOf(server_.pid());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::cout << "server idle: " << std::setprecision(1) << std::fixed
              << (CpuSecondsOf(server_.pid()) - idle_from) * 100 << " % of a core\n";
    PrintHeader();
    if (Wants("getme")) {
      for (uint32_t c : o_.connections) {
        const Request get_me = Get("/bot" + a_.token + "/getMe");
        Print(Load("getMe", c, o_.requests, [&get_me](uint64_t) { return get_me; }));
      }
    }
    if (Wants("send") || Wants("chat")) {
      // A chat of its own for each: the cost of a send grows with the
      // messages the bot sent before to the same user (docs/benchmarks.md).
      for (size_t k = 0; k < o_.connections.size(); ++k) {
        const uint64_t user = 1 + k % o_.users;
        const Row row = Load("sendMessage, bot -> one user (user " + std::to_string(user) + ")", o_.connections[k],
                             o_.requests, [this, user](uint64_t i) { return Send(a_, user, i); });
        Print(row);
        PrintBlocks(row, 1000, "each 1,000 messages into the chat");
      }
    }
    if (Wants("send") || Wants("users")) {
      // Each user's first message fetches the user's profile from auth.
      const uint32_t most = *std::max_element(o_.connections.begin(), o_.connections.end());
      Row first = Load("sendMessage, first to each user", most, o_.users,
                       [this](uint64_t i) { return Send(a_, 1 + i % o_.users, i); });
      Print(first);
      for (uint32_t c : o_.connections) {
        Print(Load("sendMessage, bot -> " + std::to_string(o_.users) + " users in turn", c, o_.requests,
                   [this](uint64_t i) { return Send(a_, 1 + i % o_.users, i); }));
      }
    }
    if (Wants("wakeup") || Wants("drain")) BringBOnline();
    if (Wants("wakeup")) Wakeups();
    if (Wants("drain")) Drain();
  }

 private:
  bool Wants(const std::string& phase) const {
    return std::find(o_.phases.begin(), o_.phases.end(), phase) != o_.phases.end();
  }

  // The operator's request (as `msgbed bot create`), with the key derived
  // from the deployment's secret.
  BotToken CreateBot(const std::string& username) {
    std::string secret;
    if (Status s = LoadSecret(config_.SecretFile(), /*create=*/false, &secret); !s.ok()) {
      throw BenchError("the deployment's secret: " + s.message());
    }
    HttpCallRequest request;
    request.method = "POST";
    request.path = "/admin/createBot";
    request.params = {{"username", username}, {"first_name", username}};
    request.bearer = OperatorKey(secret);
    HttpCallReply reply;
    if (Status s = HttpCall({"127.0.0.1", server_.port()}, request, &reply); !s.ok()) throw BenchError(s.message());
    const Json answer = Json::parse(reply.body, nullptr, false);
    if (reply.status != 200 || !answer.is_object() || !answer.value("ok", false)) {
      throw BenchError("createBot " + username + ": HTTP " + std::to_string(reply.status) + ": " + reply.body);
    }
    return {answer["result"]["id"].get<uint64_t>(), answer["result"]["token"].get<std::string>()};
  }

  // A 100-byte text without '/' or '@' (no entities to find).
  static Request Send(const BotToken& from, uint64_t chat, uint64_t i) {
    std::string text = "bench message " + std::to_string(i) + " ";
    text.resize(100, 'x');
    return PostJson("/bot" + from.token + "/sendMessage",
                    "{\"chat_id\":" + std::to_string(chat) + ",\"text\":\"" + text + "\"}");
  }

  Request Updates(uint64_t offset, uint32_t limit, uint32_t timeout) const {
    return Get("/bot" + b_.token + "/getUpdates?offset=" + std::to_string(offset) + "&limit=" + std::to_string(limit) +
               "&timeout=" + std::to_string(timeout));
  }

  // conns connections send make(0), make(1), ... back to back until
  // `requests` were sent or --duration passed. Each connection first sends
  // make(0) uncounted (a fresh connection; the bot's first request checks
  // its token at auth).
  Row Load(const std::string& what, uint32_t conns, uint64_t requests, const std::function<Request(uint64_t)>& make,
           std::optional<double> duration_s = std::nullopt) {
    Row row;
    row.what = what;
    row.conns = conns;
    row.latency_us.reserve(std::min<uint64_t>(requests, 1'000'000));
    std::vector<std::unique_ptr<Conn>> cs;
    for (uint32_t c = 0; c < conns; ++c) {
      cs.push_back(std::make_unique<Conn>(io_, server_.port(), what + " #" + std::to_string(c)));
      cs.back()->Send(make(0), [] {});
    }
    RunIo();
    uint64_t issued = 0;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(duration_s.value_or(o_.duration_s)));
    const double server_cpu = CpuSecondsOf(server_.pid()), client_cpu = OwnCpuSeconds();
    auto last = start;
    std::function<void(Conn*)> next = [&](Conn* c) {
      if (issued == requests || Clock::now() >= deadline) return;
      c->Send(make(issued++), [&, c] {
        row.latency_us.push_back(c->micros());
        row.done_s.push_back(Seconds(c->ended() - start));
        last = c->ended();
        next(c);
      });
    };
    for (auto& c : cs) next(c.get());
    RunIo();
    row.count = row.latency_us.size();
    row.seconds = Seconds(last - start);
    row.server_cpu_s = CpuSecondsOf(server_.pid()) - server_cpu;
    row.client_cpu_s = OwnCpuSeconds() - client_cpu;
    return row;
  }

  // B's first getUpdates registers it with sync; a message from A read by
  // a long poll shows that pushes reach it.
  void BringBOnline() {
    b_conn_ = std::make_unique<Conn>(io_, server_.port(), "bot B");
    a_conn_ = std::make_unique<Conn>(io_, server_.port(), "bot A");
    b_conn_->Send(Updates(0, 100, 0), [] {});
    RunIo();
    a_conn_->Send(Send(a_, b_.id, 0), [] {});
    ReadB(1, 1);
  }

  // B long-polls until it has read `count` updates; they must be messages
  // from A. Returns when it has.
  void ReadB(uint64_t count, uint32_t limit) {
    uint64_t got = 0;
    std::function<void()> poll = [&] {
      b_conn_->Send(
          Updates(b_offset_, limit, 30),
          [&] {
            got += Take(b_conn_->body());
            if (got < count) poll();
          },
          std::chrono::seconds(40));
    };
    poll();
    RunIo();
    if (got != count) throw BenchError("bot B read " + std::to_string(got) + " updates, not " + std::to_string(count));
  }

  // The updates of a getUpdates answer: checks that their ids follow on
  // from the offset and that each names A (its sender); moves the offset
  // on. By text search, not a JSON parse: the drain times this client too.
  // An update is {"message":{...},"update_id":N} (keys in order).
  uint64_t Take(const std::string& body) {
    const std::string id_key = "\"update_id\":", sender = "\"id\":" + std::to_string(a_.id);
    uint64_t n = 0;
    size_t from = 0;
    for (size_t at = body.find(id_key); at != std::string::npos; at = body.find(id_key, from)) {
      const uint64_t id = std::stoull(body.substr(at + id_key.size(), 24));
      if (b_offset_ != 0 && id != b_offset_) {
        throw BenchError("bot B got update " + std::to_string(id) + ", expected " + std::to_string(b_offset_));
      }
      const std::string_view update = std::string_view(body).substr(from, at - from);
      const size_t s = update.find(sender);
      const size_t after = s == std::string_view::npos ? update.size() : s + sender.size();
      if (after >= update.size() || (update[after] != ',' && update[after] != '}')) {
        throw BenchError("bot B got an update not from bot A: " + std::string(update.substr(0, 300)));
      }
      b_offset_ = id + 1;
      from = at + id_key.size();
      ++n;
    }
    return n;
  }

  // Sample by sample: B's getUpdates (timeout 30) is written; a getMe round
  // trip by A (B's request reached the server before A's, and the server
  // is one thread: B is waiting, or will be before the message is queued);
  // A's sendMessage. Had B not been waiting yet, its answer would still
  // come only after the update was queued: the same path is timed. Between
  // samples a random pause of up to --think-ms: without it each message
  // would land at the same point of the bus consumers' 10 ms fetch cycle
  // (the previous answer came right after a fetch), which times one point
  // of the cycle instead of a bot's messages arriving at any time.
  Row Wakeups() {
    Row row, sends;
    row.what = "long-poll wake-up (A sends, B's poll answers)";
    row.conns = 2;
    const uint64_t warmup = 20;
    const auto start = Clock::now();
    const double server_cpu = CpuSecondsOf(server_.pid()), client_cpu = OwnCpuSeconds();
    const Request get_me = Get("/bot" + a_.token + "/getMe");
    uint64_t sample = 0;
    bool sent = false, woken = false;
    std::mt19937_64 rng(1);
    asio::steady_timer think(io_);
    std::function<void()> next;
    std::function<void()> pause = [&] {
      if (sample == warmup + o_.wakeups) return;
      think.expires_after(std::chrono::microseconds(o_.think_ms == 0 ? 0 : rng() % (o_.think_ms * 1000)));
      think.async_wait([&](beast::error_code) { next(); });
    };
    next = [&] {
      sent = woken = false;
      const uint64_t i = ++sample;
      b_conn_->Send(
          Updates(b_offset_, 100, 30),
          [&, i] {
            if (Take(b_conn_->body()) != 1) throw BenchError("a wake-up answered with other than one update");
            if (b_conn_->body().find("\"text\":\"bench message " + std::to_string(i) + " ") == std::string::npos) {
              throw BenchError("a wake-up answered with another message: " + b_conn_->body().substr(0, 300));
            }
            if (i > warmup) {
              row.latency_us.push_back(
                  std::chrono::duration<double, std::micro>(b_conn_->ended() - a_conn_->started()).count());
            }
            woken = true;
            if (sent) pause();
          },
          std::chrono::seconds(40));
      a_conn_->Send(get_me, [&, i] {
        a_conn_->Send(Send(a_, b_.id, i), [&, i] {
          if (i > warmup) sends.latency_us.push_back(a_conn_->micros());
          sent = true;
          if (woken) pause();
        });
      });
    };
    pause();
    RunIo();
    row.count = row.latency_us.size();
    row.seconds = Seconds(Clock::now() - start);
    row.server_cpu_s = CpuSecondsOf(server_.pid()) - server_cpu;
    row.client_cpu_s = OwnCpuSeconds() - client_cpu;
    row.unit = "/s";
    Print(row);
    std::cout << "    A's sendMessage in these samples: p50 " << std::setprecision(3)
              << Percentile(sends.latency_us, 0.5) / 1e3 << " ms, p99 " << Percentile(sends.latency_us, 0.99) / 1e3
              << " ms; pauses of up to " << o_.think_ms << " ms between samples" << std::endl;
    return row;
  }

  // Fills B's queue with --queue messages from A (the largest --connections),
  // waits until the server has queued them all (getWebhookInfo's
  // pending_update_count, asked back to back), then B reads them 100 a
  // call, each call confirming the one before, and one more call confirms
  // the last.
  void Drain() {
    const uint32_t conns = *std::max_element(o_.connections.begin(), o_.connections.end());
    b_conn_->Send(Updates(b_offset_, 100, 0), [this] {
      if (Take(b_conn_->body()) != 0) throw BenchError("bot B's queue is not empty before the drain");
    });
    RunIo();  // it confirmed what B had read: the queue is empty
    Row fill = Load(
        "sendMessage, bot A -> bot B (queued for B)", conns, o_.queue,
        [this](uint64_t i) { return Send(a_, b_.id, i); }, 6 * o_.duration_s);
    Print(fill);
    const uint64_t n = fill.count + conns;  // and each connection's uncounted first
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    uint64_t pending = 0, asked = 0;
    const Request info = Get("/bot" + b_.token + "/getWebhookInfo");
    std::function<void()> ask = [&] {
      b_conn_->Send(info, [&] {
        ++asked;
        pending = Json::parse(b_conn_->body())["result"]["pending_update_count"].get<uint64_t>();
        if (pending < n && Clock::now() < deadline) ask();
      });
    };
    const auto queued_from = Clock::now();
    ask();
    RunIo();
    if (pending != n) {
      throw BenchError("bot B has " + std::to_string(pending) + " updates queued, not " + std::to_string(n));
    }
    std::cout << "  (all " << n << " queued " << std::setprecision(1) << Seconds(Clock::now() - queued_from) * 1e3
              << " ms after the last send was answered; " << asked << " getWebhookInfo)\n";
    Row row;
    row.what = "getUpdates limit=100, draining the queue";
    row.conns = 1;
    row.unit = "upd/s";
    const auto start = Clock::now();
    const double server_cpu = CpuSecondsOf(server_.pid()), client_cpu = OwnCpuSeconds();
    uint64_t got = 0;
    std::function<void()> read = [&] {
      b_conn_->Send(Updates(b_offset_, 100, 0), [&] {
        row.latency_us.push_back(b_conn_->micros());
        const uint64_t k = Take(b_conn_->body());
        got += k;
        if (k != 0) read();  // the call that finds nothing confirmed the last
      });
    };
    read();
    RunIo();
    row.seconds = Seconds(Clock::now() - start);
    row.count = got;
    row.server_cpu_s = CpuSecondsOf(server_.pid()) - server_cpu;
    row.client_cpu_s = OwnCpuSeconds() - client_cpu;
    if (got != n) throw BenchError("bot B drained " + std::to_string(got) + " updates, not " + std::to_string(n));
    Print(row);
    std::cout << "  (" << row.latency_us.size() << " getUpdates calls; latency is per call, CPU per update)\n";
  }

  // Until every connection's chain of requests has ended.
  void RunIo() {
    io_.restart();
    io_.run();
  }

  const Options& o_;
  const LiveConfig& config_;
  Server& server_;
  asio::io_context io_;
  BotToken a_, b_;
  std::unique_ptr<Conn> a_conn_, b_conn_;
  uint64_t b_offset_ = 0;
};

// The deployment's file: everything in one process (as docs/bots.md's
// example), the mock bus, the Bot API's rate limits out of the way.
LiveConfig WriteConfig(const Options& o, const fs::path& dir) {
  std::ofstream(dir / "deploy.yaml")
      << "partitions: 4\nbus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " << (dir / "data").string()
      << ", sync: " << (o.sync ? "true" : "false")
      << "}\nbotapi: {messages_per_second: 1000000, chat_messages_per_second: 1000000, chat_burst: 1000000}\n"
         "instances:\n  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n  messages/0: {rpc: 127.0.0.1:0}\n"
         "  sync/0: {rpc: 127.0.0.1:0}\n  auth/0: {rpc: 127.0.0.1:0}\n"
         "  botapi/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n";
  return LoadConfig((dir / "deploy.yaml").string());
}

int Main(const Options& o) {
  const fs::path dir = fs::temp_directory_path() / ("msgbed-bot-api-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  bool failed = true;
  try {
    const LiveConfig config = WriteConfig(o, dir);
    std::vector<SessionKey> users;
    for (uint64_t u = 1; u <= o.users; ++u) users.emplace_back(u, 1);
    std::map<SessionKey, api::Authorization> sessions;
    if (Status s = ProvisionSessions(config, users, &sessions); !s.ok()) throw BenchError(s.message());
    Server server(o, dir / "deploy.yaml", dir / "serve.log");
    Bench(o, config, server).Run();
    failed = false;
  } catch (const std::exception& e) {
    std::cerr << "bot_api_bench: " << e.what() << "\n";
  }
  if (failed || o.keep) {
    std::cerr << "bot_api_bench: the deployment's files are kept in " << dir << "\n";
  } else {
    fs::remove_all(dir);
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  using msgbed::live::Options;
  Options o;
  CLI::App app{"Bot API server requests/s and latency on loopback"};
  app.add_option("--msgbed", o.msgbed, "The msgbed program (default: ../msgbed from this one)");
  app.add_option("--connections", o.connections, "Concurrent connections, one measurement each")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(1, 256));
  app.add_option("--requests", o.requests, "Requests per measurement, at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--duration", o.duration_s, "Seconds per measurement, at most")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--users", o.users, "Users provisioned; sendMessage spreads over them")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--think-ms", o.think_ms, "A random pause of up to this between wake-up samples (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  app.add_option("--wakeups", o.wakeups, "Long-poll wake-up samples")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--queue", o.queue, "Updates queued for the drain, at most (the fill also stops at 6 x --duration)")
      ->capture_default_str()
      ->check(CLI::Range(1, 99000));
  app.add_flag("--sync", o.sync, "fsync every storage write (storage.sync: true)");
  app.add_option("--phases", o.phases,
                 "Which measurements: getme, send (= chat: one user's chat, and users: spread over --users), wakeup, "
                 "drain")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::IsMember({"getme", "send", "chat", "users", "wakeup", "drain"}));
  app.add_option("--wrap", o.wrap,
                 "Run the server under this command, e.g. 'valgrind --tool=callgrind' (words split at spaces)");
  app.add_flag("--keep", o.keep, "Keep the deployment's directory (its log is serve.log)");
  CLI11_PARSE(app, argc, argv);
  namespace fs = std::filesystem;
  if (o.msgbed.empty()) o.msgbed = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "msgbed").string();
  if (!fs::exists(o.msgbed)) {
    std::cerr << "error: no msgbed program at " << o.msgbed << " (--msgbed)\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a server that died shows as a failed write
  return msgbed::live::Main(o);
}
