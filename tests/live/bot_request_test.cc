// HTTP requests to the Bot API server as its core gets them (BotCall):
// every way the Bot API takes parameters, and the 400s for what it refuses.
#include "live/bot_request.h"

#include <gtest/gtest.h>

#include "live/form_data.h"

namespace msgbed::live {
namespace {

// The call, or the refusal's text if it was refused.
struct Parsed {
  api::BotCall call;
  std::string error;
};

Parsed Parse(std::string_view method, std::string_view target, std::string_view content_type = "",
             std::string_view body = "") {
  Parsed p;
  p.error = ParseBotCall({method, target, content_type, body}, &p.call);
  return p;
}

std::string Param(const Parsed& p, const std::string& name) {
  const auto it = p.call.params().find(name);
  return it == p.call.params().end() ? "<absent>" : it->second;
}

TEST(BotRequest, AGetTakesItsQueryAndAPercentDecodedPath) {
  const Parsed p = Parse("GET", "/bot12%3Aab/getUpdates?offset=5&timeout=%33&limit&allowed=a+b#frag");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.call.http_method(), "GET");
  EXPECT_EQ(p.call.path(), "/bot12:ab/getUpdates");
  EXPECT_EQ(Param(p, "offset"), "5");
  EXPECT_EQ(Param(p, "timeout"), "3");
  EXPECT_EQ(Param(p, "limit"), "");
  EXPECT_EQ(Param(p, "allowed"), "a b") << "'+' is a space in a query";
  EXPECT_FALSE(p.call.operator_()) << "the transport decides that, not the parser";
  EXPECT_EQ(Parse("GET", "/a+b").call.path(), "/a+b") << "but not in a path";
  EXPECT_EQ(Parse("GET", "http://bots.example:8081/botX/getMe?x=1").call.path(), "/botX/getMe");
  EXPECT_EQ(Parse("GET", "*").error, "the request target must be a path");
}

TEST(BotRequest, JsonValuesOtherThanStringsArriveAsTheirJsonText) {
  const Parsed p = Parse("POST", "/botX/sendMessage", "application/json; charset=utf-8",
                         R"({"chat_id": 12, "other_id": "12", "text": "hi \"you\"", "silent": true, "nothing": null,
                             "ratio": 1.5, "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
                             "entities": [], "big": -100123456789})");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(Param(p, "chat_id"), "12");
  EXPECT_EQ(Param(p, "other_id"), "12");
  EXPECT_EQ(Param(p, "text"), "hi \"you\"");
  EXPECT_EQ(Param(p, "silent"), "true");
  EXPECT_FALSE(p.call.params().contains("nothing"))
      << "null is a parameter not given (a hostile review found \"null\")";
  EXPECT_EQ(Param(p, "ratio"), "1.5");
  EXPECT_EQ(Param(p, "reply_markup"), R"({"inline_keyboard":[[{"callback_data":"a","text":"A"}]]})");
  EXPECT_EQ(Param(p, "entities"), "[]");
  EXPECT_EQ(Param(p, "big"), "-100123456789");
}

TEST(BotRequest, FormBodiesDecodeAndOverrideTheQuery) {
  const Parsed p = Parse("POST", "/botX/sendMessage?chat_id=1&text=query", "Application/X-WWW-Form-Urlencoded",
                         "chat_id=2&text=caf%C3%A9+au+lait&&parse_mode=HTML");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(Param(p, "chat_id"), "2") << "the body wins";
  EXPECT_EQ(Param(p, "text"), "café au lait");
  EXPECT_EQ(Param(p, "parse_mode"), "HTML");
  const Parsed json = Parse("POST", "/botX/m?chat_id=1&keep=q", "application/json", R"({"chat_id": 3})");
  EXPECT_EQ(Param(json, "chat_id"), "3");
  EXPECT_EQ(Param(json, "keep"), "q");
}

TEST(BotRequest, MultipartFieldsAreParamsAndPartsWithAFilenameAreFiles) {
  static const char kBody[] =
      "preamble\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"chat_id\"\r\n\r\n"
      "42\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"document\"; filename=\"a \\\"b\\\".txt\"\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "line 1\r\nline 2\r\n"
      "--XyZ  \r\n"
      "Content-Disposition: form-data; name=photo; filename=x.jpg; filename*=UTF-8''caf%C3%A9.jpg\r\n\r\n"
      "\xff\xd8\xff\x00"
      "\r\n--XyZ--\r\nepilogue";
  const std::string body(kBody, sizeof(kBody) - 1);
  const Parsed p = Parse("POST", "/botX/sendDocument?chat_id=1", "multipart/form-data; boundary=\"XyZ\"", body);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(Param(p, "chat_id"), "42");
  ASSERT_EQ(p.call.files_size(), 2);
  EXPECT_EQ(p.call.files(0).field(), "document");
  EXPECT_EQ(p.call.files(0).filename(), "a \"b\".txt");
  EXPECT_EQ(p.call.files(0).content_type(), "text/plain");
  EXPECT_EQ(p.call.files(0).bytes(), "line 1\r\nline 2");
  EXPECT_EQ(p.call.files(1).filename(), "café.jpg") << "filename* wins";
  EXPECT_EQ(p.call.files(1).content_type(), "");
  EXPECT_EQ(p.call.files(1).bytes(), std::string("\xff\xd8\xff\x00", 4)) << "file bytes are bytes";
}

TEST(BotRequest, AnEmptyBodyNeedsNoContentType) {
  EXPECT_EQ(Parse("POST", "/botX/getMe", "").error, "");
  EXPECT_EQ(Parse("POST", "/botX/getMe", "application/octet-stream").error, "");
}

TEST(BotRequest, WhatTheBotApiRefusesIsNamed) {
  const std::vector<std::pair<Parsed, std::string>> cases = {
      {Parse("POST", "/m", "application/json", "{\"a\": 1"), "can't parse JSON object (at byte 8)"},
      {Parse("POST", "/m", "application/json", "[1, 2]"), "the JSON body must be an object"},
      {Parse("POST", "/m", "application/json", "{\"a\": 1e999}"), "can't parse JSON object"},
      {Parse("POST", "/m", "application/json", "{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}"),
       "the JSON object is nested more than 64 deep"},
      {Parse("POST", "/m", "text/plain", "hello"), "unsupported Content-Type 'text/plain'"},
      {Parse("POST", "/m", "", "hello"), "a request body needs a Content-Type"},
      {Parse("GET", "/m?a=%zz"), "bad percent-encoding in the query string"},
      {Parse("GET", "/m?a=%4"), "bad percent-encoding in the query string"},
      {Parse("GET", "/m%"), "bad percent-encoding in the path"},
      {Parse("GET", "/m%ff"), "the path is not UTF-8"},
      {Parse("POST", "/m", "application/x-www-form-urlencoded", "a=%C3"), "a parameter in the body is not UTF-8"},
      {Parse("GET", "/m?%ff=1"), "a parameter in the query string is not UTF-8"},
      {Parse("POST", "/m", "multipart/form-data", "--x\r\n"), "multipart/form-data without a boundary"},
      {Parse("POST", "/m", "multipart/form-data; boundary=x", "no boundary here"),
       "the multipart body does not contain its boundary"},
      {Parse("POST", "/m", "multipart/form-data; boundary=x",
             "--x\r\nContent-Disposition: form-data; name=a\r\n\r\nunterminated"),
       "the multipart body is not terminated"},
      {Parse("POST", "/m", "multipart/form-data; boundary=x", "--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--"),
       "a multipart part has no Content-Disposition"},
      {Parse("POST", "/m", "multipart/form-data; boundary=x",
             "--x\r\nContent-Disposition: form-data; filename=f\r\n\r\nv\r\n--x--"),
       "a multipart part has no name"},
      {Parse("POST", "/m", "multipart/form-data; boundary=x",
             "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n\xc3\r\n--x--"),
       "multipart field 'a' is not UTF-8"},
      {Parse("POST", "/m", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=a"),
       "a multipart part's headers do not end"},
  };
  for (const auto& [parsed, error] : cases) EXPECT_EQ(parsed.error, error);
}

TEST(BotRequest, ErrorBodiesAreTheBotApisAndAlwaysJson) {
  EXPECT_EQ(BotErrorBody(400, "Bad Request: chat not found"),
            R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})");
  EXPECT_EQ(
      BotErrorBody(400, "Bad Request: unsupported Content-Type '\xff'"),
      "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: unsupported Content-Type '\xef\xbf\xbd'\"}");
}

TEST(FormData, PercentEncodingRoundTrips) {
  const std::string text = "a b&c=d/é+%~._-";
  std::string back;
  EXPECT_EQ(PercentEncode(text), "a%20b%26c%3Dd%2F%C3%A9%2B%25~._-");
  ASSERT_TRUE(PercentDecode(PercentEncode(text), true, &back));
  EXPECT_EQ(back, text);
  EXPECT_EQ(HeaderParam("multipart/form-data; charset=x; BOUNDARY=\"a;b\"", "boundary"), "a;b");
  EXPECT_EQ(MediaType(" Multipart/Form-Data ; boundary=x"), "multipart/form-data");
}

}  // namespace
}  // namespace msgbed::live
