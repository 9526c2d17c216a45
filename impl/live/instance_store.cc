#include "live/instance_store.h"

#include <filesystem>
#include <fstream>

#include "live/postgres_store.h"
#include "live/rocksdb_store.h"

namespace msgbed::live {

namespace {

Status OpenPostgres(const LiveConfig& cfg, const std::string& role, uint32_t index, std::unique_ptr<KvStore>* out) {
  const PostgresConfig& pg = cfg.postgres;
  PostgresTarget target;
  target.conninfo = pg.servers.at(index % pg.servers.size());
  target.pool = pg.pool;
  target.sync = cfg.sync_writes;
  if (!pg.password_file.empty()) {
    std::ifstream in(pg.password_file);
    if (!std::getline(in, target.password) || target.password.empty()) {
      return Status::Invalid("storage.postgres.password_file: cannot read a password from " + pg.password_file);
    }
  }
  std::unique_ptr<PostgresStore> store;
  Status s = PostgresStore::Open(target, PostgresStore::TableName(role, index), &store);
  *out = std::move(store);
  return s;
}

}  // namespace

std::string InstanceDir(const LiveConfig& cfg, const std::string& role, uint32_t index) {
  return (std::filesystem::path(cfg.data_dir) / (role + "-" + std::to_string(index))).string();
}

Status OpenInstanceStore(const LiveConfig& cfg, const std::string& role, uint32_t index,
                         std::unique_ptr<KvStore>* out) {
  if (cfg.backend == StorageBackend::kPostgres) {
    // data_dir still holds what is not in the tables (logs of the log
    // providers, blobs, the bus's bootstrap file), as RocksDB's makes it.
    std::error_code ec;
    std::filesystem::create_directories(cfg.data_dir, ec);
    if (ec) return Status::IoError("storage.data_dir: cannot create " + cfg.data_dir + ": " + ec.message());
    return OpenPostgres(cfg, role, index, out);
  }
  std::unique_ptr<RocksDbStore> store;
  Status s = RocksDbStore::Open(InstanceDir(cfg, role, index), cfg.sync_writes, &store);
  *out = std::move(store);
  return s;
}

}  // namespace msgbed::live
