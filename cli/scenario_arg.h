// The SCENARIO argument of run and diagram: a file, or the embedded quickstart.
#pragma once

#include <iostream>
#include <optional>
#include <string>

#include "scenario.h"

namespace msgbed::cli {

// The scenario at path (empty: the quickstart), or nullopt after printing
// "msgbed <command>: file:line: key ...: ..." to stderr (exit code 2).
inline std::optional<sim::Scenario> LoadScenarioArg(const std::string& path, const char* command) {
  try {
    return path.empty() ? sim::ParseScenario(sim::QuickstartYaml(), "<embedded quickstart>") : sim::LoadScenario(path);
  } catch (const sim::ScenarioError& e) {
    std::cerr << "msgbed " << command << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace msgbed::cli
