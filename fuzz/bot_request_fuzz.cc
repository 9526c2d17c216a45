// The Bot API server's request parser (impl/live/bot_request.h) on
// arbitrary targets, content types and bodies: it answers with a BotCall or
// says what is wrong, never crashes, and whatever it accepts is valid
// UTF-8 (the core and its JSON answers rely on it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/utf8.h"
#include "live/bot_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Three NUL-separated fields: target, content type, body.
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t a = input.find('\0'), b = a == std::string_view::npos ? a : input.find('\0', a + 1);
  if (b == std::string_view::npos) return 0;
  msgbed::live::HttpRequestParts parts{"POST", input.substr(0, a), input.substr(a + 1, b - a - 1), input.substr(b + 1)};
  msgbed::api::BotCall call;
  if (!msgbed::live::ParseBotCall(parts, &call).empty()) return 0;
  size_t chars = 0;
  if (!msgbed::ValidUtf8(call.path(), &chars)) std::abort();
  for (const auto& [key, value] : call.params()) {
    if (!msgbed::ValidUtf8(key, &chars) || !msgbed::ValidUtf8(value, &chars)) std::abort();
  }
  return 0;
}
