// The deployment-diagram reader on arbitrary text: a topology, or an
// InputError naming the line; nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/yaml_reader.h"
#include "deployment_diagram.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto diagram =
        msgbed::sim::ParseDeploymentDiagram(std::string(reinterpret_cast<const char*>(data), size), "fuzz.puml");
    msgbed::sim::BuildTopology(diagram, {});
  } catch (const msgbed::InputError&) {
  }
  return 0;
}
