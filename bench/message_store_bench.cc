// The message store on each live backend: the batches a private send writes
// (the sender's box with its send record and outbox entry, the receiver's
// copy, the outbox entry done: MessageService::Store, ApplyLocally,
// Applied), through the core's BoxStore, then reads of them back (a message
// by id, as replies and edits look it up; pages of 100 updates, as
// getDifference reads them). One thread, one op at a time: latency per op,
// not what a pool of writers reaches. Postgres runs a server of its own in a
// temporary directory (live/postgres_server.h).
//   ./build/bench/message_store_bench --backend postgres --sync --messages 5000
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <random>

#include "live/postgres_server.h"
#include "live/postgres_store.h"
#include "live/rocksdb_store.h"
#include "messages/box_store.h"

namespace msgbed::live {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string backend = "rocksdb";
  bool sync = false;
  uint64_t messages = 5000;
  uint64_t users = 100;
};

// Latencies of one kind of op, in microseconds.
class Timings {
 public:
  // Runs op, timing it; exits on failure.
  void Time(const std::function<Status()>& op) {
    const auto start = Clock::now();
    const Status s = op();
    us_.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!s.ok()) {
      std::cerr << "failed: " << s.message() << "\n";
      std::exit(1);
    }
  }
  void Report(const std::string& what) {
    std::sort(us_.begin(), us_.end());
    double total = 0;
    for (double u : us_) total += u;
    auto pct = [&](double q) { return us_[std::min(us_.size() - 1, static_cast<size_t>(q * us_.size()))]; };
    std::cout << "  " << what << ": " << static_cast<uint64_t>(us_.size() / (total / 1e6)) << "/s, p50 "
              << static_cast<uint64_t>(pct(0.5)) << " us, p99 " << static_cast<uint64_t>(pct(0.99)) << " us ("
              << us_.size() << ")\n";
  }

 private:
  std::vector<double> us_;
};

// A private message from `from` to `to`, stored as the messages role stores
// it when both boxes are on this instance. *id: its id in the sender's box.
Status Send(BoxStore& boxes, uint64_t from, uint64_t to, uint64_t random_id, uint64_t* id) {
  BoxStore::Change mine;
  if (Status s = boxes.Begin(from, &mine); !s.ok()) return s;
  api::Message m;
  m.set_from_user(from);
  m.set_peer_user(to);
  m.set_random_id(random_id);
  m.set_text(std::string(100, 'x'));
  const api::Update& update = mine.AddMessage(m);
  storage::SendRecord record;
  record.mutable_result()->set_random_id(random_id);
  record.mutable_result()->set_message_id(update.message().id());
  record.mutable_result()->set_pts(update.pts());
  *record.mutable_message() = update.message();
  *id = update.message().id();
  storage::BoxOp op;
  op.set_kind(storage::BoxOp::APPEND);
  *op.mutable_message() = update.message();
  op.mutable_message()->set_id(0);
  op.mutable_message()->set_origin_id(*id);
  op.mutable_message()->set_peer_user(from);
  mine.Queue(to, op);
  const uint64_t seq = mine.head().last_op();
  record.set_op_seq(seq);
  mine.PutSend(record);
  if (Status s = boxes.Commit(&mine); !s.ok()) return s;

  BoxStore::Change theirs;
  Status s = boxes.Begin(to, &theirs);
  if (s.ok() && boxes.FindCopy(to, from, random_id, &s) == 0 && s.ok()) theirs.AddMessage(op.message());
  if (s.ok()) s = boxes.Commit(&theirs);
  if (!s.ok()) return s;

  record.set_peer_done(true);
  WriteBatch done;
  done.Put(boxes.SendKey(from, random_id), record.SerializeAsString());
  return boxes.DoneOp(from, to, seq, std::move(done));
}

Status OpenStore(const Options& o, const std::filesystem::path& dir, const PostgresServer* server,
                 std::unique_ptr<KvStore>* out) {
  if (server == nullptr) {
    std::unique_ptr<RocksDbStore> rocks;
    Status s = RocksDbStore::Open(dir.string(), o.sync, &rocks);
    *out = std::move(rocks);
    return s;
  }
  std::unique_ptr<PostgresStore> pg;
  Status s = PostgresStore::Open(PostgresTarget{server->conninfo(), "", 1, o.sync}, "kv_messages_0", &pg);
  *out = std::move(pg);
  return s;
}

int Run(const Options& o) {
  const auto dir = std::filesystem::temp_directory_path() / ("msgbed-store-bench-" + std::to_string(::getpid()));
  std::unique_ptr<PostgresServer> server;
  if (o.backend == "postgres") server = std::make_unique<PostgresServer>();
  std::unique_ptr<KvStore> kv;
  if (Status s = OpenStore(o, dir, server.get(), &kv); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  BoxStore boxes(kv.get());
  std::mt19937_64 rng(1);
  std::vector<std::pair<uint64_t, uint64_t>> stored;  // (user, id)
  Timings sends, finds, pages;
  for (uint64_t i = 1; i <= o.messages; ++i) {
    const uint64_t from = 1 + rng() % o.users;
    const uint64_t to = 1 + (from + rng() % (o.users - 1)) % o.users;
    uint64_t id = 0;
    sends.Time([&] { return Send(boxes, from, to, i, &id); });
    stored.emplace_back(from, id);
  }
  std::shuffle(stored.begin(), stored.end(), rng);
  for (const auto& [user, id] : stored) {
    finds.Time([&, user = user, id = id] {
      Status s;
      if (!boxes.FindMessage(user, id, &s) && s.ok()) s = Status::NotFound("message " + std::to_string(id));
      return s;
    });
  }
  for (uint64_t user = 1; user <= o.users; ++user) {
    uint64_t after = 0;
    for (bool more = true; more;) {  // to the first short page, as getDifference
      std::vector<api::Update> page;
      pages.Time([&] { return boxes.ReadAfter(user, after, 100, &page); });
      more = page.size() == 100;
      if (more) after = page.back().pts();
    }
  }
  std::cout << "message store: " << o.backend << ", sync " << (o.sync ? "on" : "off") << ", " << o.messages
            << " private messages among " << o.users << " users, one thread\n";
  sends.Report("sends (3 batches each)");
  finds.Report("FindMessage");
  pages.Report("ReadAfter pages of 100");
  kv.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  using namespace msgbed::live;
  Options o;
  CLI::App app{"Message store writes and reads per second on RocksDB or PostgreSQL"};
  app.add_option("--backend", o.backend)->capture_default_str()->check(CLI::IsMember({"rocksdb", "postgres"}));
  app.add_flag("--sync", o.sync, "durable on return: fsync (RocksDB), synchronous_commit on (PostgreSQL)");
  app.add_option("--messages", o.messages)->capture_default_str()->check(CLI::Range(1, 10000000));
  app.add_option("--users", o.users)->capture_default_str()->check(CLI::Range(2, 1000000));
  CLI11_PARSE(app, argc, argv);
  return Run(o);
}
