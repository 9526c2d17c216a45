// TimeSeries: what a run did, simulated second by simulated second
// (results/<name>/timeseries.csv): messages sent and acknowledged and
// deliveries made in each second, the latency quantiles of those that
// finished in it, and the samples a run takes at each second's end
// (queues, utilisation per instance, host and link). Deterministic like
// summary.json.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "histogram.h"

namespace msgbed::sim {

class TimeSeries {
 public:
  void Sent(double now) { At(now).sent++; }
  void Acked(double now, double latency);
  void Delivered(double now, double latency);
  // Sets `column` of the second ending at `end` (a whole number of seconds).
  void Sample(double end, const std::string& column, double value);

  // One row per second, a header first.
  std::string Csv() const;

 private:
  struct Second {
    uint64_t sent = 0, acked = 0, delivered = 0;
    Histogram ack, delivery;
    std::map<size_t, double> samples;  // column index -> value
  };
  Second& At(double now);

  std::vector<Second> seconds_;
  std::vector<std::string> columns_;  // sampled columns, in first-sampled order
  std::map<std::string, size_t> column_index_;
};

}  // namespace msgbed::sim
