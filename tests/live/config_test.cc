// Deployment config parsing: the shape it implies and its error messages.
#include "live/config.h"

#include <gtest/gtest.h>

#include "support/expect_input_error.h"

namespace msgbed::live {
namespace {

const std::string kGood =
    "partitions: 6\n"
    "bus: {mode: kafka, bootstrap: 'k1:9092,k2:9092'}\n"
    "storage: {data_dir: /tmp/x, sync: false}\n"
    "instances:\n"
    "  gateway/0: {client: 0.0.0.0:7400, rpc: 10.0.0.1:7500}\n"
    "  gateway/1: {client: 0.0.0.0:7401, rpc: 10.0.0.2:7500}\n"
    "  messages/0: {rpc: 10.0.0.3:7510}\n"
    "  sync/0: {rpc: 10.0.0.3:7520}\n";

TEST(LiveConfig, ReadsShapeBusStorageAndSelection) {
  const LiveConfig c = ParseConfig(kGood, "d.yaml");
  const ClusterShape s = c.Shape();
  EXPECT_EQ(s.gateways, 2u);
  EXPECT_EQ(s.messages, 1u);
  EXPECT_EQ(s.sync, 1u);
  EXPECT_EQ(s.partitions, 6u);
  EXPECT_EQ(c.bus.mode, BusConfig::Mode::kKafka);
  EXPECT_EQ(c.bus.bootstrap, "k1:9092,k2:9092");
  EXPECT_FALSE(c.sync_writes);
  EXPECT_EQ(c.Select("gateway").size(), 2u);
  ASSERT_EQ(c.Select("gateway/1").size(), 1u);
  EXPECT_EQ(c.Select("gateway/1")[0].client.port, 7401);
  EXPECT_EQ(c.Select("").size(), 4u);
  EXPECT_TRUE(c.Select("nope").empty());
}

void ExpectError(const std::string& from, const std::string& to, const std::string& expected) {
  testing::ExpectInputError([](const std::string& t) { ParseConfig(t, "d.yaml"); }, testing::Replaced(kGood, from, to),
                            expected);
}

TEST(LiveConfig, ErrorsNameFileLineAndKey) {
  ExpectError("mode: kafka", "mode: carrier-pigeon", "d.yaml:2: key 'bus.mode': expected mock or kafka");
  ExpectError("bus: {mode: kafka, bootstrap: 'k1:9092,k2:9092'}", "bus: {mode: kafka}", "key 'bus.bootstrap'");
  ExpectError("sync: false", "sync: maybe", "d.yaml:3: key 'storage.sync': expected true or false");
  ExpectError("rpc: 10.0.0.3:7510", "rpc: 10.0.0.3", "d.yaml:7: key 'instances.messages/0.rpc': expected host:port");
  ExpectError("gateway/1:", "gateway/2:", "gateway indexes must be 0..1");
  ExpectError("  sync/0: {rpc: 10.0.0.3:7520}\n", "", "no sync instance");
  ExpectError("messages/0: {rpc", "mesages/0: {rpc", "key 'instances.mesages/0'");
  ExpectError("messages/0: {rpc: 10.0.0.3:7510}", "messages/0: {rpc: 10.0.0.3:7510, client: 1.2.3.4:5}",
              "key 'instances.messages/0.client': unknown key");
  ExpectError("partitions: 6", "partitions: 0", "d.yaml:1: key 'partitions': expected a positive integer");
}

}  // namespace
}  // namespace msgbed::live
