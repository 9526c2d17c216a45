#include "core/frame_codec.h"

namespace msgbed {

namespace {
constexpr size_t kKeepCapacityBytes = 16 * 1024;
}  // namespace

void AppendFrame(std::string_view body, std::string* out) {
  const uint32_t n = static_cast<uint32_t>(body.size());
  const char header[kFrameHeaderBytes] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                          static_cast<char>(n >> 8), static_cast<char>(n)};
  out->append(header, kFrameHeaderBytes);
  out->append(body);
}

FrameDecoder::Result FrameDecoder::Next(std::string* body) {
  if (buf_.size() - pos_ < kFrameHeaderBytes) return Result::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  const size_t n = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | size_t{p[3]};
  if (n > max_) return Result::kTooLarge;
  if (buf_.size() - pos_ - kFrameHeaderBytes < n) {
    // Room for exactly this frame: appending would otherwise double the
    // buffer past it (a peer holding a partial frame would cost twice).
    buf_.reserve(pos_ + kFrameHeaderBytes + n);
    return Result::kNeedMore;
  }
  body->assign(buf_, pos_ + kFrameHeaderBytes, n);
  pos_ += kFrameHeaderBytes + n;
  if (pos_ == buf_.size()) {
    // Idle connections should not keep the memory of their largest frame.
    if (buf_.capacity() > kKeepCapacityBytes) {
      std::string().swap(buf_);
    } else {
      buf_.clear();
    }
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return Result::kFrame;
}

}  // namespace msgbed
