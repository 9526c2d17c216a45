#include "config/units.h"

#include <cstdlib>
#include <map>

namespace msgbed {
namespace {

// Splits "12.5ms" into 12.5 and "ms"; the suffix is looked up in table.
std::optional<double> WithSuffix(const std::string& text, const std::map<std::string, double>& table,
                                 bool suffix_required) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return std::nullopt;
  const std::string suffix(end);
  if (suffix.empty()) return suffix_required ? std::nullopt : std::optional<double>(v);
  auto it = table.find(suffix);
  if (it == table.end()) return std::nullopt;
  return v * it->second;
}

}  // namespace

std::optional<double> ParseDuration(const std::string& text) {
  static const std::map<std::string, double> t = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},
                                                  {"s", 1},     {"min", 60},  {"h", 3600}};
  return WithSuffix(text, t, true);
}

std::optional<double> ParseBandwidth(const std::string& text) {
  static const std::map<std::string, double> t = {{"bps", 1.0 / 8},  {"kbps", 1e3 / 8},  {"Mbps", 1e6 / 8},
                                                  {"Gbps", 1e9 / 8}, {"Tbps", 1e12 / 8}, {"Bps", 1},
                                                  {"kBps", 1e3},     {"MBps", 1e6},      {"GBps", 1e9}};
  return WithSuffix(text, t, true);
}

std::optional<double> ParseSpeed(const std::string& text) {
  static const std::map<std::string, double> t = {{"f", 1}, {"kf", 1e3}, {"Mf", 1e6}, {"Gf", 1e9}, {"Tf", 1e12}};
  return WithSuffix(text, t, true);
}

std::optional<double> ParseNumber(const std::string& text) { return WithSuffix(text, {}, false); }

}  // namespace msgbed
