// PostgresStore against a real PostgreSQL server of each test's own
// (live/postgres_server.h): the KvStore contract, batches, reopening, schema
// migrations, the pool across a server restart and an outage, instances
// spread over two servers, and a live deployment on PostgreSQL.
#include "live/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include "live/instance_store.h"
#include "live/live_fixture.h"
#include "live/postgres_server.h"
#include "support/kv_store_contract.h"

namespace msgbed::testing {
namespace {

using live::PostgresServer;
using live::PostgresStore;
using live::PostgresTarget;

// The first cell of sql's answer on conninfo's database, as text; "" if no
// row; "error: ..." if it failed.
std::string QueryOne(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  std::string out;
  if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
    out = std::string("error: ") + PQerrorMessage(c);
  } else if (PQntuples(r) > 0) {
    out = PQgetvalue(r, 0, 0);
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

class Postgres : public ::testing::Test {
 protected:
  Status Open(const std::string& table, std::unique_ptr<PostgresStore>* out) {
    return PostgresStore::Open(PostgresTarget{server_.conninfo(), "", 4, false}, table, out);
  }
  std::unique_ptr<PostgresStore> MustOpen(const std::string& table) {
    std::unique_ptr<PostgresStore> store;
    const Status s = Open(table, &store);
    EXPECT_TRUE(s.ok()) << s.message();
    return store;
  }
  std::string Query(const std::string& sql) { return QueryOne(server_.conninfo(), sql); }

  PostgresServer server_;
};

TEST_F(Postgres, KeepsTheKvStoreContract) {
  auto store = MustOpen("kv_contract_0");
  ASSERT_TRUE(store);
  ExpectKvStoreContract(*store);
}

TEST_F(Postgres, TableNamesComeFromRoleAndIndexAndNothingElse) {
  EXPECT_EQ(PostgresStore::TableName("messages", 3), "kv_messages_3");
  EXPECT_EQ(PostgresStore::TableName("messages; DROP TABLE x", 0), "");
  EXPECT_EQ(PostgresStore::TableName("Messages", 0), "");
  EXPECT_EQ(PostgresStore::TableName(std::string(60, 'a'), 0), "");
  std::unique_ptr<PostgresStore> store;
  EXPECT_FALSE(Open("", &store).ok());
}

// 10,000 operations in one batch apply together; a batch the server refuses
// halfway (a key too long for the index) leaves nothing behind.
TEST_F(Postgres, ALargeBatchAppliesWholeOrNotAtAll) {
  auto store = MustOpen("kv_batch_0");
  ASSERT_TRUE(store);
  WriteBatch big;
  for (int i = 0; i < 10000; ++i) big.Put("k" + std::to_string(100000 + i), std::string(100, 'v'));
  for (int i = 0; i < 10000; i += 2) big.Delete("k" + std::to_string(100000 + i));
  ASSERT_TRUE(store->Write(big).ok());
  KvStore::Entries all;
  ASSERT_TRUE(store->Scan("k", "l", 100000, &all).ok());
  ASSERT_EQ(all.size(), 5000u);
  EXPECT_EQ(all.front().first, "k100001");

  WriteBatch refused;
  for (int i = 0; i < 9999; ++i) refused.Put("n" + std::to_string(i), "v");
  std::string huge(10000, '\0');
  std::mt19937 rng(7);
  for (char& c : huge) c = static_cast<char>(rng());  // incompressible: too long for a btree entry
  refused.Put("n" + huge, "v");
  const Status s = store->Write(refused);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("index row"), std::string::npos) << "the server's reason: " << s.message();
  ASSERT_TRUE(store->Scan("n", "o", 10, &all).ok());
  EXPECT_TRUE(all.empty()) << "a refused batch wrote " << all.size() << "+ keys";
}

TEST_F(Postgres, WhatWasWrittenIsThereAfterReopening) {
  auto store = MustOpen("kv_reopen_0");
  ASSERT_TRUE(store);
  WriteBatch b;
  b.Put(std::string("\0\xff", 2), "kept");
  ASSERT_TRUE(store->Write(b).ok());
  store.reset();  // the last store on the server: the pool and its connections close
  store = MustOpen("kv_reopen_0");
  ASSERT_TRUE(store);
  Status s;
  EXPECT_EQ(store->Get(std::string("\0\xff", 2), &s).value_or("<absent>"), "kept");
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST_F(Postgres, AFreshTableGetsTheCurrentSchemaAndReopeningChangesNothing) {
  const std::string version = std::to_string(PostgresStore::KnownSchemaVersion());
  auto store = MustOpen("kv_schema_0");
  ASSERT_TRUE(store);
  EXPECT_EQ(Query("SELECT version FROM msgbed_schema WHERE table_name = 'kv_schema_0'"), version);
  const std::string xmin = Query("SELECT xmin FROM msgbed_schema WHERE table_name = 'kv_schema_0'");
  store.reset();
  store = MustOpen("kv_schema_0");
  ASSERT_TRUE(store);
  EXPECT_EQ(Query("SELECT xmin FROM msgbed_schema WHERE table_name = 'kv_schema_0'"), xmin) << "the row was rewritten";
  EXPECT_EQ(Query("SELECT count(*) FROM msgbed_schema"), "1");
}

TEST_F(Postgres, ATableNewerThanThisBinaryIsRefusedNamingBothVersions) {
  ASSERT_TRUE(MustOpen("kv_future_0"));
  const int newer = PostgresStore::KnownSchemaVersion() + 5;
  ASSERT_EQ(Query("UPDATE msgbed_schema SET version = " + std::to_string(newer)), "");
  std::unique_ptr<PostgresStore> store;
  const Status s = Open("kv_future_0", &store);
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(store);
  EXPECT_NE(s.message().find("schema version " + std::to_string(newer)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(" + std::to_string(PostgresStore::KnownSchemaVersion()) + ")"), std::string::npos)
      << s.message();
}

// Processes starting together each open the same tables: exactly one creates
// each, the others find it made.
TEST_F(Postgres, OpenersRacingOnANewTableAllSucceed) {
  std::vector<std::thread> openers;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    openers.emplace_back([&, i] {
      std::unique_ptr<PostgresStore> store;
      // A pool each, as separate processes would have.
      if (PostgresStore::Open(PostgresTarget{server_.conninfo(), "", static_cast<size_t>(i + 1), false}, "kv_race_0",
                              &store)
              .ok()) {
        ++opened;
      }
    });
  }
  for (auto& t : openers) t.join();
  EXPECT_EQ(opened, 4);
}

TEST_F(Postgres, AfterAServerRestartTheNextReadWorks) {
  auto store = MustOpen("kv_restart_0");
  ASSERT_TRUE(store);
  WriteBatch b;
  b.Put("k", "before the restart");
  ASSERT_TRUE(store->Write(b).ok());
  server_.Restart();  // every pooled connection is now dead
  Status s;
  EXPECT_EQ(store->Get("k", &s).value_or("<absent>"), "before the restart");
  EXPECT_TRUE(s.ok()) << s.message();
  WriteBatch after;
  after.Put("k2", "after");
  EXPECT_TRUE(store->Write(after).ok());
}

// The stop is a crash (immediate). Found with it: a table created by a store
// with sync off was lost in the crash (its migration committed asynchronously).
TEST_F(Postgres, AWriteDuringAnOutageFailsWithTheReasonAndLeavesNothing) {
  auto store = MustOpen("kv_outage_0");
  ASSERT_TRUE(store);
  server_.Stop();
  WriteBatch b;
  for (int i = 0; i < 100; ++i) b.Put("k" + std::to_string(i), "v");
  const Status s = store->Write(b);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("postgres"), std::string::npos) << s.message();
  Status read;
  EXPECT_FALSE(store->Get("k0", &read).has_value());
  EXPECT_FALSE(read.ok()) << "a read during the outage fails, it does not answer absent";
  server_.Start();
  KvStore::Entries all;
  const Status scan = store->Scan("k", "l", 1000, &all);
  ASSERT_TRUE(scan.ok()) << scan.message();
  EXPECT_TRUE(all.empty()) << all.size() << " keys of a failed write";
}

// The store's connection is ended by the server while its statement waits
// on a lock another connection holds on the table (as a crash of its
// backend would end it): what that statement does on the next try.
class PostgresBrokenMidway : public Postgres {
 protected:
  void SetUp() override {
    store_ = MustOpen("kv_midway_0");
    ASSERT_TRUE(store_);
    WriteBatch b;
    b.Put("k", "v");
    ASSERT_TRUE(store_->Write(b).ok());
    locker_ = PQconnectdb(server_.conninfo().c_str());
    ASSERT_EQ(QueryOn("BEGIN; LOCK TABLE kv_midway_0 IN ACCESS EXCLUSIVE MODE"), "");
  }
  void TearDown() override { PQfinish(locker_); }
  std::string QueryOn(const std::string& sql) {
    PGresult* r = PQexec(locker_, sql.c_str());
    const std::string out = PQresultStatus(r) == PGRES_COMMAND_OK ? "" : PQerrorMessage(locker_);
    PQclear(r);
    return out;
  }
  // Ends the backend that waits for the lock, once it waits; then lets go of the lock.
  void EndTheWaiterAndUnlock() {
    const auto end = std::chrono::steady_clock::now() + kDeadline;
    while (Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                 "AND query LIKE '%kv_midway_0%'") != "1") {
      ASSERT_LT(std::chrono::steady_clock::now(), end) << "the store's statement never waited on the lock";
    }
    EXPECT_EQ(QueryOn("COMMIT"), "");
  }

  std::unique_ptr<PostgresStore> store_;
  PGconn* locker_ = nullptr;
};

TEST_F(PostgresBrokenMidway, AReadIsTriedAgainOnAFreshConnection) {
  Status s;
  std::optional<std::string> value;
  std::thread reader([&] { value = store_->Get("k", &s); });
  EndTheWaiterAndUnlock();
  reader.join();
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(value.value_or("<absent>"), "v");
}

TEST_F(PostgresBrokenMidway, AWriteIsNotTriedAgainAndFailsWithTheReason) {
  Status s;
  std::thread writer([&] {
    WriteBatch b;
    b.Put("k2", "v2");
    s = store_->Write(b);
  });
  EndTheWaiterAndUnlock();
  writer.join();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("closed the connection"), std::string::npos) << s.message();
  Status read;
  EXPECT_FALSE(store_->Get("k2", &read).has_value()) << "written after all";
  EXPECT_TRUE(read.ok()) << read.message();
}

TEST(PostgresShards, ARolesInstancesSpreadOverTheServers) {
  PostgresServer a, b;
  live::LiveConfig cfg;
  cfg.backend = live::StorageBackend::kPostgres;
  cfg.postgres.servers = {a.conninfo(), b.conninfo()};
  cfg.sync_writes = false;
  std::unique_ptr<KvStore> zero, one;
  ASSERT_TRUE(live::OpenInstanceStore(cfg, "messages", 0, &zero).ok());
  ASSERT_TRUE(live::OpenInstanceStore(cfg, "messages", 1, &one).ok());
  auto on = [](const PostgresServer& s, const std::string& table) {
    return QueryOne(s.conninfo(), "SELECT to_regclass('" + table + "') IS NOT NULL");
  };
  EXPECT_EQ(on(a, "kv_messages_0"), "t");
  EXPECT_EQ(on(a, "kv_messages_1"), "f");
  EXPECT_EQ(on(b, "kv_messages_0"), "f");
  EXPECT_EQ(on(b, "kv_messages_1"), "t");
}

TEST(PostgresConfig, AnUnreadablePasswordFileIsNamed) {
  live::LiveConfig cfg;
  cfg.backend = live::StorageBackend::kPostgres;
  cfg.postgres.servers = {"host=127.0.0.1 dbname=msgbed"};
  cfg.postgres.password_file = "/nonexistent/pg.pass";
  std::unique_ptr<KvStore> store;
  const Status s = live::OpenInstanceStore(cfg, "auth", 0, &store);
  EXPECT_NE(s.message().find("storage.postgres.password_file: cannot read a password from /nonexistent/pg.pass"),
            std::string::npos)
      << s.message();
}

// A deployment whose instances all keep their stores on one server.
struct WithServer {
  PostgresServer server;
};
class LivePostgres : public WithServer, public Split {
 protected:
  LivePostgres() : Split("", ", backend: postgres, postgres: {servers: [\"" + server.conninfo() + "\"], pool: 2}") {}
};

TEST_F(LivePostgres, AMessageOutlivesARestartOfItsMessagesInstance) {
  Seen a, b;
  auto alice = Online(1, &a);
  alice->device().SendText(2, "kept in postgres", 77);
  ASSERT_TRUE(Run([&] { return a.sent.size() == 1; }));
  EXPECT_NE(QueryOne(server.conninfo(), "SELECT count(*) FROM kv_messages_0"), "0");
  deploy_.Stop("messages");
  deploy_.Start("messages");
  auto bob = Online(2, &b);  // offline until now: catches up with getDifference
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  EXPECT_EQ(b.delivered[0].first, 77u);
}

}  // namespace
}  // namespace msgbed::testing
