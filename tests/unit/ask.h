// Ask: a device's request answered, for the unit tests' fixtures. Apart
// from test_cluster.h, which the handlers fuzzer builds without gtest.
#pragma once

#include <gtest/gtest.h>

#include "unit/test_cluster.h"

namespace msgbed::testing {

// Sends frame as d's next request and runs the cluster; the answer (a test
// failure, and an empty frame, if none came).
inline api::ServerFrame Ask(TestCluster& c, TestDevice& d, api::ClientFrame frame) {
  const uint64_t id = d.core.Request(std::move(frame));
  c.Run();
  for (const api::ServerFrame& f : d.frames) {
    if (f.request_id() == id) return f;
  }
  ADD_FAILURE() << "no answer";
  return {};
}

}  // namespace msgbed::testing
