// The scenario reader on arbitrary text: a scenario, or a ScenarioError
// naming what is wrong; nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    msgbed::sim::ParseScenario(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  } catch (const msgbed::sim::ScenarioError&) {
  }
  return 0;
}
