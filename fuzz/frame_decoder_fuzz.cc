// The frame decoder on arbitrary bytes, fed in arbitrary pieces: it returns
// frames no larger than its limit and never reads out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t limit = 1 + data[0] * 64;  // 1..16 KiB: small limits reach kTooLarge
  const size_t piece = 1 + data[1] % 32;
  msgbed::FrameDecoder decoder(limit);
  const char* bytes = reinterpret_cast<const char*>(data + 2);
  size -= 2;
  for (size_t at = 0; at < size; at += piece) {
    decoder.Feed(bytes + at, std::min(piece, size - at));
    std::string body;
    for (;;) {
      const auto r = decoder.Next(&body);
      if (r == msgbed::FrameDecoder::Result::kTooLarge) return 0;
      if (r == msgbed::FrameDecoder::Result::kNeedMore) break;
      if (body.size() > limit) std::abort();
    }
  }
  return 0;
}
