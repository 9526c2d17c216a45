#include <fstream>
#include <iostream>

#include "commands.h"
#include "deployment_diagram.h"
#include "scenario_arg.h"

namespace msgbed::cli {
namespace {

// The grammar has no disks: say so rather than drop them silently.
void NoteDisks(const sim::Scenario& sc) {
  for (const sim::HostSpec& h : sc.hosts) {
    if (!h.disk.modelled()) continue;
    std::cerr << "msgbed diagram: note: host '" << h.name
              << "' has a disk model, which a deployment diagram cannot hold; a scenario using this diagram "
                 "gives disks with topology.disk (the same for every host)\n";
    return;
  }
}

}  // namespace

int Diagram(const DiagramOptions& opts) {
  const std::optional<sim::Scenario> loaded = LoadScenarioArg(opts.scenario, "diagram");
  if (!loaded) return 2;
  const sim::Scenario& sc = *loaded;
  NoteDisks(sc);
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
