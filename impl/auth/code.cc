#include "auth/code.h"

#include <algorithm>

#include "auth/credential.h"
#include "core/utf8.h"

namespace msgbed {

std::string NewCode(Env& env, uint32_t digits) {
  uint64_t space = 1;
  for (uint32_t i = 0; i < digits; ++i) space *= 10;
  const uint64_t limit = (uint64_t{1} << 32) / space * space;  // rejects the top partial range
  for (;;) {
    const uint64_t r = FromBigEndian(env.SecretBytes(8).data()) >> 32;
    if (r >= limit) continue;
    std::string code = std::to_string(r % space);
    return std::string(digits - code.size(), '0') + code;
  }
}

bool SameCode(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

namespace {

// The first character of s (all its UTF-8 bytes).
std::string FirstChar(const std::string& s) {
  size_t n = s.empty() ? 0 : 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
  return s.substr(0, n);
}

}  // namespace

std::string EmailPattern(const std::string& email) {
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0) return "***";
  const std::string domain = email.substr(at + 1);
  const size_t dot = domain.rfind('.');
  const std::string tld = dot == std::string::npos ? "" : domain.substr(dot);
  return FirstChar(email) + "***@" + FirstChar(domain) + "***" + tld;
}

bool ValidEmail(const std::string& email) {
  size_t chars = 0;
  if (email.size() > 256 || !ValidUtf8(email, &chars)) return false;
  const size_t at = email.find('@');
  if (at == 0 || at == std::string::npos || email.find('@', at + 1) != std::string::npos) return false;
  const size_t dot = email.rfind('.');
  if (dot == std::string::npos || dot < at + 2 || dot + 1 == email.size()) return false;
  return std::none_of(email.begin(), email.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

}  // namespace msgbed
