// Scenario: a simulated deployment and its workload, read from YAML.
// docs/scenarios.md describes every key; scenarios/quickstart.yaml is the
// commented example. Loading validates everything up front: a bad file gets
// a ScenarioError naming the file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/yaml_reader.h"
#include "topology.h"

namespace msgbed::sim {

using ScenarioError = InputError;

struct HostSpec {
  std::string name;
  int cores = 4;
  double speed = 2e9;  // flops/s per core
  LinkSpec link;       // inline topologies: the host's link to the datacenter
};

struct KafkaSpec {
  std::vector<std::string> brokers;  // host names, one broker each
  uint32_t partitions = 8;
  double linger = 0.005;  // producer batching delay, seconds (librdkafka's linger.ms)
};

struct WorkloadSpec {
  uint64_t users = 1000;
  uint32_t devices_per_user = 2;
  double online_share = 0.9;         // devices online from the start; the rest join during the run
  double messages_per_second = 200;  // offered load, all users together
  uint32_t text_bytes = 100;
  double connect_ramp = 1.0;  // seconds over which the initially online devices connect
};

// CPU seconds per handler run on a reference core of 1 Gflop/s; see
// docs/benchmarks.md for where the defaults come from.
struct CostTable {
  double gateway_client_frame = 20e-6;
  double gateway_reply = 10e-6;
  double messages_send = 60e-6;
  double messages_append = 40e-6;
  double messages_get_difference = 50e-6;
  double sync_rpc = 10e-6;
  double sync_record = 15e-6;
  double broker_append = 10e-6;
  double storage_write = 20e-6;  // per atomic batch, charged as I/O wait
};

struct Scenario {
  std::string file;
  std::string name;
  uint64_t seed = 1;
  double duration = 10;  // seconds of offered load
  double drain = 5;      // seconds after it for in-flight work to finish
  std::string diagram;   // the deployment diagram the topology came from, if any
  std::vector<HostSpec> hosts;
  std::map<std::string, std::vector<std::string>> services;  // role -> hosts, one instance each
  TopologyGraph graph;                                       // hosts, datacenters, client clouds and every link
  KafkaSpec kafka;
  LinkSpec client_link{1.25e8, 0.030};  // each population's access link (1 Gbps, 30 ms)
  WorkloadSpec workload;
  CostTable costs;

  uint32_t Count(const std::string& role) const { return services.count(role) ? services.at(role).size() : 0; }
};

// Throws ScenarioError ("file:line: key 'a.b': what is wrong").
Scenario LoadScenario(const std::string& path);
Scenario ParseScenario(const std::string& yaml_text, const std::string& file_name);

// The built-in quickstart, for `msgbed run` without a file.
const char* QuickstartYaml();

}  // namespace msgbed::sim
