// Test helpers for inputs that must be rejected with a clear message.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "config/yaml_reader.h"

namespace msgbed::testing {

// text with its first `from` replaced by `to`; fails the test if absent.
inline std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the input: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Expects read(text) to throw an InputError whose message contains `expected`.
template <typename Read>
void ExpectInputError(const Read& read, const std::string& text, const std::string& expected) {
  try {
    read(text);
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

}  // namespace msgbed::testing
