// UTF-8 validation for text that clients send.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace msgbed {

// True when text is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF); *chars is then its number of code points.
bool ValidUtf8(std::string_view text, size_t* chars);

// text with A-Z as a-z (names compared ignoring case: usernames, methods).
inline std::string AsciiLowercase(std::string text) {
  for (char& c : text) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return text;
}

}  // namespace msgbed
