// World: what the simulated deployment shares: the scenario, the network,
// every node, the bus and the recorder. One per run. Randomness comes from
// streams derived from the scenario's seed by purpose (core/rng.h).
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "core/address.h"
#include "core/cluster.h"
#include "core/rng.h"
#include "faults.h"
#include "network.h"
#include "recorder.h"
#include "scenario.h"
#include "scheduler.h"
#include "tracer.h"

namespace msgbed::sim {

class ServiceNode;
class Population;
class KafkaModel;

// The scenario's topology plus one vertex per gateway for its client
// population, attached by the scenario's client link to the client cloud
// nearest the gateway (or, without clouds, to the gateway's datacenter).
// Population g is vertex "clients-<g>".
TopologyGraph WithClientPopulations(const Scenario& sc);

class World {
 public:
  explicit World(const Scenario& sc)
      : scenario(sc),
        graph(WithClientPopulations(sc)),
        net(&graph),
        faults(sc, DeriveSeed(sc.seed, "faults")),
        recorder(sc.warmup) {}

  uint64_t NextSeq() { return seq_++; }
  // The simulated time now.
  double Now() const { return sched.Now(); }
  // One draw of a service time, from the run's own stream.
  double Draw(const ServiceTime& t) { return t.Sample(service_times_); }
  // One draw of the scenario's cost `key`. REQUIRES: the table has it.
  double DrawCost(const std::string& key) { return Draw(scenario.costs.at(key)); }
  // The node serving a, or nullptr.
  ServiceNode* FindService(const rpc::Address& a) const {
    auto it = services.find(a);
    return it == services.end() ? nullptr : it->second;
  }

  const Scenario& scenario;
  Scheduler sched;
  const TopologyGraph graph;
  ClusterShape shape;
  Network net;
  Faults faults;
  Recorder recorder;
  Tracer tracer;
  uint64_t trace_message = 0;  // the n-th message sent is traced; 0: none
  std::map<rpc::Address, ServiceNode*, AddressLess> services;
  std::vector<Population*> populations;  // index = gateway index
  KafkaModel* kafka = nullptr;

 private:
  uint64_t seq_ = 0;
  Rng service_times_{DeriveSeed(scenario.seed, "service_times")};
};

}  // namespace msgbed::sim
