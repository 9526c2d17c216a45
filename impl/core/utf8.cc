#include "core/utf8.h"

#include <cstdint>

namespace msgbed {

namespace {

// Length of the sequence a lead byte starts, and the range its first
// continuation byte must fall in (which rules out overlong forms,
// surrogates and code points above U+10FFFF); 0 for an invalid lead.
struct Lead {
  int length;
  uint8_t lo, hi;
};

Lead LeadOf(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xc2 && b <= 0xdf) return {2, 0x80, 0xbf};
  if (b == 0xe0) return {3, 0xa0, 0xbf};
  if (b == 0xed) return {3, 0x80, 0x9f};
  if (b >= 0xe1 && b <= 0xef) return {3, 0x80, 0xbf};
  if (b == 0xf0) return {4, 0x90, 0xbf};
  if (b >= 0xf1 && b <= 0xf3) return {4, 0x80, 0xbf};
  if (b == 0xf4) return {4, 0x80, 0x8f};
  return {0, 0, 0};
}

}  // namespace

bool ValidUtf8(std::string_view text, size_t* chars) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++n) {
    const Lead lead = LeadOf(static_cast<uint8_t>(text[i]));
    if (lead.length == 0 || text.size() - i < static_cast<size_t>(lead.length)) return false;
    for (int k = 1; k < lead.length; ++k) {
      const auto c = static_cast<uint8_t>(text[i + k]);
      const uint8_t lo = k == 1 ? lead.lo : 0x80;
      const uint8_t hi = k == 1 ? lead.hi : 0xbf;
      if (c < lo || c > hi) return false;
    }
    i += lead.length;
  }
  *chars = n;
  return true;
}

}  // namespace msgbed
