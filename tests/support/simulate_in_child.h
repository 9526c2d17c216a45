// Runs a simulated scenario in a forked child (SimGrid allows one engine
// per process) and hands its result files to the test.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "scenario.h"
#include "simulation.h"
#include "support/expect_input_error.h"

namespace msgbed::sim {

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs sc in a child process; returns summary.json's bytes ("" on failure),
// with a trace chosen the trace diagram in *trace_text, and timeseries.csv in *csv.
inline std::string SimulateInChild(const Scenario& sc, const std::string& tag, const TraceChoice& trace = {},
                                   std::string* trace_text = nullptr, std::string* csv = nullptr) {
  const auto out =
      std::filesystem::temp_directory_path() / ("msgbed-simtest-" + std::to_string(::getpid()) + "-" + tag);
  std::filesystem::remove_all(out);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const SimulationResult r = Simulate(sc, trace);
    WriteSummary(sc, r.summary, out.string());
    WriteResultFile(sc, out.string(), "timeseries.csv", r.timeseries);
    if (trace.any()) WriteResultFile(sc, out.string(), "trace.puml", r.trace);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  std::string text = ReadFile(out / sc.name / "summary.json");
  if (trace_text) *trace_text = ReadFile(out / sc.name / "trace.puml");
  if (csv) *csv = ReadFile(out / sc.name / "timeseries.csv");
  std::filesystem::remove_all(out);
  return text;
}

// summary.json parsed (null if the run failed).
inline nlohmann::json SummaryOf(const Scenario& sc, const std::string& tag) {
  const std::string text = SimulateInChild(sc, tag);
  EXPECT_FALSE(text.empty());
  return text.empty() ? nlohmann::json() : nlohmann::json::parse(text);
}

// Expects the scenario text, read as bad.yaml, to be refused with an error
// containing `expected` (file, line and key).
inline void ExpectError(const std::string& yaml, const std::string& expected) {
  testing::ExpectInputError([](const std::string& t) { ParseScenario(t, "bad.yaml"); }, yaml, expected);
}

}  // namespace msgbed::sim
