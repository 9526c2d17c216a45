// Length-prefixed framing: a 4-byte big-endian length, then that many bytes
// of one serialized Protobuf message. Used on every TCP stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace msgbed {

inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr size_t kDefaultMaxFrameBytes = 1 << 20;

// Appends header + body to *out.
void AppendFrame(std::string_view body, std::string* out);

// Incremental decoder for a byte stream. Feed bytes, then pop frames.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes = kDefaultMaxFrameBytes) : max_(max_frame_bytes) {}

  void Feed(const char* data, size_t n) { buf_.append(data, n); }

  enum class Result { kFrame, kNeedMore, kTooLarge };
  // On kFrame, *body holds the next frame's bytes. kTooLarge is final: the
  // stream cannot be resynchronised and must be closed.
  Result Next(std::string* body);

  // Changes the largest frame accepted from now on.
  void set_max_frame_bytes(size_t n) { max_ = n; }
  // Bytes fed but not yet returned as frames (part of a frame).
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  size_t max_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace msgbed
