// PostgresStore: the live KvStore in a PostgreSQL table, one table per
// service instance (`kv_<role>_<index>`: key bytea primary key, value bytea).
// bytea compares as unsigned bytes, as KvStore's keys do. Every Write is one
// statement, so one transaction and one round trip whatever the batch's size;
// it is durable on Ok unless sync is off (synchronous_commit = off: a server
// crash may lose the last commits, never half of one). Unlike other stores,
// keys longer than about 2,700 bytes are refused (a btree entry's limit).
//
// Connections come from a PostgresPool, one per process and server, shared by
// every store on that server. A connection found broken (the server
// restarted) is dropped and a new one opened. A read that fails on a broken
// connection is tried once more on a fresh one; a write is not (its commit
// may have happened): it fails with IoError and the caller's retry, keyed by
// what it writes, decides.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/kv_store.h"

struct pg_conn;

namespace msgbed::live {

// How a pool reaches its server.
struct PostgresTarget {
  std::string conninfo;  // libpq's: "host=127.0.0.1 port=5432 dbname=msgbed user=msgbed"
  std::string password;  // empty: conninfo's, or libpq's own sources (PGPASSWORD, ~/.pgpass)
  size_t pool = 4;       // connections at most
  bool sync = true;      // false: SET synchronous_commit = off on each connection
};

class PostgresPool {
 public:
  // The process's pool for target's server and settings; created on first
  // use, alive while a store holds it. Connections open lazily.
  static std::shared_ptr<PostgresPool> For(const PostgresTarget& target);
  ~PostgresPool();

  // A connection, for as long as the lease lives. Waits while all are busy.
  class Lease {
   public:
    Lease(PostgresPool* pool, pg_conn* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::exchange(o.conn_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(conn_);
    }
    pg_conn* get() const { return conn_; }

   private:
    PostgresPool* pool_;
    pg_conn* conn_;
  };
  // Fails with the server's (or libpq's) reason when no connection opens.
  Status Acquire(std::unique_ptr<Lease>* out);

  explicit PostgresPool(PostgresTarget target) : target_(std::move(target)) {}

 private:
  Status Open(pg_conn** out) const;
  void Release(pg_conn* conn);

  const PostgresTarget target_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<pg_conn*> idle_;
  size_t open_ = 0;  // idle and leased
};

class PostgresStore final : public KvStore {
 public:
  // The schema version this binary writes; a table at a newer one is refused.
  static int KnownSchemaVersion();
  // "kv_<role>_<index>"; empty if role is not [a-z][a-z0-9_]* or the name
  // would pass PostgreSQL's 63-byte limit.
  static std::string TableName(const std::string& role, uint32_t index);

  // Opens table on target's server, creating it or bringing its schema up to
  // date (msgbed_schema records each table's version; migrations run in
  // order, each in one transaction with its version bump, under an advisory
  // lock so concurrent openers apply each once).
  static Status Open(const PostgresTarget& target, const std::string& table, std::unique_ptr<PostgresStore>* out);

  std::optional<std::string> Get(std::string_view key, Status* status) override;
  Status Write(const WriteBatch& batch) override;
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;
  Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

 private:
  PostgresStore(std::shared_ptr<PostgresPool> pool, std::string table) : pool_(std::move(pool)), table_(table) {}
  Status Range(std::string_view from, std::string_view to, size_t limit, bool back, Entries* out);

  std::shared_ptr<PostgresPool> pool_;
  const std::string table_;
};

}  // namespace msgbed::live
