#include "live/config.h"

#include <cmath>
#include <filesystem>
#include <set>

#include "config/role_settings.h"
#include "core/frame_codec.h"
#include "messages/replicator.h"
#include "store/placement.h"

namespace msgbed::live {
namespace {

Endpoint ReadEndpoint(const YamlReader& r, const YAML::Node& n, const std::string& key) {
  Endpoint e;
  if (!ParseEndpoint(r.Scalar(n, key), &e)) r.Fail(n, key, "expected host:port, got '" + n.as<std::string>() + "'");
  return e;
}

std::string RoleList(const RoleRegistry& roles) {
  std::string out;
  for (const auto& n : roles.Names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "role/index" -> (role, index); fails on anything else.
void ParseInstanceName(const YamlReader& r, const YAML::Node& at, const std::string& name, const RoleRegistry& roles,
                       InstanceConfig* inst) {
  const std::string key = "instances." + name;
  const auto slash = name.find('/');
  inst->role = name.substr(0, slash);
  const std::string index = slash == std::string::npos ? "" : name.substr(slash + 1);
  if (!roles.Find(inst->role) || index.empty() || index.size() > 6 ||
      index.find_first_not_of("0123456789") != std::string::npos) {
    r.Fail(at, key, "expected role/index, role one of " + RoleList(roles));
  }
  inst->index = static_cast<uint32_t>(std::stoul(index));
}

InstanceConfig ReadInstance(const YamlReader& r, const std::string& name, const YAML::Node& n,
                            const RoleRegistry& roles) {
  InstanceConfig inst;
  ParseInstanceName(r, n, name, roles, &inst);
  const std::string key = "instances." + name;
  const bool clients = roles.Get(inst.role).has_clients;
  r.OnlyKeys(n, key, clients ? std::set<std::string>{"rpc", "client"} : std::set<std::string>{"rpc"});
  inst.rpc = ReadEndpoint(r, r.Required(n, key, "rpc", "host:port for service calls"), key + ".rpc");
  if (clients)
    inst.client = ReadEndpoint(r, r.Required(n, key, "client", "host:port where devices connect"), key + ".client");
  return inst;
}

void CheckDense(const YamlReader& r, const YAML::Node& at, const LiveConfig& cfg, const RoleRegistry& roles) {
  for (const RoleSpec& role : roles.roles()) {
    std::set<uint32_t> idx;
    for (const auto& i : cfg.instances) {
      if (i.role == role.name) idx.insert(i.index);
    }
    if (idx.empty()) {
      if (role.required) r.Fail(at, "instances", "no " + role.name + " instance");
      continue;
    }
    for (uint32_t want = 0; want < idx.size(); ++want) {
      if (!idx.contains(want)) {
        r.Fail(at, "instances",
               role.name + "/" + std::to_string(want) + " is missing: " + role.name + " indexes must be 0.." +
                   std::to_string(idx.size() - 1));
      }
    }
  }
  // Two instances cannot listen on one address (port 0: any free port).
  // A wildcard address takes the port on every interface, and localhost
  // is 127.0.0.1.
  auto host_of = [](const std::string& h) { return h == "localhost" ? std::string("127.0.0.1") : h; };
  auto wildcard = [](const std::string& h) { return h == "0.0.0.0" || h == "::" || h == "[::]" || h.empty(); };
  std::vector<std::pair<const Endpoint*, std::string>> taken;  // (endpoint, instance)
  for (const auto& i : cfg.instances) {
    for (const Endpoint* ep : {&i.rpc, &i.client}) {
      if (ep->port == 0) continue;
      for (const auto& [other, name] : taken) {
        const bool same_host = host_of(other->host) == host_of(ep->host) || wildcard(other->host) || wildcard(ep->host);
        if (other->port == ep->port && same_host) {
          r.Fail(at, "instances",
                 i.Name() + " (" + ep->ToString() + ") and " + name + " (" + other->ToString() +
                     ") listen on one address");
        }
      }
      taken.emplace_back(ep, i.Name());
    }
  }
}

// A positive duration in whole microseconds.
void ReadMicros(const YamlReader& r, const YAML::Node& n, const std::string& path, const std::string& key,
                Micros* out) {
  double seconds = static_cast<double>(*out) / kSecond;
  r.Duration(n, path, key, &seconds);
  *out = static_cast<Micros>(std::llround(seconds * kSecond));
}

void ReadBus(const YamlReader& r, const YAML::Node& n, BusConfig* bus) {
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, "bus", {"mode", "bootstrap", "mock_brokers", "session_timeout"});
  std::string mode = "mock";
  r.String(n, "bus", "mode", &mode);
  if (mode != "mock" && mode != "kafka") r.Fail(n["mode"], "bus.mode", "expected mock or kafka, got '" + mode + "'");
  bus->mode = mode == "kafka" ? BusConfig::Mode::kKafka : BusConfig::Mode::kMock;
  r.String(n, "bus", "bootstrap", &bus->bootstrap);
  if (bus->mode == BusConfig::Mode::kKafka && bus->bootstrap.empty()) {
    r.Fail(n, "bus.bootstrap", "kafka mode needs the brokers' host:port list");
  }
  r.Count(n, "bus", "mock_brokers", &bus->mock_brokers);
  if (bus->mode == BusConfig::Mode::kKafka) bus->session_timeout = BusConfig::kKafkaSessionTimeout;
  ReadMicros(r, n, "bus", "session_timeout", &bus->session_timeout);
  // librdkafka's bounds: below 2 s its heartbeats cannot keep a member in
  // the group; above max.poll.interval.ms (300 s) it refuses to start.
  if (bus->session_timeout < 2 * kSecond || bus->session_timeout > 300 * kSecond) {
    r.Fail(n["session_timeout"], "bus.session_timeout", "expected 2s to 300s (real brokers accept 6s and more)");
  }
}

void ReadClients(const YamlReader& r, const YAML::Node& n, ClientTransportConfig* c) {
  if (!n.IsDefined()) return;
  r.OnlyKeys(n, "clients",
             {"frame_timeout", "max_frame_bytes", "max_outbound_bytes", "socket_send_buffer", "max_http_body",
              "http_idle_timeout", "tls"});
  if (const YAML::Node tls = n["tls"]; tls.IsDefined()) {
    r.OnlyKeys(tls, "clients.tls", {"cert", "key"});
    r.String(tls, "clients.tls", "cert", &c->tls.cert);
    r.String(tls, "clients.tls", "key", &c->tls.key);
    if (c->tls.cert.empty() || c->tls.key.empty()) {
      r.Fail(tls, "clients.tls", "needs both cert and key (PEM files; `msgbed tls init DIR` writes development ones)");
    }
  }
  ReadMicros(r, n, "clients", "frame_timeout", &c->frame_timeout);
  ReadMicros(r, n, "clients", "http_idle_timeout", &c->http_idle_timeout);
  // A body is held whole in memory while it is parsed: 1 GiB is far above the Bot API's 50 MiB.
  r.Bytes(n, "clients", "max_http_body", &c->max_http_body, 1u << 30);
  // Frames carry one request; 16 MiB is far above any, and the 4-byte header's limit is 4 GiB.
  r.Bytes(n, "clients", "max_frame_bytes", &c->max_frame_bytes, 16 << 20);
  r.Bytes(n, "clients", "max_outbound_bytes", &c->max_outbound_bytes, 1u << 30);
  r.Bytes(n, "clients", "socket_send_buffer", &c->socket_send_buffer, 1u << 30);
  if (c->max_frame_bytes < 1024) {
    r.Fail(n["max_frame_bytes"], "clients.max_frame_bytes", "expected at least 1KiB (a sign-in must fit)");
  }
  if (c->frame_timeout > 3600 * kSecond) r.Fail(n["frame_timeout"], "clients.frame_timeout", "expected at most 1h");
  if (c->http_idle_timeout > 3600 * kSecond) {
    r.Fail(n["http_idle_timeout"], "clients.http_idle_timeout", "expected at most 1h");
  }
  if (c->max_http_body < 1024) {
    r.Fail(n["max_http_body"], "clients.max_http_body", "expected at least 1KiB (a form with a few fields must fit)");
  }
  if (c->max_outbound_bytes < kDefaultMaxFrameBytes) {
    // A getDifference slice can be that large: a lower limit would cut off every device that catches up.
    r.Fail(n["max_outbound_bytes"], "clients.max_outbound_bytes", "must be at least 1MiB (one full frame)");
  }
}

// storage.s3: {endpoint: http://host:port, bucket, access_key, secret_key_file, region, prefix}
S3Config ReadS3(const YamlReader& r, const YAML::Node& n) {
  const std::string p = "storage.s3";
  r.OnlyKeys(n, p, {"endpoint", "bucket", "region", "access_key", "secret_key_file", "prefix"});
  S3Config c;
  const YAML::Node endpoint = r.Required(n, p, "endpoint", "the store's address, like http://127.0.0.1:4568");
  ProviderConfig url;
  const std::string text = r.Scalar(endpoint, p + ".endpoint");
  if (!ParseHttpUrl(text, &url) || url.target != "/") {
    r.Fail(endpoint, p + ".endpoint", "expected http://host[:port] (plain HTTP; put a TLS relay in front for https)");
  }
  c.host = url.host;
  c.port = url.port;
  r.Required(n, p, "bucket", "the bucket to keep blobs in (created if missing)");
  r.Required(n, p, "access_key", "the access key id");
  r.Required(n, p, "secret_key_file", "a file holding the secret key");
  r.String(n, p, "bucket", &c.bucket);
  r.String(n, p, "region", &c.region);
  r.String(n, p, "access_key", &c.access_key);
  r.String(n, p, "secret_key_file", &c.secret_key_file);
  r.String(n, p, "prefix", &c.prefix);
  if (c.bucket.size() < 3 || c.bucket.size() > 63 ||
      c.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    r.Fail(n["bucket"], p + ".bucket", "3 to 63 of a-z, 0-9, '.' and '-' (S3's rule)");
  }
  return c;
}

// storage.postgres: {servers: [conninfo, ...], pool, password_file}
PostgresConfig ReadPostgres(const YamlReader& r, const YAML::Node& n) {
  const std::string p = "storage.postgres";
  PostgresConfig c;
  if (!n.IsDefined()) return c;
  r.OnlyKeys(n, p, {"servers", "pool", "password_file"});
  const YAML::Node servers = r.Required(n, p, "servers", "a list of libpq conninfo strings, one per server");
  if (!servers.IsSequence() || servers.size() == 0) {
    r.Fail(servers, p + ".servers", "expected a non-empty list of libpq conninfo strings");
  }
  for (size_t i = 0; i < servers.size(); ++i) {
    c.servers.push_back(r.Scalar(servers[i], p + ".servers[" + std::to_string(i) + "]"));
  }
  r.Count(n, p, "pool", &c.pool);
  // PostgreSQL's own default allows 100 connections in all.
  if (c.pool > 64) r.Fail(n["pool"], p + ".pool", "at most 64 connections per process and server");
  r.String(n, p, "password_file", &c.password_file);
  return c;
}

void ReadStorage(const YamlReader& r, const YAML::Node& s, LiveConfig* cfg) {
  if (!s.IsDefined()) return;
  r.OnlyKeys(s, "storage", {"data_dir", "sync", "s3", "backend", "postgres"});
  r.String(s, "storage", "data_dir", &cfg->data_dir);
  r.Bool(s, "storage", "sync", &cfg->sync_writes);
  if (s["s3"].IsDefined()) cfg->s3 = ReadS3(r, s["s3"]);
  std::string backend = "rocksdb";
  r.String(s, "storage", "backend", &backend);
  if (backend != "rocksdb" && backend != "postgres") {
    r.Fail(s["backend"], "storage.backend", "expected rocksdb or postgres, got '" + backend + "'");
  }
  cfg->postgres = ReadPostgres(r, s["postgres"]);
  if (backend == "postgres" && cfg->postgres.servers.empty()) {
    r.Fail(s, "storage.postgres.servers", "the postgres backend needs at least one server");
  }
  cfg->backend = backend == "postgres" ? StorageBackend::kPostgres : StorageBackend::kRocksDb;
}

}  // namespace

std::string LiveConfig::SecretFile() const {
  return security.secret_file.empty() ? data_dir + "/cluster.secret" : security.secret_file;
}

bool ParseEndpoint(const std::string& text, Endpoint* out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long p = std::stoul(port);
  if (p > 65535) return false;
  out->host = text.substr(0, colon);
  out->port = static_cast<uint16_t>(p);
  return true;
}

ClusterShape LiveConfig::Shape() const {
  ClusterShape s;
  s.partitions = partitions;
  for (const auto& i : instances) ++s.instances[i.role];
  return s;
}

std::vector<InstanceConfig> LiveConfig::Select(const std::string& selector) const {
  std::vector<InstanceConfig> out;
  for (const auto& i : instances) {
    if (selector.empty() || selector == i.role || selector == i.Name()) out.push_back(i);
  }
  return out;
}

namespace {

// `<channel>: [{log: {file: F}}, {http: {url: U, timeout: 2s}}]`, in
// failover order; channel is sms, push or email.
void ReadProviders(const YamlReader& r, const YAML::Node& n, const std::string& channel,
                   std::vector<ProviderConfig>* out) {
  if (!n.IsDefined()) return;
  if (!n.IsSequence() || n.size() == 0) {
    r.Fail(n, channel, "a list of providers, like [{log: {file: " + channel + ".log}}]");
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string path = channel + "[" + std::to_string(i) + "]";
    r.OnlyKeys(n[i], path, {"log", "http"});
    if (n[i].size() != 1) r.Fail(n[i], path, "one provider: log or http");
    ProviderConfig p;
    if (const YAML::Node log = n[i]["log"]; log.IsDefined()) {
      r.OnlyKeys(log, path + ".log", {"file"});
      r.String(log, path + ".log", "file", &p.file);
    } else {
      const YAML::Node http = n[i]["http"];
      r.OnlyKeys(http, path + ".http", {"url", "timeout"});
      const YAML::Node url =
          r.Required(http, path + ".http", "url", "the service's URL, like http://127.0.0.1:9000/" + channel);
      if (!ParseHttpUrl(r.Scalar(url, path + ".http.url"), &p)) {
        r.Fail(url, path + ".http.url",
               "expected http://host[:port]/path (plain HTTP; use a local TLS relay for https)");
      }
      double timeout = 2;
      r.Duration(http, path + ".http", "timeout", &timeout);
      p.timeout = static_cast<Micros>(timeout * kSecond);
    }
    out->push_back(std::move(p));
  }
}

// The messages role's replication settings against the store nodes
// deployed (docs/storage.md).
void CheckStoreTier(const YamlReader& r, const YAML::Node& root, const std::map<std::string, RoleSettings>& settings,
                    uint32_t store_nodes) {
  const auto messages = settings.find(role::kMessages);
  const auto bad = CheckReplication(messages == settings.end() ? RoleSettings{} : messages->second, store_nodes);
  if (bad) r.Fail(root[role::kMessages][bad->first], std::string(role::kMessages) + "." + bad->first, bad->second);
}

LiveConfig ParseConfigText(const std::string& text, const std::string& file, const RoleRegistry& roles) {
  const YamlReader r(file);
  const YAML::Node root = r.Load(text);
  LiveConfig cfg;
  cfg.file = file;
  std::set<std::string> keys = {"partitions", "bus",  "storage", "clients",  "security",
                                "sms",        "push", "email",   "instances"};
  keys.merge(RoleSettingSections(roles));
  r.OnlyKeys(root, "", keys);
  r.Count(root, "", "partitions", &cfg.partitions);
  ReadBus(r, root["bus"], &cfg.bus);
  ReadClients(r, root["clients"], &cfg.clients);
  ReadRoleSettings(r, root, roles, &cfg.role_settings);
  ReadProviders(r, root[kSmsChannel], kSmsChannel, &cfg.sms);
  ReadProviders(r, root[kPushChannel], kPushChannel, &cfg.push);
  ReadProviders(r, root[kEmailChannel], kEmailChannel, &cfg.email);
  if (const YAML::Node sec = root["security"]; sec.IsDefined()) {
    r.OnlyKeys(sec, "security", {"secret_file", "tls"});
    r.String(sec, "security", "secret_file", &cfg.security.secret_file);
    if (const YAML::Node tls = sec["tls"]; tls.IsDefined()) {
      LinkTlsFiles& f = cfg.security.tls;
      r.OnlyKeys(tls, "security.tls", {"cert", "key", "ca"});
      r.String(tls, "security.tls", "cert", &f.cert);
      r.String(tls, "security.tls", "key", &f.key);
      r.String(tls, "security.tls", "ca", &f.ca);
      if (f.cert.empty() || f.key.empty() || f.ca.empty()) {
        r.Fail(tls, "security.tls",
               "needs cert, key and ca (PEM files; `msgbed tls init DIR` writes development ones)");
      }
    }
  }
  ReadStorage(r, root["storage"], &cfg);
  const YAML::Node inst = r.Required(root, "", "instances", "every role/index with its addresses");
  if (!inst.IsMap()) r.Fail(inst, "instances", "expected a mapping of role/index to addresses");
  for (const auto& kv : inst) {
    InstanceConfig ic = ReadInstance(r, kv.first.as<std::string>(), kv.second, roles);
    for (const auto& other : cfg.instances) {
      if (other.role == ic.role && other.index == ic.index) {
        r.Fail(kv.first, "instances." + kv.first.as<std::string>(), "the same instance as " + other.Name());
      }
    }
    cfg.instances.push_back(std::move(ic));
  }
  CheckDense(r, inst, cfg, roles);
  CheckStoreTier(r, root, cfg.role_settings, cfg.Shape().Count(kStoreRole));
  return cfg;
}

}  // namespace

std::vector<ProviderConfig> LiveConfig::ProvidersOrDefault(const std::string& channel) const {
  const std::vector<ProviderConfig>& configured = channel == kSmsChannel ? sms : channel == kPushChannel ? push : email;
  if (!configured.empty()) return configured;
  ProviderConfig log;
  log.file = (std::filesystem::path(data_dir) / (channel + ".log")).string();
  return {log};
}

LiveConfig ParseConfig(const std::string& text, const std::string& file, const RoleRegistry& roles) {
  return GuardYaml(file, [&] { return ParseConfigText(text, file, roles); });
}

LiveConfig LoadConfig(const std::string& path, const RoleRegistry& roles) {
  return ParseConfig(ReadTextFile(path), path, roles);
}

}  // namespace msgbed::live
