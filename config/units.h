// Parsing of quantities in scenario files: "100us", "30ms", "2s" (durations,
// to seconds); "10Gbps", "125MBps" (bandwidth, to bytes/s); "2Gf" (flops/s);
// "64KiB" (bytes).
// Each returns std::nullopt when text is not such a quantity.
#pragma once

#include <optional>
#include <string>

namespace msgbed {

std::optional<double> ParseDuration(const std::string& text);
std::optional<double> ParseBandwidth(const std::string& text);
std::optional<double> ParseSpeed(const std::string& text);
// A size in bytes: "4096", "512B", "64KiB", "4MiB", "1GB".
std::optional<double> ParseBytes(const std::string& text);
// A plain number, accepting "1e5" and "100000".
std::optional<double> ParseNumber(const std::string& text);

// The inverse of the parsers: the shortest text that parses back to
// exactly v ("50us", "0.07ms", "10Gbps"); on a tie, a number of at least 1.
std::string FormatDuration(double seconds);
std::string FormatBandwidth(double bytes_per_second);
std::string FormatSpeed(double flops);

}  // namespace msgbed
