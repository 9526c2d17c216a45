// ServiceTime: how long one unit of work takes, as a distribution. Costs in
// a scenario's table are service times on a reference core:
//
//   messages.SendMessage: 200us                                 # fixed
//   messages.SendMessage: {distribution: exponential, mean: 200us}
//   messages.SendMessage: {distribution: lognormal, mean: 200us, sigma: 0.8}
//   messages.SendMessage: {distribution: empirical,             # calibration
//                          histogram: [[100us, 60], [300us, 30], [2ms, 10]]}
//
// `sigma` is the standard deviation of the logarithm; the mean is kept. An
// empirical histogram lists (time, weight) pairs and yields each time with
// its share of the weights. A fixed time draws no random number, so adding
// a distribution to one cost changes no other draw.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "config/yaml_reader.h"
#include "core/rng.h"

namespace msgbed::sim {

class ServiceTime {
 public:
  enum class Shape { kFixed, kExponential, kLogNormal, kEmpirical };

  ServiceTime() = default;
  // A fixed time (seconds).
  ServiceTime(double seconds) : mean_(seconds) {}  // NOLINT: a plain number is a fixed time
  static ServiceTime Exponential(double mean);
  static ServiceTime LogNormal(double mean, double sigma);
  // REQUIRES: non-empty, times >= 0, weights > 0.
  static ServiceTime Empirical(std::vector<std::pair<double, double>> time_weight);

  // Reads parent[key] (a duration or a mapping, above) when present.
  // Throws InputError naming file, line and key.
  static void Read(const YamlReader& r, const YAML::Node& parent, const std::string& path, const std::string& key,
                   ServiceTime* out);

  double Sample(Rng& rng) const;
  double mean() const { return mean_; }
  Shape shape() const { return shape_; }
  bool fixed() const { return shape_ == Shape::kFixed; }
  // As the scenario echo shows it: a number for a fixed time.
  nlohmann::ordered_json Json() const;

 private:
  Shape shape_ = Shape::kFixed;
  double mean_ = 0;
  double sigma_ = 0;                               // lognormal: of the log
  std::vector<std::pair<double, double>> points_;  // empirical: (time, cumulative share)
};

}  // namespace msgbed::sim
