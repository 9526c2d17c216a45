// Scenario: a simulated deployment and its workload, read from YAML.
// docs/scenarios.md describes every key; scenarios/quickstart.yaml is the
// commented example. Loading validates everything up front: a bad file gets
// a ScenarioError naming the file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/fault_spec.h"
#include "config/yaml_reader.h"
#include "host_disk.h"
#include "outbound_model.h"
#include "roles/registry.h"
#include "service_time.h"
#include "topology.h"
#include "workload_spec.h"

namespace msgbed::sim {

using ScenarioError = InputError;

struct HostSpec {
  std::string name;
  int cores = 4;
  double speed = 2e9;  // flops/s per core
  LinkSpec link;       // inline topologies: the host's link to the datacenter
  DiskSpec disk;       // not modelled unless given (topology.disk or the host's)
};

struct KafkaSpec {
  std::vector<std::string> brokers;  // host names, one broker each
  uint32_t partitions = 8;
  double linger = 0.005;         // producer batching delay, seconds (librdkafka's linger.ms)
  size_t batch_bytes = 1000000;  // a batch leaves once this full (librdkafka's batch.size)
  uint32_t replication = 1;      // replicas of each partition; acks=all
  double failover_after = 9;     // a crashed leader's partitions wait this long for a new one
  double session_timeout = 10;   // a crashed consumer's partitions wait this long to move
  double rebalance_time = 0.5;   // from a membership change to the new assignment
};

// Service time per unit of work on a reference core of 1 Gflop/s (fixed or
// a distribution, service_time.h), by key:
// "<role>.<Request>" for each request a deployed role serves,
// "<role>.reply", "<role>.client_frame", "<role>.record" (roles/registry.h),
// and the infrastructure's "broker.append" (per produce or replication
// request), "broker.record" (per record in it) and "storage.write" (per atomic
// batch, charged as I/O wait). Defaults come from the role registry; see
// docs/benchmarks.md for where they come from.
using CostTable = std::map<std::string, ServiceTime>;

// How each instance of a role runs in the simulation.
struct InstanceSpec {
  int workers = 1;           // threads serving its queue (a FIFO queue with that many servers)
  uint32_t queue_limit = 0;  // requests waiting for a worker beyond which new ones are refused; 0: unbounded
};

// A latency objective: `quantile` (p50, p90, p99, max) of `flow`
// (send_to_ack, send_to_delivered, offline_catch_up) at most `limit` s.
struct SloSpec {
  std::string flow, quantile;
  double limit = 0;
};

// `scale:`: an instance of a role joins (on a host) or leaves while the
// run goes on; every instance is then told the new shape.
struct ScaleStep {
  double at = 0;
  std::string role;
  bool add = true;
  std::string host;       // add: where the instance runs
  uint32_t instance = 0;  // the index that joins, or leaves (the highest)
};

struct Scenario {
  std::string file;
  std::string name;
  uint64_t seed = 1;
  double duration = 10;   // seconds of offered load
  double drain = 5;       // seconds after it for in-flight work to finish
  int workload_line = 0;  // where the workload section starts in file (0: not in it), for errors
  double warmup = 0;      // latencies are measured for messages sent from then on
  std::string diagram;    // the deployment diagram the topology came from, if any
  std::vector<HostSpec> hosts;
  std::map<std::string, std::vector<std::string>> services;  // role -> hosts, one instance each; deployed roles only
  TopologyGraph graph;                                       // hosts, datacenters, client clouds and every link
  KafkaSpec kafka;
  LinkSpec client_link{1.25e8, 0.030};  // each population's access link (1 Gbps, 30 ms)
  WorkloadSpec workload;
  CostTable costs;
  std::map<std::string, InstanceSpec> instances;      // by role, every deployed role
  std::map<std::string, RoleSettings> role_settings;  // sections named after roles
  std::vector<FaultSpec> faults;                      // by time
  std::vector<ScaleStep> scale;                       // by time; services lists the joining instances too
  std::vector<SloSpec> slo;                           // in flow, quantile order
  std::vector<ProviderSpec> sms{ProviderSpec{}};      // in failover order
  std::vector<ProviderSpec> push{PushProvider()};     // in failover order

  // Instances of role over the run, those that join later included.
  uint32_t Count(const std::string& role) const { return services.count(role) ? services.at(role).size() : 0; }
  // Instances of role at the start.
  uint32_t StartCount(const std::string& role) const {
    uint32_t joining = 0;
    for (const ScaleStep& s : scale) joining += s.add && s.role == role;
    return Count(role) - joining;
  }
};

// Throws ScenarioError ("file:line: key 'a.b': what is wrong"). Roles and
// their costs and settings come from `roles`.
Scenario LoadScenario(const std::string& path, const RoleRegistry& roles = RoleRegistry::Global());
Scenario ParseScenario(const std::string& yaml_text, const std::string& file_name,
                       const RoleRegistry& roles = RoleRegistry::Global());

// The built-in quickstart, for `msgbed run` without a file.
const char* QuickstartYaml();

}  // namespace msgbed::sim
