#include "auth/phone.h"

namespace msgbed {

std::string NormalizePhone(std::string_view phone) {
  if (phone.size() > 32) return "";
  if (!phone.empty() && phone.front() == '+') phone.remove_prefix(1);
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return "";
    }
  }
  if (digits.size() < 7 || digits.size() > 15 || digits.front() == '0') return "";
  return digits;
}

}  // namespace msgbed
