// Quantities in scenario files, read and written back.
#include "config/units.h"

#include <gtest/gtest.h>

#include "topology.h"

namespace msgbed {
namespace {

TEST(Units, SubUnitsParseToTheNearestDouble) {
  EXPECT_EQ(ParseDuration("50us"), 50e-6);
  EXPECT_EQ(ParseDuration("30ms"), 30e-3);
  EXPECT_EQ(ParseDuration("7ns"), 7e-9);
  EXPECT_EQ(ParseDuration("2.5min"), 150.0);
  EXPECT_EQ(ParseBandwidth("100Mbps"), 12.5e6);
  EXPECT_EQ(ParseDuration("10"), std::nullopt) << "a unit is required";
}

// Found by the simulator issue: a written diagram gave the default link
// latency as 50.000000000000007us (50 * 1e-6 is not the double 50e-6).
TEST(Units, FormattedQuantitiesAreShortAndReadBackExactly) {
  EXPECT_EQ(FormatDuration(sim::LinkSpec{}.latency), "50us");
  EXPECT_EQ(FormatDuration(0.0205), "20.5ms");
  EXPECT_EQ(FormatDuration(90), "90s");
  EXPECT_EQ(FormatDuration(*ParseDuration("0.07ms")), "0.07ms") << "was 8.1018518518518529e-10d";
  EXPECT_EQ(FormatDuration(*ParseDuration("0.03ms")), "0.03ms") << "was 29999.999999999996ns";
  EXPECT_EQ(FormatDuration(604800), "7d");
  EXPECT_EQ(FormatBandwidth(sim::LinkSpec{}.bandwidth), "10Gbps");
  for (double v : {1e-9, 3e-6, 123e-6, 0.1, 0.3, 1.7, 1234.5678, 7e-5, 1.3e-11, 5.7e-7}) {
    EXPECT_EQ(ParseDuration(FormatDuration(v)), v) << FormatDuration(v);
  }
}

}  // namespace
}  // namespace msgbed
