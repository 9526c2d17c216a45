// LiveConfig: a live deployment, read from YAML (deploy/local.yaml is the
// commented example; docs/deploy.md describes every key). Every instance of
// every role is listed with its addresses, so any process can reach any
// other; the cluster shape follows from the list.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_reader.h"
#include "core/cluster.h"
#include "core/time.h"
#include "live/outbound_providers.h"
#include "live/tls_files.h"
#include "roles/registry.h"

namespace msgbed::live {

using ConfigError = InputError;

struct Endpoint {
  std::string host;
  uint16_t port = 0;  // 0: any free port (single-process runs and tests)
  std::string ToString() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct InstanceConfig {
  std::string role;
  uint32_t index = 0;
  Endpoint rpc;     // service-to-service calls; used between processes
  Endpoint client;  // roles with clients only: where devices connect
  std::string Name() const { return role + "/" + std::to_string(index); }
  friend bool operator==(const InstanceConfig&, const InstanceConfig&) = default;
};

struct BusConfig {
  enum class Mode { kMock, kKafka };
  Mode mode = Mode::kMock;
  std::string bootstrap;  // kKafka: "host:port,host:port"
  uint32_t mock_brokers = 3;
  // How long a consumer group takes to notice a member that vanished
  // (Kafka's session.timeout.ms); its partitions wait that long to move.
  // Default: 10 s with real brokers; 3 s with the mock, whose group
  // coordinator also waits about this long (less 1 s) at every rebalance.
  static constexpr Micros kKafkaSessionTimeout = 10 * kSecond;
  Micros session_timeout = 3 * kSecond;  // the mock's
  friend bool operator==(const BusConfig&, const BusConfig&) = default;
};

// The live client transport of every role that has clients (`clients:`):
// what the connections themselves bound, below the role's own limits.
struct ClientTransportConfig {
  size_t max_frame_bytes = 640 * 1024;  // largest frame a device may send (a 512 KiB media part fits)
  size_t max_outbound_bytes = 4 << 20;  // unsent bytes per device before it is disconnected
  Micros frame_timeout = 30 * kSecond;  // a started frame must complete within this
  // SO_SNDBUF of device sockets; 0 leaves the kernel's autotuning (up to
  // net.ipv4.tcp_wmem's maximum, 4 MiB on Debian, per slow reader).
  size_t socket_send_buffer = 0;
  // HTTP roles (RoleSpec::ClientProtocol::kHttp, HttpClientServer): the
  // largest request body (the Bot API's upload limit), refused with 413
  // from its Content-Length before it is read; and how long a kept-alive
  // connection may wait for its next request (or a client take to read a
  // response) before it is closed. frame_timeout bounds each request's
  // arrival, headers and body.
  size_t max_http_body = 50 << 20;
  Micros http_idle_timeout = 300 * kSecond;
  // `clients.tls`: TLS 1.3 on the device connections (live/tls.h); unset:
  // plain TCP, for development (the gateway's log says so).
  TlsFiles tls;
  friend bool operator==(const ClientTransportConfig&, const ClientTransportConfig&) = default;
};

// Service-to-service links: every TCP link proves it holds the deployment
// secret before its first message (rpc.proto LinkHello).
struct SecurityConfig {
  std::string secret_file;  // empty: <data_dir>/cluster.secret, created if missing
  LinkTlsFiles tls;         // unset: links are authenticated (the secret) but not encrypted
  friend bool operator==(const SecurityConfig&, const SecurityConfig&) = default;
};

// `storage.s3`: media blobs in an S3-compatible store instead of files
// under data_dir (s3_blob_store.h).
struct S3Config {
  std::string host, port;  // from endpoint: http://host[:port]
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key_file;  // the secret key, alone in the file
  std::string prefix = "msgbed/";
  friend bool operator==(const S3Config&, const S3Config&) = default;
};

// Where instances keep their KvStore (`storage.backend`).
enum class StorageBackend { kRocksDb, kPostgres };

// `storage.postgres`: the servers a postgres backend's tables live on
// (instance_store.h places them).
struct PostgresConfig {
  std::vector<std::string> servers;  // libpq conninfo strings
  size_t pool = 4;                   // connections per process and server
  std::string password_file;         // optional: the password, first line
  friend bool operator==(const PostgresConfig&, const PostgresConfig&) = default;
};

struct LiveConfig {
  std::string file;
  uint32_t partitions = 8;
  BusConfig bus;
  std::string data_dir = "data/local";
  bool sync_writes = true;     // storage.sync: fsync each write batch
  std::optional<S3Config> s3;  // storage.s3: blobs of roles that keep them
  StorageBackend backend = StorageBackend::kRocksDb;
  PostgresConfig postgres;  // backend kPostgres: at least one server
  ClientTransportConfig clients;
  std::map<std::string, RoleSettings> role_settings;  // sections named after roles
  SecurityConfig security;
  // SMS, push and email providers, each in failover order (`sms:`,
  // `push:`, `email:`); empty: one log provider writing to
  // <data_dir>/<channel>.log (ProvidersOrDefault).
  std::vector<ProviderConfig> sms, push, email;
  std::vector<InstanceConfig> instances;

  // The secret file this deployment uses.
  std::string SecretFile() const;

  // channel: kSmsChannel, kPushChannel or kEmailChannel.
  std::vector<ProviderConfig> ProvidersOrDefault(const std::string& channel) const;
  ClusterShape Shape() const;
  // Instances whose Name() is `selector`, or of role `selector`; all if empty.
  std::vector<InstanceConfig> Select(const std::string& selector) const;
};

// Throws ConfigError ("file:line: key 'a.b': what is wrong"). Role names,
// and the keys of their sections, come from `roles`.
LiveConfig LoadConfig(const std::string& path, const RoleRegistry& roles = RoleRegistry::Global());
LiveConfig ParseConfig(const std::string& yaml_text, const std::string& file_name,
                       const RoleRegistry& roles = RoleRegistry::Global());

// Parses "host:port"; false when text is not one.
bool ParseEndpoint(const std::string& text, Endpoint* out);

}  // namespace msgbed::live
