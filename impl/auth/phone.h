// Phone numbers as the auth service takes them: international format, an
// optional leading '+', digits, and spaces, dashes, dots or parentheses
// between them; 7 to 15 digits (E.164 allows at most 15).
#pragma once

#include <string>
#include <string_view>

namespace msgbed {

// The digits of phone, or "" if it is not a valid number.
std::string NormalizePhone(std::string_view phone);

}  // namespace msgbed
