#include "service_time.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace msgbed::sim {

ServiceTime ServiceTime::Exponential(double mean) {
  ServiceTime t(mean);
  t.shape_ = Shape::kExponential;
  return t;
}

ServiceTime ServiceTime::LogNormal(double mean, double sigma) {
  ServiceTime t(mean);
  t.shape_ = Shape::kLogNormal;
  t.sigma_ = sigma;
  return t;
}

ServiceTime ServiceTime::Empirical(std::vector<std::pair<double, double>> time_weight) {
  ServiceTime t;
  t.shape_ = Shape::kEmpirical;
  double total = 0, weighted = 0;
  for (const auto& [time, weight] : time_weight) {
    total += weight;
    weighted += time * weight;
  }
  double cumulative = 0;
  for (const auto& [time, weight] : time_weight) {
    cumulative += weight;
    t.points_.emplace_back(time, cumulative / total);
  }
  t.points_.back().second = 1.0;
  t.mean_ = weighted / total;
  return t;
}

double ServiceTime::Sample(Rng& rng) const {
  switch (shape_) {
    case Shape::kFixed: return mean_;
    case Shape::kExponential: return mean_ > 0 ? rng.Exponential(1 / mean_) : 0;
    case Shape::kLogNormal: {
      // Box-Muller; mu chosen so that the mean is mean_.
      const double u1 = 1 - rng.Uniform(), u2 = rng.Uniform();
      const double normal = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
      return mean_ * std::exp(sigma_ * normal - sigma_ * sigma_ / 2);
    }
    case Shape::kEmpirical: {
      const double u = rng.Uniform();
      auto it = std::upper_bound(points_.begin(), points_.end(), u,
                                 [](double v, const std::pair<double, double>& p) { return v < p.second; });
      return it == points_.end() ? points_.back().first : it->first;
    }
  }
  return mean_;
}

nlohmann::ordered_json ServiceTime::Json() const {
  switch (shape_) {
    case Shape::kFixed: return mean_;
    case Shape::kExponential: return {{"distribution", "exponential"}, {"mean", mean_}};
    case Shape::kLogNormal: return {{"distribution", "lognormal"}, {"mean", mean_}, {"sigma", sigma_}};
    case Shape::kEmpirical: {
      nlohmann::ordered_json h = nlohmann::ordered_json::array();
      double before = 0;
      for (const auto& [time, cumulative] : points_) {
        h.push_back({time, cumulative - before});
        before = cumulative;
      }
      return {{"distribution", "empirical"}, {"mean", mean_}, {"histogram", h}};
    }
  }
  return mean_;
}

namespace {

std::vector<std::pair<double, double>> ReadHistogram(const YamlReader& r, const YAML::Node& n, const std::string& key) {
  if (!n.IsDefined() || !n.IsSequence() || n.size() == 0) {
    r.Fail(n, key, "expected a non-empty list of [time, weight] pairs");
  }
  std::vector<std::pair<double, double>> out;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string at = key + "[" + std::to_string(i) + "]";
    const YAML::Node pair = n[i];
    if (!pair.IsSequence() || pair.size() != 2) r.Fail(pair, at, "expected [time, weight]");
    YAML::Node holder;
    holder["time"] = pair[0];
    holder["weight"] = pair[1];
    double time = 0, weight = 0;
    r.DurationOrZero(holder, at, "time", &time);
    r.Number(holder, at, "weight", &weight, 0, 1e18);
    if (!(weight > 0)) r.Fail(pair, at, "the weight must be positive");
    out.emplace_back(time, weight);
  }
  return out;
}

}  // namespace

void ServiceTime::Read(const YamlReader& r, const YAML::Node& parent, const std::string& path, const std::string& key,
                       ServiceTime* out) {
  const YAML::Node n = parent[key];
  if (!n.IsDefined()) return;
  if (!n.IsMap()) {
    double fixed = 0;
    r.DurationOrZero(parent, path, key, &fixed);
    *out = ServiceTime(fixed);
    return;
  }
  const std::string at = YamlReader::Join(path, key);
  r.OnlyKeys(n, at, {"distribution", "mean", "sigma", "histogram"});
  const std::string shape = n["distribution"].IsDefined() ? r.Scalar(n["distribution"], at + ".distribution") : "";
  if (shape == "empirical") {
    if (n["mean"].IsDefined() || n["sigma"].IsDefined())
      r.Fail(n, at, "an empirical distribution takes only a histogram (its mean follows from it)");
    *out = Empirical(ReadHistogram(r, n["histogram"], at + ".histogram"));
    return;
  }
  if (shape != "fixed" && shape != "exponential" && shape != "lognormal") {
    r.Fail(n, at + ".distribution", "expected fixed, exponential, lognormal or empirical");
  }
  if (n["histogram"].IsDefined()) r.Fail(n["histogram"], at + ".histogram", "only for an empirical distribution");
  if (!n["mean"].IsDefined()) r.Fail(n, at + ".mean", "missing: the mean service time");
  double mean = 0;
  r.DurationOrZero(n, at, "mean", &mean);
  if (shape != "lognormal" && n["sigma"].IsDefined()) r.Fail(n["sigma"], at + ".sigma", "only for lognormal");
  if (shape == "lognormal") {
    double sigma = 0.5;
    r.Number(n, at, "sigma", &sigma, 0, 5);
    *out = LogNormal(mean, sigma);
  } else {
    *out = shape == "fixed" ? ServiceTime(mean) : Exponential(mean);
  }
}

}  // namespace msgbed::sim
