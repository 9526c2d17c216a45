// LiveDeployment: what the live benches run against: one process serving
// gateway, messages, sync, auth and media on one thread, with librdkafka's mock
// cluster and RocksDB in a temporary directory, users 1..users with
// sessions for devices 1..devices provisioned before it starts. Its
// devices all connect from 127.0.0.1, so the gateway's per-address limits
// are lifted (they would cap a bench at 100 connections and 5,000
// requests a second).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "live/process.h"
#include "live/provision.h"

namespace msgbed::live {

class LiveDeployment {
 public:
  // Nullptr (with the reason on stderr) if it cannot start. tls: devices
  // connect over TLS 1.3 (development certificates in its directory; the
  // CA is ca_file()).
  static std::unique_ptr<LiveDeployment> Start(uint64_t users, uint64_t devices, bool sync_writes, bool tls = false);
  ~LiveDeployment();

  uint16_t port() const { return server_->client_port(0); }
  std::map<SessionKey, api::Authorization>& sessions() { return sessions_; }
  std::string ca_file() const { return (dir_ / "tls" / "ca.pem").string(); }

 private:
  LiveDeployment() = default;
  std::filesystem::path dir_;
  std::map<SessionKey, api::Authorization> sessions_;
  std::unique_ptr<Process> server_;
  std::thread serving_;
};

}  // namespace msgbed::live
