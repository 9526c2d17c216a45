// YamlReader: reads msgbed's YAML inputs (scenarios, deployment configs)
// so that every mistake is reported the same way, as an InputError:
//
//   file:line: key 'a.b[2].c': what is wrong
//
// Values are parsed strictly (units.h); unknown keys are errors, so a typo
// never silently falls back to a default.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace msgbed {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole file; throws InputError if it cannot be read.
std::string ReadTextFile(const std::string& path);

// Runs read() and returns its result; a yaml-cpp exception from it (a shape
// the reader did not foresee) becomes an InputError naming file and line,
// never an abort.
template <typename Read>
auto GuardYaml(const std::string& file, Read read) -> decltype(read()) {
  try {
    return read();
  } catch (const YAML::Exception& e) {
    throw InputError(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  // Parses text; a syntax error becomes an InputError with its line.
  YAML::Node Load(const std::string& text) const;

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& key, const std::string& what) const;
  // Fails on a key of map `node` not in `allowed`, or given twice; fails if
  // node is not a map.
  void OnlyKeys(const YAML::Node& node, const std::string& path, const std::set<std::string>& allowed) const;
  // Fails unless parent[key] is present.
  YAML::Node Required(const YAML::Node& parent, const std::string& path, const std::string& key,
                      const std::string& what) const;
  static std::string Join(const std::string& path, const std::string& key);

  std::string Scalar(const YAML::Node& n, const std::string& key) const;
  std::vector<std::string> Names(const YAML::Node& n, const std::string& key) const;

  // Each reads parent[key] into *out when present, else leaves *out alone.
  void Duration(const YAML::Node& parent, const std::string& path, const std::string& key, double* out) const;
  void DurationOrZero(const YAML::Node& parent, const std::string& path, const std::string& key, double* out) const;
  void Bandwidth(const YAML::Node& parent, const std::string& path, const std::string& key, double* out) const;
  void Speed(const YAML::Node& parent, const std::string& path, const std::string& key, double* out) const;
  // A whole, positive number of bytes, at most max.
  void Bytes(const YAML::Node& parent, const std::string& path, const std::string& key, size_t* out, double max) const;
  void Number(const YAML::Node& parent, const std::string& path, const std::string& key, double* out, double lo,
              double hi) const;
  void Bool(const YAML::Node& parent, const std::string& path, const std::string& key, bool* out) const;
  void String(const YAML::Node& parent, const std::string& path, const std::string& key, std::string* out) const;
  // A positive integer that fits Int.
  template <typename Int>
  void Count(const YAML::Node& parent, const std::string& path, const std::string& key, Int* out) const {
    double v = 0;
    if (!ReadValue(parent, path, key, &v, CountParser(static_cast<double>(std::numeric_limits<Int>::max())),
                   "a positive integer")) {
      return;
    }
    *out = static_cast<Int>(v);
  }

  using Parser = std::function<std::optional<double>(const std::string&)>;

 private:
  bool ReadValue(const YAML::Node& parent, const std::string& path, const std::string& key, double* out,
                 const Parser& parse, const std::string& expected) const;
  static Parser CountParser(double max);

  std::string file_;
};

}  // namespace msgbed
