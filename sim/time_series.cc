#include "time_series.h"

#include <cmath>
#include <cstdio>

namespace msgbed::sim {

TimeSeries::Second& TimeSeries::At(double now) {
  const size_t s = static_cast<size_t>(std::max(0.0, std::floor(now)));
  if (s >= seconds_.size()) seconds_.resize(s + 1);
  return seconds_[s];
}

void TimeSeries::Acked(double now, double latency) {
  Second& s = At(now);
  ++s.acked;
  s.ack.Add(latency);
}

void TimeSeries::Delivered(double now, double latency) {
  Second& s = At(now);
  ++s.delivered;
  if (latency >= 0) s.delivery.Add(latency);
}

void TimeSeries::Sample(double end, const std::string& column, double value) {
  auto [it, added] = column_index_.try_emplace(column, columns_.size());
  if (added) columns_.push_back(column);
  At(end - 0.5).samples[it->second] = value;
}

std::string TimeSeries::Csv() const {
  std::string out = "t_s,sent,acked,delivered,ack_p50_ms,ack_p99_ms,delivered_p50_ms,delivered_p99_ms";
  for (const std::string& c : columns_) out += "," + c;
  out += "\n";
  char cell[64];
  auto ms = [&](const Histogram& h, double q) {
    if (h.count() == 0) return std::string();
    std::snprintf(cell, sizeof cell, "%.3f", h.Quantile(q) * 1e3);
    return std::string(cell);
  };
  for (size_t t = 0; t < seconds_.size(); ++t) {
    const Second& s = seconds_[t];
    out += std::to_string(t + 1) + "," + std::to_string(s.sent) + "," + std::to_string(s.acked) + "," +
           std::to_string(s.delivered) + "," + ms(s.ack, 0.5) + "," + ms(s.ack, 0.99) + "," + ms(s.delivery, 0.5) +
           "," + ms(s.delivery, 0.99);
    for (size_t c = 0; c < columns_.size(); ++c) {
      auto it = s.samples.find(c);
      out += ",";
      if (it != s.samples.end()) {
        std::snprintf(cell, sizeof cell, "%.6g", it->second);
        out += cell;
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace msgbed::sim
