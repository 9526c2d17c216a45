#include <fstream>
#include <iostream>

#include "commands.h"
#include "deployment_diagram.h"
#include "scenario_arg.h"

namespace msgbed::cli {

int Diagram(const DiagramOptions& opts) {
  const std::optional<sim::Scenario> loaded = LoadScenarioArg(opts.scenario, "diagram");
  if (!loaded) return 2;
  const sim::Scenario& sc = *loaded;
  const std::string text =
      sim::WriteDeploymentDiagram(sc.graph, sc.name + "-deployment", "Deployment of scenario " + sc.name);
  if (opts.output.empty() || opts.output == "-") {
    std::cout << text;
    return 0;
  }
  std::ofstream out(opts.output, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    std::cerr << "msgbed diagram: cannot write " << opts.output << "\n";
    return 1;
  }
  return 0;
}

}  // namespace msgbed::cli
