// Process: the live service instances of one OS process, wired together.
// `msgbed serve CONFIG` runs every instance in one process; `--role` picks
// some, and processes started for the others form one deployment over
// loopback or a network.
//
// The bus: in kafka mode every process connects to bus.bootstrap. In mock
// mode a process serving every instance hosts its own mock cluster; for a
// multi-process deployment one process runs `--role bus`, which hosts the
// mock cluster and writes its address to <data_dir>/bus.bootstrap for the
// others to read.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "live/config.h"
#include "proto/rpc.pb.h"

namespace msgbed::live {

class Process {
 public:
  // Builds the instances `selector` names (see LiveConfig::Select; "bus"
  // for the mock bus host only) and binds their listeners.
  static Status Start(const LiveConfig& config, const std::string& selector, std::unique_ptr<Process>* out);
  ~Process();

  // Serves until Stop() (or SIGINT/SIGTERM when stop_on_signals). Runs the
  // io_context on the calling thread.
  void Run(bool stop_on_signals = false);
  // Thread-safe; Run() returns soon after.
  void Stop();

  // The bound client port of instance `index` of the first role with
  // clients served here (the gateway's, in a deployment), else 0.
  uint16_t client_port(uint32_t index) const;
  // ... of role/index, if served here (else 0).
  uint16_t client_port(std::string_view role, uint32_t index) const;
  // A copy of an instance's counters (empty if not served here). Thread-safe.
  // REQUIRES: Run() is running on another thread.
  Metrics StatsOf(const Address& addr);
  const std::string& bus_bootstrap() const;
  // Times this process moved to a restarted mock bus, and tried but could
  // not (thread-safe).
  uint64_t bus_reconnects() const;
  uint64_t bus_reconnect_failures() const;
  // Injected faults (`msgbed fault`) this process has begun applying (thread-safe).
  uint64_t faults_applied() const;
  // ... and has stopped applying, cleared or run out (thread-safe).
  uint64_t faults_ended() const;
  // Failed accepts on the gateways' client ports, each retried (thread-safe).
  uint64_t client_accept_errors() const;

 private:
  struct Impl;
  explicit Process(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where a mock-mode bus host publishes its bootstrap list.
std::string MockBootstrapFile(const LiveConfig& config);

}  // namespace msgbed::live
