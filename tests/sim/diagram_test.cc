// Deployment diagrams as simulator input: the shipped diagram's graph,
// round trips through msgbed's writer, and the errors for what the reader
// does not accept.
#include <gtest/gtest.h>

#include "deployment_diagram.h"
#include "scenario.h"
#include "support/expect_input_error.h"

namespace msgbed::sim {
namespace {

const std::string kShipped = std::string(MSGBED_SOURCE_DIR) + "/diagrams/src/telegram/deployment-diagram.puml";

TopologyGraph ReadShipped(const std::map<std::string, NodeOverride>& overrides = {}) {
  return BuildTopology(ParseDeploymentDiagram(ReadTextFile(kShipped), kShipped), overrides);
}

double RouteLatency(const TopologyGraph& g, const std::string& a, const std::string& b) {
  return g.Latency(g.Route(*g.Find(a), *g.Find(b)));
}

TEST(DeploymentDiagram, ShippedDiagramBecomesTheTopology) {
  const TopologyGraph g = ReadShipped();
  EXPECT_EQ(g.HostsWith("gateway"), (std::vector<std::string>{"gw-ams-1", "gw-ams-2", "gw-sin-1", "gw-sin-2"}));
  EXPECT_EQ(g.HostsWith("kafka").size(), 3u);
  EXPECT_EQ(g.HostsWith("storage").size(), 2u);
  EXPECT_EQ(g.HostsWith("messages"), g.HostsWith("sync"));
  // 2 datacenters + 1 cloud + 13 hosts; 13 host links + 3 diagram links.
  EXPECT_EQ(g.vertex_count(), 16u);
  EXPECT_EQ(g.edge_count(), 16u);
  EXPECT_EQ(g.vertex(*g.Find("app-ams-1")).cores, 8);
  // Within a datacenter: two host links. Across: plus the 80 ms WAN link,
  // not the two 10 ms links through the client cloud.
  EXPECT_DOUBLE_EQ(RouteLatency(g, "gw-ams-1", "app-ams-2"), 100e-6);
  EXPECT_NEAR(RouteLatency(g, "gw-sin-1", "kafka-ams-3"), 0.080 + 100e-6, 1e-12);
}

TEST(DeploymentDiagram, OverridesChangeCountsAndCapacities) {
  NodeOverride more;
  more.count = 5;
  NodeOverride faster;
  faster.speed = 3e9;
  faster.link = LinkSpec{2.5e9, 20e-6};
  const TopologyGraph g = ReadShipped({{"gw_sin", more}, {"app_ams", faster}});
  EXPECT_EQ(g.HostsWith("gateway").size(), 7u);
  EXPECT_TRUE(g.Find("gw-sin-5").has_value());
  EXPECT_EQ(g.vertex(*g.Find("app-ams-2")).speed, 3e9);
  EXPECT_DOUBLE_EQ(RouteLatency(g, "gw-ams-1", "app-ams-2"), 70e-6);
}

TEST(DeploymentDiagram, WrittenDiagramReadsBackAsTheSameGraph) {
  const TopologyGraph shipped = ReadShipped();
  const std::string written = WriteDeploymentDiagram(shipped, "round-trip", "round trip");
  const TopologyGraph again = BuildTopology(ParseDeploymentDiagram(written, "written.puml"), {});
  EXPECT_EQ(again.Canonical(), shipped.Canonical());
  // And a second trip is a fixed point of the writer.
  EXPECT_EQ(WriteDeploymentDiagram(again, "round-trip", "round trip"), written);
}

TEST(DeploymentDiagram, InlineScenarioTopologyRoundTrips) {
  const Scenario sc = ParseScenario(QuickstartYaml(), "quickstart");
  const std::string written = WriteDeploymentDiagram(sc.graph, "quickstart-deployment", "quickstart");
  const TopologyGraph again = BuildTopology(ParseDeploymentDiagram(written, "written.puml"), {});
  EXPECT_EQ(again.Canonical(), sc.graph.Canonical());
  EXPECT_NE(sc.graph.Canonical().find("vertex host app-1 cores 8"), std::string::npos);
  EXPECT_EQ(written.rfind("@startuml quickstart-deployment\n", 0), 0u) << "named, so rendered images differ";
}

// An inline scenario's topology (hosts, services, brokers as YAML flow
// text), and what its written diagram reads back as.
struct RoundTrip {
  Scenario scenario;
  std::string written;
  TopologyGraph again;
};
RoundTrip WriteAndRead(const std::string& name, const std::string& hosts, const std::string& services,
                       const std::string& brokers) {
  RoundTrip t{ParseScenario("name: " + name + "\ntopology:\n  hosts: " + hosts + "\n  services: " + services +
                                "\n  kafka: {brokers: " + brokers + "}\n",
                            name + ".yaml"),
              "",
              {}};
  t.written = WriteDeploymentDiagram(t.scenario.graph, name, name);
  t.again = BuildTopology(ParseDeploymentDiagram(t.written, "written.puml"), {});
  return t;
}

// Found by the simulator issue: four gateway instances on one host read
// back as one (p99 5,427 ms instead of 66.5 ms), and two hosts whose names
// differ only in punctuation were written with one alias.
TEST(DeploymentDiagram, InstancesOnOneHostAndLookAlikeNamesRoundTrip) {
  const auto [sc, written, again] =
      WriteAndRead("crowded", "[{name: gw-1}, {name: gw_1}, {name: app}, {name: k}]",
                   "{gateway: [gw-1, gw-1, gw-1, gw-1], messages: [app, app], sync: [gw_1], auth: [gw_1]}", "[k, k]");
  EXPECT_EQ(again.Canonical(), sc.graph.Canonical());
  EXPECT_EQ(again.HostsWith("gateway"), (std::vector<std::string>{"gw-1", "gw-1", "gw-1", "gw-1"}));
  EXPECT_EQ(again.HostsWith("messages"), (std::vector<std::string>{"app", "app"}));
  EXPECT_EQ(again.HostsWith("kafka"), (std::vector<std::string>{"k", "k"})) << "two brokers on one host";
}

// Found by the simulator issue: instances whose hosts interleave
// (messages on app-1, app-2, app-1) read back in host order, so
// messages/1 moved to app-1 and the same scenario placed its boxes
// differently once written as a diagram.
TEST(DeploymentDiagram, InstanceNumbersSurviveInterleavedHosts) {
  const auto [sc, written, again] =
      WriteAndRead("interleaved", "[{name: app-1}, {name: app-2}, {name: k}]",
                   "{gateway: [app-2, app-1], messages: [app-1, app-2, app-1], sync: [app-1], auth: [app-2]}", "[k]");
  EXPECT_EQ(again.HostsWith("messages"), (std::vector<std::string>{"app-1", "app-2", "app-1"}));
  EXPECT_EQ(again.HostsWith("gateway"), (std::vector<std::string>{"app-2", "app-1"}));
  EXPECT_EQ(again.Canonical(), sc.graph.Canonical());
  EXPECT_EQ(WriteDeploymentDiagram(again, "interleaved", "interleaved"), written);
}

// Found by a hostile tester: an inline host named like the inline fabric
// ("datacenter") wrote a diagram that did not read back.
TEST(DeploymentDiagram, AHostNamedDatacenterRoundTrips) {
  const auto [sc, written, again] =
      WriteAndRead("dc", "[{name: datacenter}, {name: datacenter-1}, {name: k}]",
                   "{gateway: [datacenter], messages: [datacenter-1], sync: [datacenter], auth: [datacenter]}", "[k]");
  EXPECT_EQ(again.Canonical(), sc.graph.Canonical());
}

TEST(DeploymentDiagram, InstanceNumbersAreAllOrNoneAndEachOnce) {
  const auto build = [](const std::string& t) { BuildTopology(ParseDeploymentDiagram(t, "n.puml"), {}); };
  const auto diagram = [](const std::string& a, const std::string& b, const std::string& app_attrs = "") {
    return "node \"dc\" as dc <<datacenter, link 10Gbps 50us>> {\n"
           "  node \"app\" as app <<cores 4" +
           app_attrs +
           ">> {\n"
           "    component \"gateway\" as g\n    component \"sync\" as s\n    component \"auth\" as au\n"
           "    queue \"kafka\" as k\n"
           "    component \"messages\" as m1" +
           a +
           "\n  }\n"
           "  node \"app-2\" as app2 <<cores 4>> {\n    component \"messages\" as m2" +
           b + "\n  }\n}\n";
  };
  const TopologyGraph swapped =
      BuildTopology(ParseDeploymentDiagram(diagram(" <<instance 1>>", " <<instance 0>>"), "n.puml"), {});
  EXPECT_EQ(swapped.HostsWith("messages"), (std::vector<std::string>{"app-2", "app"}));
  testing::ExpectInputError(build, diagram(" <<instance 1>>", ""),
                            "n.puml:10: the 2 'messages' components must be numbered 0 to 1");
  testing::ExpectInputError(build, diagram(" <<instance 0>>", " <<instance 0>>"),
                            "n.puml:10: instance 0 of 'messages' is numbered twice");
  testing::ExpectInputError(build, diagram(" <<instance 0>>", " <<instance 2>>"), "numbered 0 to 1");
  testing::ExpectInputError(build, diagram(" <<instance 0>>", " <<instance 1>>", ", count 2"),
                            "n.puml:7: an instance number needs a server without count");
  for (const std::string_view bad : {"one", "-1", "2.0", "", "1234567"}) {
    testing::ExpectInputError(build, diagram(" <<instance " + std::string(bad) + ">>", ""),
                              "n.puml:7: instance number '" + std::string(bad) + "': expected a whole number");
  }
}

// Replaces `from` in the shipped diagram and expects the error to contain `expected`.
void ExpectError(const std::string& from, const std::string& to, const std::string& expected) {
  testing::ExpectInputError([](const std::string& t) { BuildTopology(ParseDeploymentDiagram(t, "d.puml"), {}); },
                            testing::Replaced(ReadTextFile(kShipped), from, to), expected);
}

TEST(DeploymentDiagram, BadDiagramsNameFileAndLine) {
  ExpectError("ams -- sin : 10Gbps 80ms", "ams -- sin : 80ms", "d.puml:40: link ams -- sin: label must be");
  ExpectError("ams -- sin : 10Gbps 80ms", "ams ..> sin", "d.puml:40: unsupported construct 'ams ..> sin'");
  ExpectError("ams -- sin : 10Gbps 80ms", "gw_ams -- sin : 10Gbps 80ms", "d.puml:40: ambiguous link end 'gw_ams'");
  ExpectError("ams -- sin : 10Gbps 80ms", "ams -- nowhere : 10Gbps 80ms", "'nowhere' is not a node");
  ExpectError("component \"sync\" as app_sin_sync", "component \"cache\" as app_sin_cache",
              "d.puml:33: unknown service 'cache'");
  ExpectError("queue \"kafka\" as kafka_ams_broker", "component \"kafka\" as kafka_ams_broker",
              "d.puml:20: service 'kafka' is drawn as a queue");
  ExpectError("<<count 2, cores 8, speed 2Gf>> {\n    component \"messages\" as app_sin",
              "<<count two>> {\n    component \"messages\" as app_sin", "d.puml:31: attribute 'count two'");
  ExpectError("<<datacenter, link 10Gbps 50us>> {\n  node \"gw-sin\"", "<<datacenter>> {\n  node \"gw-sin\"",
              "d.puml:28: server 'gw_sin' has no link capacity");
  ExpectError("ams -- sin : 10Gbps 80ms\n", "",
              "d.puml:28: host 'gw-sin-1' is unreachable from gateway host 'gw-ams-1'");
  ExpectError("    queue \"kafka\" as kafka_ams_broker\n", "", "no server runs 'kafka'");
  ExpectError("@enduml", "node \"x\" as x <<datacenter>> {\n@enduml", "is never closed");
  ExpectError("cloud \"clients\" as clients <<clients>>", "node \"lone\" as lone <<cores 2>>",
              "server 'lone' must be inside a node <<datacenter>>");
  ExpectError("as gw_sin_gateway", "as gw_ams_gateway", "duplicate alias 'gw_ams_gateway'");
}

TEST(DeploymentDiagram, ScenarioOverrideOfUnknownNodeNamesTheKey) {
  const auto parse = [](const std::string& t) { ParseScenario(t, "s.yaml"); };
  const std::string head = "name: d\ntopology:\n  diagram: " + kShipped + "\n";
  testing::ExpectInputError(parse, head + "  overrides:\n    gw_nyc: {count: 2}\n",
                            "s.yaml:5: key 'topology.overrides.gw_nyc': no node with alias");
  testing::ExpectInputError(parse, head + "  hosts: []\n", "key 'topology.hosts': not with topology.diagram");
  testing::ExpectInputError(parse, head + "  overrides:\n    gw_sin: {count: 0}\n",
                            "key 'topology.overrides.gw_sin.count': expected a positive integer");
}

}  // namespace
}  // namespace msgbed::sim
