#include <fstream>
#include <iostream>

#include "commands.h"
#include "deployment_diagram.h"
#include "scenario.h"

namespace msgbed::cli {

int Diagram(const DiagramOptions& opts) {
  sim::Scenario sc;
  try {
    sc = opts.scenario.empty() ? sim::ParseScenario(sim::QuickstartYaml(), "<embedded quickstart>")
                               : sim::LoadScenario(opts.scenario);
  } catch (const sim::ScenarioError& e) {
    std::cerr << "msgbed diagram: " << e.what() << "\n";
    return 2;
  }
  const std::string text = sim::WriteDeploymentDiagram(sc.graph, "Deployment of scenario " + sc.name);
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
