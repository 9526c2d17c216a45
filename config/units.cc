#include "config/units.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace msgbed {
namespace {

// Splits "12.5ms" into 12.5 and "ms"; the suffix is looked up in table.
std::optional<double> WithSuffix(const std::string& text, const std::map<std::string, double>& table,
                                 bool suffix_required) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  // strtod also reads "nan", "inf" and hex floats; none is a quantity. Nor
  // is one out of a double's range (ERANGE): "1e-400s" read as 0 would
  // turn a setting off.
  if (end == text.c_str() || !std::isfinite(v) || errno == ERANGE ||
      text.find_first_of("xX") < static_cast<size_t>(end - text.c_str())) {
    return std::nullopt;
  }
  const std::string suffix(end);
  // A bare 0 needs no unit: zero of anything is zero.
  if (suffix.empty()) return suffix_required && v != 0 ? std::nullopt : std::optional<double>(v);
  auto it = table.find(suffix);
  if (it == table.end()) return std::nullopt;
  // A unit below one (ms, us) divides by its whole reciprocal: 50 / 1e6
  // is the double nearest 50e-6, where 50 * 1e-6 is one off and would
  // print back as 50.000000000000007us.
  const double whole = std::round(1 / it->second);
  const double scaled = it->second < 1 && whole * it->second == 1 ? v / whole : v * it->second;
  return std::isfinite(scaled) && (scaled != 0) == (v != 0) ? std::optional<double>(scaled) : std::nullopt;
}

using Parser = std::optional<double> (*)(const std::string&);

// units: suffix and its value in base units, largest first. Of the texts
// that parse back to exactly v, the shortest; on a tie, one whose number
// is at least 1, then the larger unit.
std::string Format(double v, const std::vector<std::pair<const char*, double>>& units, Parser parse) {
  if (v == 0) return std::string("0") + units.back().first;
  std::string best;
  bool best_whole = false;
  for (const auto& [suffix, scale] : units) {
    for (int digits : {6, 9, 12, 17}) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*g%s", digits, v / scale, suffix);
      if (parse(buf) != v) continue;
      const std::string text = buf;
      const bool whole = std::abs(v / scale) >= 1;
      if (best.empty() || text.size() < best.size() || (text.size() == best.size() && whole && !best_whole)) {
        best = text;
        best_whole = whole;
      }
      break;
    }
  }
  return best;
}

}  // namespace

std::string FormatDuration(double s) {
  return Format(s, {{"d", 86400}, {"h", 3600}, {"min", 60}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}},
                ParseDuration);
}

std::string FormatBandwidth(double b) {
  return Format(b, {{"Tbps", 1e12 / 8}, {"Gbps", 1e9 / 8}, {"Mbps", 1e6 / 8}, {"kbps", 1e3 / 8}, {"bps", 1.0 / 8}},
                ParseBandwidth);
}

std::string FormatSpeed(double f) {
  return Format(f, {{"Tf", 1e12}, {"Gf", 1e9}, {"Mf", 1e6}, {"kf", 1e3}, {"f", 1}}, ParseSpeed);
}

std::optional<double> ParseDuration(const std::string& text) {
  static const std::map<std::string, double> t = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},
                                                  {"min", 60},  {"h", 3600},  {"d", 86400}};
  return WithSuffix(text, t, true);
}

std::optional<double> ParseBandwidth(const std::string& text) {
  static const std::map<std::string, double> t = {{"bps", 1.0 / 8},  {"kbps", 1e3 / 8},  {"Mbps", 1e6 / 8},
                                                  {"Gbps", 1e9 / 8}, {"Tbps", 1e12 / 8}, {"Bps", 1},
                                                  {"kBps", 1e3},     {"MBps", 1e6},      {"GBps", 1e9}};
  return WithSuffix(text, t, true);
}

std::optional<double> ParseBytes(const std::string& text) {
  static const std::map<std::string, double> t = {{"B", 1},    {"KiB", 1024}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
                                                  {"kB", 1e3}, {"MB", 1e6},   {"GB", 1e9}};
  return WithSuffix(text, t, false);
}

std::optional<double> ParseSpeed(const std::string& text) {
  static const std::map<std::string, double> t = {{"f", 1}, {"kf", 1e3}, {"Mf", 1e6}, {"Gf", 1e9}, {"Tf", 1e12}};
  return WithSuffix(text, t, true);
}

std::optional<double> ParseNumber(const std::string& text) { return WithSuffix(text, {}, false); }

}  // namespace msgbed
