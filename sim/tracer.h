// Tracer: the real path of one message through a simulated run, every hop
// with its simulated send and arrival time, as a PlantUML sequence diagram.
// A hop is traced when the handler run that sent it was caused by the
// traced message (Node propagates the mark), so the diagram shows the
// send, the bus records, the pushes, the acks and any catch-up it caused.
//
// For teaching, the diagram labels each participant with its host and
// datacenter, colours the path to the sender's acknowledgement (blue) apart
// from the path of the pushes to the other devices (green), and notes at
// each handler run how long the work waited for a worker and how long it
// took (CPU, waiting for a core, storage I/O).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace msgbed::sim {

class Tracer {
 public:
  void Hop(double sent, double arrives, const std::string& from, const std::string& to, std::string_view label,
           size_t bytes);
  // A traced handler run at `node`: its input arrived at `arrived`, a
  // worker took it at `start`, and its work was done at `done`.
  void Work(const std::string& node, double arrived, double start, double done);
  // What to call participant `node` (e.g. with its host and datacenter).
  void Describe(const std::string& node, std::string description) { described_[node] = std::move(description); }
  size_t hops() const { return hops_; }
  // `name` names the diagram (PlantUML names its image after it).
  std::string SequenceDiagram(const std::string& name, const std::string& title) const;

 private:
  struct Record {
    double at;  // sent (a hop), or started (a run)
    double arrives = 0, done = 0;
    std::string from, to, label;  // a run: `from` only
    size_t bytes = 0;
    bool work = false;
  };
  std::string Participant(const std::string& node) const;

  std::vector<Record> records_;
  size_t hops_ = 0;
  std::map<std::string, std::string> described_;
};

}  // namespace msgbed::sim
