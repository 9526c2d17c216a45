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
// Users 1..--users, and one sender for each of the largest --connections
// after them, are provisioned before it starts; two bots, A and B, are made
// by the operator's request (/admin/createBot, as `msgbed bot create`).
// A bot may write only to users who wrote to it first, so before the send
// measurements each of users 1..--users writes /start to A from a real
// client device through the gateway (BenchUsers), and A reads those updates.
//
// Measurements (--phases; each ends after --requests or --duration,
// whichever comes first):
//   getme    getMe by bot A, 1 and 8 connections: HTTP and the token cache
//   chat     sendMessage from A to one user's private chat (a fresh chat
//            for each connection count), with the rate per 1,000 messages
//   users    sendMessage spread over every user in turn (A's first message
//            into each user's chat shown apart)
//   wakeup   B waits in getUpdates (timeout 30); a user's device sends B a
//            message through the gateway; from just before the device's
//            frame is written to B's answer read
//   drain    the senders' devices queue --queue messages for B; B reads
//            them with limit=100, each call confirming the one before
// ("send" is chat and users.)
// A measured request answered other than 200 with "ok":true is counted
// (the "failed" column) and the run goes on; a run with any ends with a
// line saying so and exit status 1. Anything else unexpected (a failed
// setup step, a wrong update, a user's send refused) ends it at once, with
// exit status 1 too.
//
// Its parts: the server process (bot_bench_server.h), the bots' HTTP client
// (bot_bench_http.h), their requests and updates (bot_bench_bots.h), the
// users' devices (bot_bench_users.h), the table of figures and the CPU
// meter (bot_bench_figures.h).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bot_bench_bots.h"
#include "bot_bench_error.h"
#include "bot_bench_figures.h"
#include "bot_bench_http.h"
#include "bot_bench_options.h"
#include "bot_bench_server.h"
#include "bot_bench_users.h"
#include "live/config.h"
#include "live/http_call.h"
#include "live/link_auth.h"
#include "live/provision.h"

namespace msgbed::live {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// --- The measurements.

class Bench {
 public:
  // sessions: users 1..--users and the senders after them, device 1 each.
  Bench(const Options& o, const LiveConfig& config, Server& server, std::map<SessionKey, api::Authorization> sessions)
      : o_(o),
        config_(config),
        server_(server),
        users_(io_, server.gateway_port(), std::move(sessions), pending_),
        senders_{o.users + 1, o.users + SenderCount(o)} {}

  // The number of senders: one for each of the largest --connections.
  static uint64_t SenderCount(const Options& o) {
    return *std::max_element(o.connections.begin(), o.connections.end());
  }

  // Returns how many measured requests failed.
  uint64_t Run() {
    a_ = CreateBot("bench_a_bot");
    b_ = CreateBot("bench_b_bot");
    a_conn_ = std::make_unique<Conn>(io_, server_.port(), "bot A", pending_);
    b_conn_ = std::make_unique<Conn>(io_, server_.port(), "bot B", pending_);
    std::cout << "Bot API server on loopback: msgbed serve (pid " << server_.pid() << "), one process, storage sync "
              << (o_.sync ? "on" : "off") << ", " << o_.users << " users, rate limits lifted; "
              << std::thread::hardware_concurrency() << " cores\n";
    if (Wants("send") || Wants("chat") || Wants("users")) StartBotA();
    PrintIdle();
    PrintHeader();
    if (Wants("getme")) GetMes();
    if (Wants("send") || Wants("chat")) OneChat();
    if (Wants("send") || Wants("users")) SpreadOverUsers();
    if (Wants("wakeup") || Wants("drain")) BringBOnline();
    if (Wants("wakeup")) Wakeups();
    if (Wants("drain")) Drain();
    return failures_;
  }

 private:
  bool Wants(const std::string& phase) const {
    return std::find(o_.phases.begin(), o_.phases.end(), phase) != o_.phases.end();
  }

  // An interval measured, not a wait for anything: the server's own work
  // while no request comes (the bus consumers' fetches every 10 ms).
  void PrintIdle() {
    const CpuMeter cpu(server_.pid());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    Row idle;
    cpu.Into(idle);
    std::cout << "server idle: " << std::setprecision(1) << std::fixed << idle.server_cpu_s * 100
              << " % of a core; the rest of the machine meanwhile: " << idle.other_cpu_s * 100 << " %\n";
  }

  void Report(const Row& row) {
    Print(row);
    failures_ += row.failures;
  }

  // A bot may write only to users who wrote to it first (403 otherwise):
  // users 1..--users each write /start to bot A from their device through
  // the gateway, 100 devices at a time, each offline again after, so that
  // A's sends measured later are stored for offline users, as they were
  // before this step. A then reads the /start updates and confirms them, as
  // a bot does; it is online from then on (sync pushes its box's updates to
  // it, its own sends' too, as for any bot that polls).
  void StartBotA() {
    const auto start = Clock::now();
    constexpr uint64_t kBatch = 100;
    for (uint64_t first = 1; first <= o_.users; first += kBatch) {
      const uint64_t last = std::min(o_.users, first + kBatch - 1);
      for (uint64_t u = first; u <= last; ++u) users_.Connect(u);
      RunIo();  // each device caught up
      for (uint64_t u = first; u <= last; ++u) users_.Send(u, a_.id, "/start", [] {});
      RunIo();  // each /start stored
      for (uint64_t u = first; u <= last; ++u) users_.Disconnect(u);
    }
    Read(a_, *a_conn_, o_.users, {1, o_.users});
    ConfirmRead(a_, *a_conn_);
    std::cout << o_.users << " users wrote /start to bot A through the gateway, and A read them, in "
              << std::setprecision(1) << std::fixed << Seconds(Clock::now() - start) << " s\n";
  }

  void GetMes() {
    const Request get_me = Get("/bot" + a_.token + "/getMe");
    for (uint32_t c : o_.connections) Report(Load("getMe", c, o_.requests, [&get_me](uint64_t) { return get_me; }));
  }

  // A chat of its own for each connection count: the cost of a send grew
  // with the messages the bot sent before to the same user
  // (docs/benchmarks.md), and the blocks show whether it still does.
  void OneChat() {
    for (size_t k = 0; k < o_.connections.size(); ++k) {
      const uint64_t user = 1 + k % o_.users;
      const Row row = Load("sendMessage, bot -> one user (user " + std::to_string(user) + ")", o_.connections[k],
                           o_.requests, [this, user](uint64_t i) { return SendRequest(a_, user, i); });
      Report(row);
      PrintBlocks(row, 1000, "each 1,000 messages into the chat");
    }
  }

  // A's first message into each user's chat shown apart (the first write
  // from A's box towards that user's); then every user in turn.
  void SpreadOverUsers() {
    Report(Load("sendMessage, first to each user", SenderCount(o_), o_.users,
                [this](uint64_t i) { return SendRequest(a_, 1 + i % o_.users, i); }));
    for (uint32_t c : o_.connections) {
      Report(Load("sendMessage, bot -> " + std::to_string(o_.users) + " users in turn", c, o_.requests,
                  [this](uint64_t i) { return SendRequest(a_, 1 + i % o_.users, i); }));
    }
  }

  // The operator's request (as `msgbed bot create`), with the key derived
  // from the deployment's secret.
  BotAccount CreateBot(const std::string& username) {
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
    return {username, answer["result"]["id"].get<uint64_t>(), answer["result"]["token"].get<std::string>()};
  }

  // conns connections send make(0), make(1), ... back to back until
  // `requests` were sent or --duration passed. Each connection first sends
  // make(0) uncounted (a fresh connection; the bot's first request checks
  // its token at auth), which must succeed; after it, an answer other than
  // 200 ok is counted in the row's failures and the connection goes on.
  Row Load(const std::string& what, uint32_t conns, uint64_t requests, const std::function<Request(uint64_t)>& make,
           std::optional<double> duration_s = std::nullopt) {
    Row row;
    row.what = what;
    row.conns = conns;
    row.latency_us.reserve(std::min<uint64_t>(requests, 1'000'000));
    std::vector<std::unique_ptr<Conn>> cs;
    for (uint32_t c = 0; c < conns; ++c) {
      cs.push_back(std::make_unique<Conn>(io_, server_.port(), what + " #" + std::to_string(c), pending_));
      cs.back()->Send(make(0), [] {});
    }
    RunIo();
    for (auto& c : cs) c->CountFailures();
    uint64_t issued = 0;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(duration_s.value_or(o_.duration_s)));
    const CpuMeter cpu(server_.pid());
    auto last = start;
    std::function<void(Conn*)> next = [&](Conn* c) {
      if (issued == requests || Clock::now() >= deadline) return;
      c->Send(make(issued++), [&, c] {
        last = c->ended();
        Tally(*c, start, row);
        next(c);
      });
    };
    for (auto& c : cs) next(c.get());
    RunIo();
    row.count = row.latency_us.size();
    row.seconds = Seconds(last - start);
    cpu.Into(row);
    return row;
  }

  // One answered request of a measurement: its latency, or a failure.
  static void Tally(const Conn& c, Clock::time_point start, Row& row) {
    if (c.ok()) {
      row.latency_us.push_back(c.micros());
      row.done_s.push_back(Seconds(c.ended() - start));
      return;
    }
    if (row.failures++ == 0) row.first_failure = c.Failure();
  }

  // The senders' devices connect; B's first getUpdates registers it with
  // sync; a message from the first sender read by a long poll shows that
  // pushes reach it.
  void BringBOnline() {
    for (uint64_t u = senders_.first; u <= senders_.last; ++u) users_.Connect(u);
    RunIo();
    ConfirmRead(b_, *b_conn_);
    users_.Send(senders_.first, b_.id, BenchText(0), [] {});
    Read(b_, *b_conn_, 1, {senders_.first, senders_.first}, 1);
  }

  // bot long-polls on conn until it has read `count` updates, each a
  // message from one of `from`.
  void Read(BotAccount& bot, Conn& conn, uint64_t count, Senders from, uint32_t limit = 100) {
    uint64_t got = 0;
    std::function<void()> poll = [&] {
      conn.Send(
          UpdatesRequest(bot, limit, 30),
          [&] {
            got += TakeUpdates(bot, conn.body(), from);
            if (got < count) poll();
          },
          std::chrono::seconds(40));
    };
    poll();
    RunIo();
    if (got != count) {
      throw BenchError(bot.name + " read " + std::to_string(got) + " updates, not " + std::to_string(count));
    }
  }

  // A getUpdates from the bot's offset: it confirms all the bot has read,
  // and must find nothing more.
  void ConfirmRead(BotAccount& bot, Conn& conn) {
    conn.Send(UpdatesRequest(bot, 100, 0), [&] {
      if (conn.body().find("\"update_id\"") != std::string::npos) {
        throw BenchError(bot.name + " has updates it was not sent: " + conn.body().substr(0, 300));
      }
    });
    RunIo();
  }

  // Sample by sample: B's getUpdates (timeout 30) is written; a getMe round
  // trip by A (B's request reached the server before A's, and the server's
  // Bot API is one thread: B is waiting, or will be before the message is
  // queued); the first sender's device sends B a message through the
  // gateway. Had B not been waiting yet, its answer would still come only
  // after the update was queued: the same path is timed. Between samples a
  // random pause of up to --think-ms: without it each message would land at
  // the same point of the bus consumers' 10 ms fetch cycle (the previous
  // answer came right after a fetch), which times one point of the cycle
  // instead of users' messages arriving at any time.
  void Wakeups() {
    Row row, sends;
    row.what = "long-poll wake-up (user sends, B answers)";
    row.conns = 2;
    const uint64_t warmup = 20, sender = senders_.first;
    const auto start = Clock::now();
    const CpuMeter cpu(server_.pid());
    const Request get_me = Get("/bot" + a_.token + "/getMe");
    uint64_t sample = 0;
    bool sent = false, woken = false;
    Clock::time_point sent_at;
    std::mt19937_64 rng(1);
    asio::steady_timer think(io_);
    std::function<void()> next;
    std::function<void()> pause = [&] {
      if (sample == warmup + o_.wakeups) return;
      think.expires_after(std::chrono::microseconds(o_.think_ms == 0 ? 0 : rng() % (o_.think_ms * 1000)));
      ++pending_;
      think.async_wait([&](beast::error_code) {
        --pending_;
        next();
      });
    };
    next = [&] {
      sent = woken = false;
      const uint64_t i = ++sample;
      b_conn_->Send(
          UpdatesRequest(b_, 100, 30),
          [&, i] {
            if (TakeUpdates(b_, b_conn_->body(), {sender, sender}) != 1) {
              throw BenchError("a wake-up answered with other than one update");
            }
            if (b_conn_->body().find("\"text\":\"" + BenchText(i) + "\"") == std::string::npos) {
              throw BenchError("a wake-up answered with another message: " + b_conn_->body().substr(0, 300));
            }
            if (i > warmup) row.latency_us.push_back(Micros(b_conn_->ended() - sent_at));
            woken = true;
            if (sent) pause();
          },
          std::chrono::seconds(40));
      a_conn_->Send(get_me, [&, i] {
        sent_at = Clock::now();
        users_.Send(sender, b_.id, BenchText(i), [&, i] {
          if (i > warmup) sends.latency_us.push_back(Micros(Clock::now() - sent_at));
          sent = true;
          if (woken) pause();
        });
      });
    };
    pause();
    RunIo();
    row.count = row.latency_us.size();
    row.seconds = Seconds(Clock::now() - start);
    cpu.Into(row);
    row.unit = "/s";
    Report(row);
    std::cout << "    the user's send acknowledged, in these samples: p50 " << std::setprecision(3)
              << Percentile(sends.latency_us, 0.5) / 1e3 << " ms, p99 " << Percentile(sends.latency_us, 0.99) / 1e3
              << " ms; pauses of up to " << o_.think_ms << " ms between samples" << std::endl;
  }

  static double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

  // The senders' devices send B --queue messages through the gateway, 8 in
  // flight on each (a person's app sends one at a time; 8 keeps the fill
  // short), until all are stored or 6 x --duration has passed.
  Row FillB() {
    constexpr int kWindow = 8;
    Row row;
    row.what = "users -> bot B via the gateway (B's queue)";
    row.conns = static_cast<uint32_t>(senders_.last - senders_.first + 1);
    const auto start = Clock::now();
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(6 * o_.duration_s));
    const CpuMeter cpu(server_.pid());
    uint64_t issued = 0;
    auto last = start;
    std::function<void(uint64_t)> next = [&](uint64_t user) {
      if (issued == o_.queue || Clock::now() >= deadline) return;
      const auto at = Clock::now();
      users_.Send(user, b_.id, BenchText(issued++), [&, user, at] {
        last = Clock::now();
        row.latency_us.push_back(Micros(last - at));
        next(user);
      });
    };
    for (uint64_t u = senders_.first; u <= senders_.last; ++u) {
      for (int w = 0; w < kWindow; ++w) next(u);
    }
    RunIo();
    row.count = row.latency_us.size();
    row.seconds = Seconds(last - start);
    cpu.Into(row);
    row.unit = "msg/s";
    return row;
  }

  // Until getWebhookInfo shows n updates queued for B (asked back to back,
  // at most 60 s).
  void AwaitQueued(uint64_t n) {
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
    const auto from = Clock::now();
    ask();
    RunIo();
    if (pending != n) {
      throw BenchError("bot B has " + std::to_string(pending) + " updates queued, not " + std::to_string(n));
    }
    std::cout << "  (all " << n << " queued " << std::setprecision(1) << Seconds(Clock::now() - from) * 1e3
              << " ms after the last send was acknowledged; " << asked << " getWebhookInfo)\n";
  }

  // Fills B's queue from the senders' devices, waits until the server has
  // queued it all, then B reads it 100 a call, each call confirming the
  // one before, and one more call confirms the last.
  void Drain() {
    ConfirmRead(b_, *b_conn_);  // the queue is empty
    const Row fill = FillB();
    Report(fill);
    AwaitQueued(fill.count);
    Row row;
    row.what = "getUpdates limit=100, draining the queue";
    row.conns = 1;
    row.unit = "upd/s";
    const auto start = Clock::now();
    const CpuMeter cpu(server_.pid());
    uint64_t got = 0;
    std::function<void()> read = [&] {
      b_conn_->Send(UpdatesRequest(b_, 100, 0), [&] {
        row.latency_us.push_back(b_conn_->micros());
        const uint64_t k = TakeUpdates(b_, b_conn_->body(), senders_);
        got += k;
        if (k != 0) read();  // the call that finds nothing confirmed the last
      });
    };
    read();
    RunIo();
    row.seconds = Seconds(Clock::now() - start);
    row.count = got;
    cpu.Into(row);
    if (got != fill.count) {
      throw BenchError("bot B drained " + std::to_string(got) + " updates, not " + std::to_string(fill.count));
    }
    Report(row);
    std::cout << "  (" << row.latency_us.size() << " getUpdates calls; latency is per call, CPU per update)\n";
  }

  // Until every request, connect and send started has its answer, and
  // every pause has ended. Nothing at all happening for 45 s, longer than
  // any long poll here, is a hang.
  void RunIo() {
    io_.restart();
    while (pending_ > 0) {
      if (io_.run_one_for(std::chrono::seconds(45)) == 0) {
        throw BenchError("nothing happened for 45 s (or nothing left to run) with " + std::to_string(pending_) +
                         " requests, connects or sends unanswered");
      }
    }
  }

  const Options& o_;
  const LiveConfig& config_;
  Server& server_;
  uint64_t pending_ = 0;  // see RunIo
  asio::io_context io_;   // before what uses it: destroyed after them
  BenchUsers users_;
  const Senders senders_;  // users who write to bot B
  BotAccount a_, b_;
  std::unique_ptr<Conn> a_conn_, b_conn_;
  uint64_t failures_ = 0;  // measured requests not answered 200 ok
};

// The deployment's file: everything in one process (as docs/bots.md's
// example), the mock bus, the Bot API's rate limits out of the way, and the
// gateway's per-address ones too (every device connects from 127.0.0.1).
LiveConfig WriteConfig(const Options& o, const fs::path& dir) {
  std::ofstream(dir / "deploy.yaml")
      << "partitions: 4\nbus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " << (dir / "data").string()
      << ", sync: " << (o.sync ? "true" : "false")
      << "}\nbotapi: {messages_per_second: 1000000, chat_messages_per_second: 1000000, chat_burst: 1000000}\n"
         "gateway: {source_request_rate: 1000000, source_request_burst: 1000000, max_connections_per_source: "
         "1000000}\ninstances:\n  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n  messages/0: {rpc: "
         "127.0.0.1:0}\n"
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
    for (uint64_t u = 1; u <= o.users + Bench::SenderCount(o); ++u) users.emplace_back(u, 1);
    std::map<SessionKey, api::Authorization> sessions;
    if (Status s = ProvisionSessions(config, users, &sessions); !s.ok()) throw BenchError(s.message());
    Server server(o.msgbed, o.wrap, dir / "deploy.yaml", dir / "serve.log");
    const uint64_t failures = Bench(o, config, server, std::move(sessions)).Run();
    failed = failures > 0;
    if (failed) {
      std::cout << "FAILED: " << failures << " measured requests were not answered 200 with \"ok\":true"
                << " (the failed column); their figures leave them out" << std::endl;
    }
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
  msgbed::live::Options o;
  if (const int exit = msgbed::live::ParseOptions(argc, argv, &o); exit >= 0) return exit;
  ::signal(SIGPIPE, SIG_IGN);  // a server that died shows as a failed write
  return msgbed::live::Main(o);
}
