// Tracer: the real path of one message through a simulated run, every hop
// with its simulated send and arrival time, as a PlantUML sequence diagram.
// A hop is traced when the handler run that sent it was caused by the
// traced message (Node propagates the mark), so the diagram shows the
// send, the bus records, the pushes, the acks and any catch-up it caused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace msgbed::sim {

class Tracer {
 public:
  void Hop(double sent, double arrives, const std::string& from, const std::string& to, std::string_view label,
           size_t bytes);
  size_t hops() const { return hops_.size(); }
  // `name` names the diagram (PlantUML names its image after it).
  std::string SequenceDiagram(const std::string& name, const std::string& title) const;

 private:
  struct Record {
    double sent, arrives;
    std::string from, to, label;
    size_t bytes;
  };
  std::vector<Record> hops_;
};

}  // namespace msgbed::sim
