// Service-time distributions: each keeps the mean it is given, and the
// scenario reader takes every form and refuses the malformed ones.
#include "service_time.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace msgbed::sim {
namespace {

double SampleMean(const ServiceTime& t, std::vector<double>* draws = nullptr) {
  Rng rng(7);
  double sum = 0;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    const double d = t.Sample(rng);
    if (draws) draws->push_back(d);
    sum += d;
  }
  return sum / kDraws;
}

TEST(ServiceTime, EachShapeKeepsItsMean) {
  EXPECT_NEAR(SampleMean(ServiceTime(2e-3)), 2e-3, 1e-12);
  EXPECT_NEAR(SampleMean(ServiceTime::Exponential(2e-3)), 2e-3, 0.01 * 2e-3);
  EXPECT_NEAR(SampleMean(ServiceTime::LogNormal(2e-3, 0.8)), 2e-3, 0.02 * 2e-3);
  const ServiceTime e = ServiceTime::Empirical({{1e-3, 3}, {5e-3, 1}});
  EXPECT_DOUBLE_EQ(e.mean(), 2e-3);
  EXPECT_NEAR(SampleMean(e), 2e-3, 0.02 * 2e-3);
}

TEST(ServiceTime, AnEmpiricalHistogramYieldsOnlyItsTimesInTheirShares) {
  std::vector<double> draws;
  SampleMean(ServiceTime::Empirical({{1e-3, 3}, {5e-3, 1}}), &draws);
  size_t small = 0;
  for (double d : draws) {
    ASSERT_TRUE(d == 1e-3 || d == 5e-3) << d;
    small += d == 1e-3;
  }
  EXPECT_NEAR(static_cast<double>(small) / draws.size(), 0.75, 0.01);
}

TEST(ServiceTime, AFixedTimeDrawsNoRandomNumber) {
  Rng a(3), b(3);
  ServiceTime(1e-3).Sample(a);
  EXPECT_EQ(a.Next(), b.Next());
}

ServiceTime ReadCost(const std::string& yaml) {
  YamlReader r("costs.yaml");
  const YAML::Node root = r.Load("c: " + yaml);
  ServiceTime t;
  ServiceTime::Read(r, root, "costs", "c", &t);
  return t;
}

void ExpectRefused(const std::string& yaml, const std::string& what) {
  try {
    ReadCost(yaml);
    ADD_FAILURE() << yaml << " was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(ServiceTime, TheReaderTakesEveryFormAndRefusesTheRest) {
  EXPECT_EQ(ReadCost("250us").mean(), 250e-6);
  EXPECT_EQ(ReadCost("{distribution: exponential, mean: 1ms}").shape(), ServiceTime::Shape::kExponential);
  EXPECT_EQ(ReadCost("{distribution: lognormal, mean: 1ms, sigma: 0.3}").shape(), ServiceTime::Shape::kLogNormal);
  EXPECT_NEAR(ReadCost("{distribution: empirical, histogram: [[1ms, 1], [3ms, 1]]}").mean(), 2e-3, 1e-12);
  ExpectRefused("{distribution: gamma, mean: 1ms}", "key 'costs.c.distribution': expected fixed, exponential");
  ExpectRefused("{distribution: exponential}", "key 'costs.c.mean': missing");
  ExpectRefused("{distribution: exponential, mean: 1ms, sigma: 2}", "key 'costs.c.sigma': only for lognormal");
  ExpectRefused("{distribution: lognormal, mean: 1ms, sigma: 9}", "key 'costs.c.sigma'");
  ExpectRefused("{distribution: empirical, histogram: []}", "key 'costs.c.histogram'");
  ExpectRefused("{distribution: empirical, histogram: [[1ms, 0]]}", "key 'costs.c.histogram[0]': the weight");
  ExpectRefused("{distribution: empirical, histogram: [[soon, 1]]}", "key 'costs.c.histogram[0].time'");
  ExpectRefused("{distribution: empirical, histogram: [[1ms, 1]], mean: 1ms}", "takes only a histogram");
  ExpectRefused("{distribution: exponential, mean: 1ms, rate: 3}", "key 'costs.c.rate': unknown key");
}

}  // namespace
}  // namespace msgbed::sim
