#include "core/frame_codec.h"

#include <gtest/gtest.h>

namespace msgbed {
namespace {

TEST(FrameCodec, RoundTripsFramesFedByteByByte) {
  std::string stream;
  AppendFrame("hello", &stream);
  AppendFrame("", &stream);
  AppendFrame(std::string(300, 'x'), &stream);
  FrameDecoder dec;
  std::vector<std::string> got;
  std::string body;
  for (char c : stream) {
    dec.Feed(&c, 1);
    while (dec.Next(&body) == FrameDecoder::Result::kFrame) got.push_back(body);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "hello");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2], std::string(300, 'x'));
}

TEST(FrameCodec, RejectsOversizedFrameFromHeaderAlone) {
  FrameDecoder dec(/*max_frame_bytes=*/16);
  const char header[4] = {0, 0, 0, 17};
  dec.Feed(header, 4);
  std::string body;
  EXPECT_EQ(dec.Next(&body), FrameDecoder::Result::kTooLarge);
}

TEST(FrameCodec, WaitsForTheWholeBody) {
  std::string stream;
  AppendFrame("abcdef", &stream);
  FrameDecoder dec;
  dec.Feed(stream.data(), stream.size() - 1);
  std::string body;
  EXPECT_EQ(dec.Next(&body), FrameDecoder::Result::kNeedMore);
  dec.Feed(stream.data() + stream.size() - 1, 1);
  EXPECT_EQ(dec.Next(&body), FrameDecoder::Result::kFrame);
  EXPECT_EQ(body, "abcdef");
}

}  // namespace
}  // namespace msgbed
