// The store of one service instance, on the backend the config chooses
// (storage.backend): a RocksDB database in <data_dir>/<role>-<index>, or a
// PostgreSQL table on storage.postgres.servers[index % servers], so a role's
// instances spread over the servers.
#pragma once

#include <memory>
#include <string>

#include "core/kv_store.h"
#include "live/config.h"

namespace msgbed::live {

// <data_dir>/<role>-<index>: the instance's RocksDB, and the stem of its files.
std::string InstanceDir(const LiveConfig& cfg, const std::string& role, uint32_t index);

Status OpenInstanceStore(const LiveConfig& cfg, const std::string& role, uint32_t index, std::unique_ptr<KvStore>* out);

}  // namespace msgbed::live
