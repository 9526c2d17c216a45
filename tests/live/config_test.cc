// Deployment config parsing: the shape it implies and its error messages.
#include "live/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "live/process.h"
#include "support/expect_input_error.h"

namespace msgbed::live {
namespace {

const std::string kGood =
    "partitions: 6\n"
    "bus: {mode: kafka, bootstrap: 'k1:9092,k2:9092'}\n"
    "storage: {data_dir: /tmp/x, sync: false}\n"
    "gateway: {max_connections: 500, idle_timeout: 2min}\n"
    "clients: {max_frame_bytes: 32KiB, max_outbound_bytes: 8MiB}\n"
    "security: {secret_file: /etc/msgbed/secret}\n"
    "instances:\n"
    "  gateway/0: {client: 0.0.0.0:7400, rpc: 10.0.0.1:7500}\n"
    "  gateway/1: {client: 0.0.0.0:7401, rpc: 10.0.0.2:7500}\n"
    "  messages/0: {rpc: 10.0.0.3:7510}\n"
    "  sync/0: {rpc: 10.0.0.3:7520}\n"
    "  auth/0: {rpc: 10.0.0.3:7530}\n";

TEST(LiveConfig, OutboundProvidersAreLogByDefaultOrAnOrderedList) {
  const LiveConfig plain = ParseConfig(kGood, "d.yaml");
  ASSERT_EQ(plain.ProvidersOrDefault(kSmsChannel).size(), 1u);
  EXPECT_EQ(plain.ProvidersOrDefault(kSmsChannel)[0].file, "/tmp/x/sms.log");
  EXPECT_EQ(plain.ProvidersOrDefault(kPushChannel)[0].file, "/tmp/x/push.log");
  EXPECT_EQ(plain.ProvidersOrDefault(kEmailChannel)[0].file, "/tmp/x/email.log");
  const LiveConfig mail =
      ParseConfig(std::string(kGood) + "email: [{http: {url: 'http://mail.example/send'}}]\n", "d.yaml");
  ASSERT_EQ(mail.ProvidersOrDefault(kEmailChannel).size(), 1u);
  EXPECT_EQ(mail.email[0].host, "mail.example");
  const LiveConfig c = ParseConfig(std::string(kGood) +
                                       "sms:\n  - http: {url: 'http://sms.example:8080/send?k=1', timeout: 500ms}\n"
                                       "  - log: {file: /var/log/sms.log}\n",
                                   "d.yaml");
  ASSERT_EQ(c.sms.size(), 2u);
  EXPECT_EQ(c.sms[0].kind, ProviderConfig::Kind::kHttp);
  EXPECT_EQ(c.sms[0].host, "sms.example");
  EXPECT_EQ(c.sms[0].port, "8080");
  EXPECT_EQ(c.sms[0].target, "/send?k=1");
  ProviderConfig fragment;
  ASSERT_TRUE(ParseHttpUrl("http://h/p?q=1#frag", &fragment));
  EXPECT_EQ(fragment.target, "/p?q=1") << "a fragment is not sent";
  EXPECT_EQ(c.sms[0].timeout, 500 * kMillisecond);
  EXPECT_EQ(c.sms[1].file, "/var/log/sms.log");
  for (const auto& [bad, expected] : std::vector<std::pair<std::string, std::string>>{
           {"sms: []\n", "key 'sms': a list of providers"},
           {"sms: [{pigeon: {}}]\n", "key 'sms[0].pigeon': unknown key"},
           {"sms: [{http: {timeout: 1s}}]\n", "key 'sms[0].http.url': missing"},
           {"sms: [{http: {url: 'https://x/y'}}]\n", "key 'sms[0].http.url': expected http://host[:port]/path"},
           {"sms: [{http: {url: 'http://x:99999/y'}}]\n", "key 'sms[0].http.url'"},
           {"sms: [{http: {url: 'http://user:pw@x/y'}}]\n", "key 'sms[0].http.url'"},
           {"sms: [{log: {file: a}, http: {url: 'http://x/'}}]\n", "key 'sms[0]': one provider"},
           {"push: []\n", "key 'push': a list of providers"},
           {"push: [{http: {url: 'ftp://x/'}}]\n", "key 'push[0].http.url': expected http://"},
           {"push: [{apns: {}}]\n", "key 'push[0].apns': unknown key"},
           {"email: [{smtp: {}}]\n", "key 'email[0].smtp': unknown key"}}) {
    try {
      ParseConfig(std::string(kGood) + bad, "d.yaml");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

// kGood without its clients: and security: lines, for tests that give their own.
std::string WithoutClientsAndSecurity() {
  std::string out, line;
  std::istringstream in(kGood);
  while (std::getline(in, line)) {
    if (line.rfind("clients:", 0) != 0 && line.rfind("security:", 0) != 0) out += line + "\n";
  }
  return out;
}

TEST(LiveConfig, TlsSectionsNeedAllTheirFiles) {
  const LiveConfig ok = ParseConfig(WithoutClientsAndSecurity() +
                                        "clients: {tls: {cert: s.pem, key: s.key}}\n"
                                        "security: {tls: {cert: n.pem, key: n.key, ca: ca.pem}}\n",
                                    "d.yaml");
  EXPECT_EQ(ok.clients.tls.cert, "s.pem");
  EXPECT_EQ(ok.security.tls.ca, "ca.pem");
  for (const auto& [bad, expected] : std::vector<std::pair<std::string, std::string>>{
           {"clients: {tls: {cert: a.pem}}\n", "key 'clients.tls': needs both cert and key"},
           {"clients: {tls: {cert: a.pem, key: a.key, ca: c.pem}}\n", "key 'clients.tls.ca': unknown key"},
           {"security: {tls: {cert: a.pem, key: a.key}}\n", "key 'security.tls': needs cert, key and ca"},
           {"security: {tls: {cert: a, key: b, ca: c, verify: no}}\n", "key 'security.tls.verify': unknown key"}}) {
    try {
      ParseConfig(WithoutClientsAndSecurity() + bad, "d.yaml");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

TEST(LiveConfig, ReadsShapeBusStorageAndSelection) {
  const LiveConfig c = ParseConfig(kGood, "d.yaml");
  const ClusterShape s = c.Shape();
  EXPECT_EQ(s.Count("gateway"), 2u);
  EXPECT_EQ(s.Count("messages"), 1u);
  EXPECT_EQ(s.Count("sync"), 1u);
  EXPECT_EQ(s.partitions, 6u);
  EXPECT_EQ(c.bus.mode, BusConfig::Mode::kKafka);
  EXPECT_EQ(c.bus.bootstrap, "k1:9092,k2:9092");
  EXPECT_FALSE(c.sync_writes);
  EXPECT_EQ(c.Select("gateway").size(), 2u);
  ASSERT_EQ(c.Select("gateway/1").size(), 1u);
  EXPECT_EQ(c.Select("gateway/1")[0].client.port, 7401);
  EXPECT_EQ(c.Select("").size(), 5u);
  EXPECT_TRUE(c.Select("nope").empty());
}

TEST(LiveConfig, ReadsGatewayLimitsAndTheSecretFile) {
  const LiveConfig c = ParseConfig(kGood, "d.yaml");
  const RoleSettings& gw = c.role_settings.at("gateway");
  EXPECT_EQ(gw.at("max_connections"), 500);
  EXPECT_EQ(gw.at("idle_timeout"), 120);
  EXPECT_FALSE(gw.contains("sign_in_timeout")) << "unset keys are absent: the role's default applies";
  EXPECT_EQ(c.clients.max_frame_bytes, 32u * 1024);
  EXPECT_EQ(c.clients.max_outbound_bytes, 8u << 20);
  EXPECT_EQ(c.clients.max_http_body, 50u << 20) << "the Bot API's upload limit";
  EXPECT_EQ(c.clients.http_idle_timeout, 300 * kSecond);
  const LiveConfig http = ParseConfig(
      testing::Replaced(kGood, "max_outbound_bytes: 8MiB}", "max_http_body: 20MiB, http_idle_timeout: 90s}"), "h.yaml");
  EXPECT_EQ(http.clients.max_http_body, 20u << 20);
  EXPECT_EQ(http.clients.http_idle_timeout, 90 * kSecond);
  EXPECT_EQ(c.SecretFile(), "/etc/msgbed/secret");
  EXPECT_EQ(c.bus.session_timeout, 10 * kSecond) << "real brokers";
  const LiveConfig mock =
      ParseConfig(testing::Replaced(kGood, "mode: kafka, bootstrap: 'k1:9092,k2:9092'", "mode: mock"), "m.yaml");
  EXPECT_EQ(mock.bus.session_timeout, 3 * kSecond) << "the mock waits about this long at every rebalance";
  const LiveConfig d =
      ParseConfig(testing::Replaced(kGood, "security: {secret_file: /etc/msgbed/secret}\n", ""), "d.yaml");
  EXPECT_EQ(d.SecretFile(), "/tmp/x/cluster.secret");
}

// kGood with from replaced by to (and more instances), refused with expected.
void ExpectError(const std::string& from, const std::string& to, const std::string& expected,
                 const std::string& more_instances = "") {
  testing::ExpectInputError([](const std::string& t) { ParseConfig(t, "d.yaml"); },
                            testing::Replaced(kGood, from, to) + more_instances, expected);
}

TEST(LiveConfig, ErrorsNameFileLineAndKey) {
  ExpectError("mode: kafka", "mode: carrier-pigeon", "d.yaml:2: key 'bus.mode': expected mock or kafka");
  ExpectError("bus: {mode: kafka, bootstrap: 'k1:9092,k2:9092'}", "bus: {mode: kafka}", "key 'bus.bootstrap'");
  // Found by a hostile tester: below 2 s nothing could sign in; above 300 s
  // librdkafka refused to start, naming no key.
  for (const char* bad : {"1s", "1500ms", "301s", "1d"}) {
    ExpectError("bootstrap: 'k1:9092,k2:9092'}",
                std::string("bootstrap: 'k1:9092,k2:9092', session_timeout: ") + bad + "}",
                "d.yaml:2: key 'bus.session_timeout': expected 2s to 300s");
  }
  ExpectError("sync: false", "sync: maybe", "d.yaml:3: key 'storage.sync': expected true or false");
  // The store tier's settings against its nodes (found by a hostile tester:
  // each was accepted, and did something else than it said).
  ExpectError("security:", "messages: {store_replicas: 2}\nsecurity:",
              "key 'messages.store_replicas': no store nodes are deployed");
  const std::string two_nodes = "  store/0: {rpc: 10.0.0.4:7600}\n  store/1: {rpc: 10.0.0.5:7600}\n";
  ExpectError("security:", "messages: {store_replicas: 3}\nsecurity:",
              "key 'messages.store_replicas': at most the store nodes deployed (2)", two_nodes);
  ExpectError("security:", "messages: {store_replicas: 2, store_quorum: 3}\nsecurity:",
              "key 'messages.store_quorum': at most store_replicas (2)", two_nodes);
  ExpectError("rpc: 10.0.0.3:7510", "rpc: 10.0.0.3", "d.yaml:10: key 'instances.messages/0.rpc': expected host:port");
  ExpectError("gateway/1:", "gateway/2:", "gateway/1 is missing: gateway indexes must be 0..1");
  // Found by a hostile tester: two instances on one address were accepted.
  ExpectError("sync/0: {rpc: 10.0.0.3:7520}", "sync/0: {rpc: 10.0.0.3:7510}",
              "sync/0 (10.0.0.3:7510) and messages/0 (10.0.0.3:7510) listen on one address");
  ExpectError("sync/0: {rpc: 10.0.0.3:7520}", "sync/0: {rpc: 0.0.0.0:7510}", "listen on one address");
  ExpectError("  sync/0: {rpc: 10.0.0.3:7520}\n", "", "no sync instance");
  ExpectError("messages/0: {rpc", "mesages/0: {rpc", "key 'instances.mesages/0'");
  ExpectError("messages/0: {rpc: 10.0.0.3:7510}", "messages/0: {rpc: 10.0.0.3:7510, client: 1.2.3.4:5}",
              "key 'instances.messages/0.client': unknown key");
  ExpectError("partitions: 6", "partitions: 0", "d.yaml:1: key 'partitions': expected a positive integer");
  ExpectError("max_connections: 500", "max_connections: -5", "d.yaml:4: key 'gateway.max_connections'");
  ExpectError("idle_timeout: 2min", "idle_timeout: soon", "key 'gateway.idle_timeout': expected a duration");
  ExpectError("max_frame_bytes: 32KiB", "max_frame_bytes: 1.5B", "key 'clients.max_frame_bytes': expected a size");
  ExpectError("max_outbound_bytes: 8MiB", "max_outbound_bytes: 64KiB",
              "key 'clients.max_outbound_bytes': must be at least 1MiB");
  ExpectError("gateway: {max_connections", "sync: {max_connections", "key 'sync': unknown key");
  // What a hostile tester got through.
  ExpectError("gateway/1:", "gateway/99999999999999999999:", "key 'instances.gateway/99999999999999999999'");
  ExpectError("gateway/1:", "gateway/00:", "key 'instances.gateway/00': the same instance as gateway/0");
  ExpectError("idle_timeout: 2min", "idle_timeout: 2min, request_timeout: 100000000h",
              "key 'gateway.request_timeout': expected at most 1d");
  ExpectError("idle_timeout: 2min", "idle_timeout: 2min, sign_in_timeout: 0.1us",
              "key 'gateway.sign_in_timeout': expected at least 1ms");
  ExpectError("max_frame_bytes: 32KiB", "max_frame_bytes: 1", "key 'clients.max_frame_bytes': expected at least 1KiB");
  ExpectError("max_connections: 500", "max_conections: 500", "key 'gateway.max_conections': unknown key");
  ExpectError("max_frame_bytes: 32KiB", "max_http_body: 100",
              "d.yaml:5: key 'clients.max_http_body': expected at least 1KiB");
  ExpectError("max_frame_bytes: 32KiB", "max_http_body: 2GiB", "key 'clients.max_http_body': expected a size");
  ExpectError("max_frame_bytes: 32KiB", "http_idle_timeout: 2h",
              "d.yaml:5: key 'clients.http_idle_timeout': expected at most 1h");
  ExpectError("max_frame_bytes: 32KiB", "http_idle_timeout: never",
              "key 'clients.http_idle_timeout': expected a positive duration");
  ExpectError("secret_file:", "secret:", "key 'security.secret': unknown key");
  // A setting with a bound of its own: a file may be 2 GiB, more than the 1 GiB of sizes in general.
  ExpectError("gateway: {max_connections", "media: {max_file_bytes: 3GiB}\ngateway: {max_connections",
              "key 'media.max_file_bytes': expected a size like 64KiB or 4MiB, at most 2147483648 bytes");
  EXPECT_NO_THROW(ParseConfig(kGood + "media: {max_file_bytes: 2GiB}\n", "d.yaml"));
  // storage.s3: media blobs in an S3-compatible store.
  const std::string s3 =
      "sync: false, s3: {endpoint: 'http://127.0.0.1:4568', bucket: media, access_key: K, "
      "secret_key_file: /etc/msgbed/s3.key}}";
  const LiveConfig with_s3 = ParseConfig(testing::Replaced(kGood, "sync: false}", s3), "d.yaml");
  ASSERT_TRUE(with_s3.s3.has_value());
  EXPECT_EQ(with_s3.s3->host, "127.0.0.1");
  EXPECT_EQ(with_s3.s3->port, "4568");
  EXPECT_EQ(with_s3.s3->prefix, "msgbed/");
  ExpectError("sync: false}", testing::Replaced(s3, "http://127.0.0.1:4568", "https://s3.example"),
              "key 'storage.s3.endpoint': expected http://host[:port]");
  ExpectError("sync: false}", testing::Replaced(s3, "bucket: media", "bucket: Media_Files"),
              "key 'storage.s3.bucket': 3 to 63");
  ExpectError("sync: false}", testing::Replaced(s3, ", access_key: K", ""), "key 'storage.s3.access_key': missing");
  ExpectError("sync: false}", testing::Replaced(s3, "bucket: media", "bucket: media, acl: public"),
              "key 'storage.s3.acl': unknown key");
}

TEST(LiveConfig, StorageBackendIsRocksDbOrPostgresWithItsServers) {
  EXPECT_EQ(ParseConfig(kGood, "d.yaml").backend, StorageBackend::kRocksDb);
  const std::string pg =
      "sync: false, backend: postgres, postgres: {servers: ['host=db1 dbname=msgbed', 'host=db2 dbname=msgbed'], "
      "pool: 8, password_file: /etc/msgbed/pg.pass}}";
  const LiveConfig c = ParseConfig(testing::Replaced(kGood, "sync: false}", pg), "d.yaml");
  EXPECT_EQ(c.backend, StorageBackend::kPostgres);
  EXPECT_EQ(c.postgres.servers, (std::vector<std::string>{"host=db1 dbname=msgbed", "host=db2 dbname=msgbed"}));
  EXPECT_EQ(c.postgres.pool, 8u);
  EXPECT_EQ(c.postgres.password_file, "/etc/msgbed/pg.pass");
  EXPECT_EQ(ParseConfig(testing::Replaced(kGood, "sync: false}", testing::Replaced(pg, ", pool: 8", "")), "d.yaml")
                .postgres.pool,
            4u);
  ExpectError("sync: false}", "backend: cassandra}", "d.yaml:3: key 'storage.backend': expected rocksdb or postgres");
  ExpectError("sync: false}", "backend: postgres}",
              "d.yaml:3: key 'storage.postgres.servers': the postgres backend needs at least one server");
  ExpectError("sync: false}", testing::Replaced(pg, "['host=db1 dbname=msgbed', 'host=db2 dbname=msgbed']", "[]"),
              "key 'storage.postgres.servers': expected a non-empty list");
  ExpectError("sync: false}", testing::Replaced(pg, "pool: 8", "pool: 0"), "key 'storage.postgres.pool'");
  ExpectError("sync: false}", testing::Replaced(pg, "pool: 8", "pool: 100000"),
              "key 'storage.postgres.pool': at most 64 connections per process and server");
  ExpectError("sync: false}", testing::Replaced(pg, "pool: 8", "pol: 8"), "key 'storage.postgres.pol': unknown key");
  ExpectError("sync: false}", testing::Replaced(pg, "servers: [", "servers: [[a], "),
              "key 'storage.postgres.servers[0]': expected a single value");
}

}  // namespace
}  // namespace msgbed::live

namespace msgbed::live {
namespace {

std::string AllOnLoopback(const std::string& dir, const std::string& gateway_client) {
  return "bus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " + dir + ", sync: false}\ninstances:\n" +
         "  gateway/0: {client: " + gateway_client + ", rpc: 127.0.0.1:0}\n" +
         "  messages/0: {rpc: 127.0.0.1:0}\n  sync/0: {rpc: 127.0.0.1:0}\n  auth/0: {rpc: 127.0.0.1:0}\n";
}

TEST(LiveProcess, PortZeroIsRefusedWhenProcessesMustFindEachOther) {
  const std::string dir = ::testing::TempDir() + "/msgbed-port0";
  std::unique_ptr<Process> p;
  const Status s = Process::Start(ParseConfig(AllOnLoopback(dir, "127.0.0.1:0"), "p.yaml"), "gateway", &p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("instances.gateway/0.rpc: port 0 works only when one process serves every instance"),
            std::string::npos)
      << s.message();
}

// Found by a hostile tester: with PostgreSQL nothing made data_dir, and the
// start failed on the email log's file instead of saying anything useful.
TEST(LiveProcess, WithPostgresTheDataDirIsMadeAsWithRocksDb) {
  const std::string top = ::testing::TempDir() + "/msgbed-pg-datadir", dir = top + "/not/yet";
  std::filesystem::remove_all(top);
  const std::string yaml = testing::Replaced(
      AllOnLoopback(dir, "127.0.0.1:0"), "sync: false}",
      "sync: false, backend: postgres, postgres: {servers: ['host=127.0.0.1 port=1 dbname=x connect_timeout=2']}}");
  std::unique_ptr<Process> p;
  const Status s = Process::Start(ParseConfig(yaml, "p.yaml"), "", &p);
  ASSERT_FALSE(s.ok()) << "no server listens on port 1";
  EXPECT_NE(s.message().find("postgres: cannot connect"), std::string::npos) << s.message();
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  std::filesystem::remove_all(top);
}

TEST(LiveProcess, AnSmsLogFileThatCannotBeWrittenStopsTheStart) {
  const std::string dir = ::testing::TempDir() + "/msgbed-smslog";
  std::unique_ptr<Process> p;
  const Status s = Process::Start(
      ParseConfig(AllOnLoopback(dir, "127.0.0.1:0") + "sms: [{log: {file: " + dir + "/no/such/dir/sms.log}}]\n",
                  "p.yaml"),
      "", &p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot append to the log provider's file"), std::string::npos) << s.message();
  std::filesystem::remove_all(dir);
}

TEST(LiveProcess, ListenAddressesMayBeHostNames) {
  const std::string dir = ::testing::TempDir() + "/msgbed-localhost";
  std::unique_ptr<Process> p;
  const Status s = Process::Start(ParseConfig(AllOnLoopback(dir, "localhost:0"), "p.yaml"), "", &p);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_NE(p->client_port(0), 0);
  p.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace msgbed::live
