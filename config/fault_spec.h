// FaultSpec: what a fault is, and reading one from YAML. The simulator
// reads a timeline of them (sim/fault_reader.h); `msgbed fault` reads one
// for a live deployment. Names are checked by the caller's FaultNames.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/yaml_reader.h"

namespace msgbed {

// One fault (docs/faults.md), the same vocabulary in a scenario's `faults:`
// timeline and in `msgbed fault` against a live deployment. Endpoints are
// hosts in a simulation and instances ("role/index") live.
//  - kCrash / kStart: an instance ("role/index", or "broker/index") crashes,
//    losing what is volatile and keeping its store, or starts again.
//  - kLink: from `at` to `until`, envelopes between an endpoint of groups[0] and
//    one of groups[1] (each side one endpoint, or several) are dropped, duplicated or held back (delay, plus a
//    uniform 0..jitter each, so they overtake one another) by chance.
//  - kPartition: from `at` to `until`, nothing crosses between endpoints of
//    different groups: envelopes are lost, bus traffic waits for the heal.
//  - kDisk: from `at` to `until`, the instance's storage writes take `slow`
//    times as long, or fail (`full`).
struct FaultSpec {
  enum class Kind { kCrash, kStart, kLink, kPartition, kDisk };
  Kind kind = Kind::kCrash;
  double at = 0;                                          // seconds
  double until = 0;                                       // windowed kinds: when it ends
  std::string instance;                                   // crash, start, disk
  std::vector<std::vector<std::string>> groups;           // link (two hosts), partition
  double drop = 0, duplicate = 0, delay = 0, jitter = 0;  // link
  double slow = 1;                                        // disk
  bool full = false;                                      // disk
  size_t entry = 0;  // its index in the file's list (entries at the same time run in file order)

  // Whether a message from endpoint a to endpoint b crosses this fault's cut.
  bool Separates(const std::string& a, const std::string& b) const;

  // What a link or partition fault does to one envelope it separates;
  // `uniform` draws chance in [0, 1).
  struct Fate {
    bool lost = false;
    bool duplicated = false;
    double delay = 0;  // seconds
  };
  Fate FateOf(const std::function<double()>& uniform) const;
};

// How names in a fault are checked: each returns the canonical name or
// fails through the reader (file, line, key).
struct FaultNames {
  // "role/index" of an instance; broker/index too when `brokers`.
  std::function<std::string(const YAML::Node& n, const std::string& path, bool brokers)> instance;
  // An endpoint of a link or partition: a host (simulated) or an instance (live).
  std::function<std::string(const YAML::Node& n, const std::string& path)> endpoint;
  std::string endpoint_word;  // "host" or "instance", for messages
};

// Reads entry e (at `path`) into *out: one fault, or for a crash with
// `for` the crash and its start. `at` is required when need_at (else it is
// 0: now); a fault may not last past run_end.
void ReadFaultEntry(const YamlReader& r, const YAML::Node& e, const std::string& path, const FaultNames& names,
                    bool need_at, double run_end, std::vector<FaultSpec>* out);

}  // namespace msgbed
