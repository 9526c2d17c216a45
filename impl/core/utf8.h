// UTF-8 validation for text that clients send.
#pragma once

#include <cstddef>
#include <string_view>

namespace msgbed {

// True when text is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF); *chars is then its number of code points.
bool ValidUtf8(std::string_view text, size_t* chars);

}  // namespace msgbed
