#include "live/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <functional>
#include <limits>
#include <map>

namespace msgbed::live {

namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kByteaOid = 17;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaArrayOid = 1001;
// Serialises schema changes of every msgbed table in a database ("msgbed" in ASCII).
constexpr int64_t kMigrationLock = 0x6d736762656400;

// Migration i brings a table from version i to i + 1; "{t}" is its name.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> m = {
      "CREATE TABLE {t} (key bytea PRIMARY KEY, value bytea NOT NULL)",
  };
  return m;
}

std::string WithTable(std::string sql, const std::string& table) {
  for (size_t at; (at = sql.find("{t}")) != std::string::npos;) sql.replace(at, 3, table);
  return sql;
}

std::string Trimmed(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Parameters in PostgreSQL's binary formats.
class Params {
 public:
  void Bytea(std::string_view v) { Add(std::string(v), kByteaOid); }
  void Text(std::string_view v) { Add(std::string(v), kTextOid); }
  void Int8(uint64_t v) {
    std::string be;
    for (int shift = 56; shift >= 0; shift -= 8) be.push_back(static_cast<char>(v >> shift));
    Add(std::move(be), kInt8Oid);
  }
  // A one-dimensional bytea[] without NULLs.
  void ByteaArray(const std::vector<std::string_view>& items) {
    std::string a;
    auto int4 = [&a](uint32_t v) {
      for (int shift = 24; shift >= 0; shift -= 8) a.push_back(static_cast<char>(v >> shift));
    };
    int4(items.empty() ? 0 : 1);  // dimensions
    int4(0);                      // no NULLs
    int4(kByteaOid);
    if (!items.empty()) {
      int4(static_cast<uint32_t>(items.size()));
      int4(1);  // lower bound
    }
    for (std::string_view item : items) {
      int4(static_cast<uint32_t>(item.size()));
      a.append(item);
    }
    Add(std::move(a), kByteaArrayOid);
  }

  PGresult* Exec(PGconn* c, const std::string& sql) const {
    std::vector<const char*> values;
    std::vector<int> lengths, formats(data_.size(), 1);
    for (const std::string& d : data_) {
      values.push_back(d.data());
      lengths.push_back(static_cast<int>(d.size()));
    }
    return PQexecParams(c, sql.c_str(), static_cast<int>(data_.size()), types_.data(), values.data(), lengths.data(),
                        formats.data(), 1);
  }

 private:
  void Add(std::string bytes, Oid type) {
    data_.push_back(std::move(bytes));
    types_.push_back(type);
  }
  std::vector<std::string> data_;
  std::vector<Oid> types_;
};

// Runs sql with params (binary results into *out if given); fails with the
// server's or libpq's message.
Status Exec(PGconn* c, const std::string& sql, const Params& params, Result* out = nullptr) {
  Result r(params.Exec(c, sql), &PQclear);
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return Status::IoError("postgres: " + Trimmed(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c)));
  }
  if (out != nullptr) *out = std::move(r);
  return Status::Ok();
}

std::string Cell(const Result& r, int row, int col) {
  return std::string(PQgetvalue(r.get(), row, col), static_cast<size_t>(PQgetlength(r.get(), row, col)));
}

// A binary int4 cell.
int Int4Cell(const Result& r, int row, int col) {
  uint32_t v = 0;
  for (unsigned char b : Cell(r, row, col)) v = v << 8 | b;
  return static_cast<int>(v);
}

// An idle connection has nothing to read: data or end-of-file on it means
// the server ended it (a restart sends FATAL and closes).
bool LooksAlive(PGconn* c) {
  if (PQstatus(c) != CONNECTION_OK) return false;
  pollfd p{PQsocket(c), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

// Starts a migration transaction, durable even when the store's writes are
// not (a lost migration would leave an open store without its table), under
// the migration lock; *version: table's (0: none yet).
Status BeginMigration(PGconn* c, const std::string& table, int* version) {
  Params lock, name;
  lock.Int8(static_cast<uint64_t>(kMigrationLock));
  name.Text(table);
  Result r(nullptr, &PQclear);
  Status s = Exec(c, "BEGIN", {});
  if (s.ok()) s = Exec(c, "SET LOCAL synchronous_commit = on", {});
  if (s.ok()) s = Exec(c, "SELECT pg_advisory_xact_lock($1)", lock);
  if (s.ok()) {
    s = Exec(c, "CREATE TABLE IF NOT EXISTS msgbed_schema (table_name text PRIMARY KEY, version int NOT NULL)", {});
  }
  if (s.ok()) s = Exec(c, "SELECT version FROM msgbed_schema WHERE table_name = $1", name, &r);
  *version = s.ok() && PQntuples(r.get()) == 1 ? Int4Cell(r, 0, 0) : 0;
  return s;
}

// Migration `version` (to version + 1) of table, and its version bump.
Status ApplyMigration(PGconn* c, const std::string& table, int version) {
  Params bump;
  bump.Text(table);
  bump.Int8(static_cast<uint64_t>(version + 1));
  Status s = Exec(c, WithTable(Migrations()[version], table), {});
  if (s.ok()) {
    s = Exec(c,
             "INSERT INTO msgbed_schema VALUES ($1, $2::int) ON CONFLICT (table_name) DO UPDATE SET version = "
             "EXCLUDED.version",
             bump);
  }
  return s;
}

// One transaction: refuses a table newer than this binary knows, else
// applies its next migration if any. *done: the table is up to date.
Status MigrateStep(PGconn* c, const std::string& table, bool* done) {
  int version = 0;
  Status s = BeginMigration(c, table, &version);
  const int known = static_cast<int>(Migrations().size());
  if (s.ok() && version > known) {
    s = Status::Invalid("postgres: table " + table + " is at schema version " + std::to_string(version) +
                        ", newer than this msgbed knows (" + std::to_string(known) + "): run a newer msgbed");
  }
  *done = version >= known;
  if (s.ok() && !*done) s = ApplyMigration(c, table, version);
  const Status end = Exec(c, s.ok() ? "COMMIT" : "ROLLBACK", {});
  return s.ok() ? end : s;
}

std::mutex pools_mu;
std::map<std::string, std::weak_ptr<PostgresPool>>& Pools() {
  static std::map<std::string, std::weak_ptr<PostgresPool>> pools;
  return pools;
}

}  // namespace

std::shared_ptr<PostgresPool> PostgresPool::For(const PostgresTarget& t) {
  const std::string id = t.conninfo + '\0' + t.password + '\0' + std::to_string(t.pool) + (t.sync ? "s" : "a");
  std::lock_guard l(pools_mu);
  std::shared_ptr<PostgresPool> pool = Pools()[id].lock();
  if (!pool) {
    pool = std::make_shared<PostgresPool>(t);
    Pools()[id] = pool;
  }
  return pool;
}

PostgresPool::~PostgresPool() {
  for (PGconn* c : idle_) PQfinish(c);
}

Status PostgresPool::Open(PGconn** out) const {
  const char* keys[] = {"dbname", "fallback_application_name", "password", nullptr};
  const char* values[] = {target_.conninfo.c_str(), "msgbed", target_.password.c_str(), nullptr};
  if (target_.password.empty()) keys[2] = nullptr;
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  Status s;
  if (PQstatus(c) != CONNECTION_OK) s = Status::IoError("postgres: cannot connect: " + Trimmed(PQerrorMessage(c)));
  if (s.ok())
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  if (s.ok() && !target_.sync) s = Exec(c, "SET synchronous_commit = off", {});
  if (!s.ok()) {
    PQfinish(c);
    return s;
  }
  *out = c;
  return s;
}

Status PostgresPool::Acquire(std::unique_ptr<Lease>* out) {
  std::unique_lock l(mu_);
  freed_.wait(l, [this] { return !idle_.empty() || open_ < target_.pool; });
  while (!idle_.empty()) {
    PGconn* c = idle_.back();
    idle_.pop_back();
    if (LooksAlive(c)) {
      *out = std::make_unique<Lease>(this, c);
      return Status::Ok();
    }
    PQfinish(c);
    --open_;
  }
  ++open_;
  l.unlock();
  PGconn* c = nullptr;
  Status s = Open(&c);
  if (s.ok()) {
    *out = std::make_unique<Lease>(this, c);
    return s;
  }
  l.lock();
  --open_;
  freed_.notify_one();
  return s;
}

void PostgresPool::Release(PGconn* c) {
  std::lock_guard l(mu_);
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
    idle_.push_back(c);
  } else {
    PQfinish(c);
    --open_;
  }
  freed_.notify_one();
}

namespace {

// op on a pooled connection; if it fails because its connection broke and
// retry is set, once more on a fresh one.
Status OnConnection(PostgresPool& pool, bool retry, const std::function<Status(PGconn*)>& op) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<PostgresPool::Lease> lease;
    if (Status s = pool.Acquire(&lease); !s.ok()) return s;
    const Status s = op(lease->get());
    if (s.ok() || !retry || attempt > 0 || PQstatus(lease->get()) == CONNECTION_OK) return s;
  }
}

}  // namespace

int PostgresStore::KnownSchemaVersion() { return static_cast<int>(Migrations().size()); }

std::string PostgresStore::TableName(const std::string& role, uint32_t index) {
  std::string name = "kv_" + role + "_" + std::to_string(index);
  const bool valid = !role.empty() && role[0] >= 'a' && role[0] <= 'z' &&
                     role.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos &&
                     name.size() <= 63;
  return valid ? name : "";
}

Status PostgresStore::Open(const PostgresTarget& target, const std::string& table,
                           std::unique_ptr<PostgresStore>* out) {
  if (table.empty()) return Status::Invalid("postgres: no valid table name");
  std::shared_ptr<PostgresPool> pool = PostgresPool::For(target);
  const Status s = OnConnection(*pool, true, [&table](PGconn* c) {
    Status step;
    for (bool done = false; step.ok() && !done;) step = MigrateStep(c, table, &done);
    return step;
  });
  if (s.ok()) out->reset(new PostgresStore(std::move(pool), table));
  return s;
}

std::optional<std::string> PostgresStore::Get(std::string_view key, Status* status) {
  Params p;
  p.Bytea(key);
  const std::string sql = "SELECT value FROM " + table_ + " WHERE key = $1";
  std::optional<std::string> value;
  const Status s = OnConnection(*pool_, true, [&](PGconn* c) {
    Result r(nullptr, &PQclear);
    Status e = Exec(c, sql, p, &r);
    if (e.ok() && PQntuples(r.get()) == 1) value = Cell(r, 0, 0);
    return e;
  });
  if (!s.ok()) *status = s;
  return value;
}

Status PostgresStore::Write(const WriteBatch& batch) {
  // The batch's effect: each key's last operation, in key order.
  std::map<std::string_view, const std::optional<std::string>*> last;
  for (const WriteBatch::Op& op : batch.ops()) last[op.key] = &op.value;
  if (last.empty()) return Status::Ok();
  std::vector<std::string_view> keys, values, deleted;
  for (const auto& [key, value] : last) {
    if (*value) {
      keys.push_back(key);
      values.push_back(**value);
    } else {
      deleted.push_back(key);
    }
  }
  Params p;
  p.ByteaArray(keys);
  p.ByteaArray(values);
  p.ByteaArray(deleted);
  // One statement: one transaction, one round trip. The two key sets are disjoint.
  const std::string sql = "WITH gone AS (DELETE FROM " + table_ + " WHERE key = ANY($3)) INSERT INTO " + table_ +
                          " SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET value = "
                          "EXCLUDED.value";
  return OnConnection(*pool_, false, [&](PGconn* c) { return Exec(c, sql, p); });
}

Status PostgresStore::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  return Range(from, to, limit, false, out);
}

Status PostgresStore::ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  return Range(from, to, limit, true, out);
}

Status PostgresStore::Range(std::string_view from, std::string_view to, size_t limit, bool back, Entries* out) {
  out->clear();
  Params p;
  p.Bytea(from);
  p.Bytea(to);
  p.Int8(std::min<uint64_t>(limit, std::numeric_limits<int64_t>::max()));
  const std::string sql = "SELECT key, value FROM " + table_ + " WHERE key >= $1 AND key < $2 ORDER BY key" +
                          (back ? " DESC" : "") + " LIMIT $3";
  return OnConnection(*pool_, true, [&](PGconn* c) {
    Result r(nullptr, &PQclear);
    Status s = Exec(c, sql, p, &r);
    out->clear();
    for (int row = 0; s.ok() && row < PQntuples(r.get()); ++row) out->emplace_back(Cell(r, row, 0), Cell(r, row, 1));
    return s;
  });
}

}  // namespace msgbed::live
