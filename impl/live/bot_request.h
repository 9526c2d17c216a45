// An HTTP request to the Bot API server as its core sees it: an
// api::BotCall. Parameters come as the Telegram Bot API accepts them
// ("Making requests", https://core.telegram.org/bots/api): in the query
// string, and in a body that is application/x-www-form-urlencoded,
// application/json (a top-level object; values other than strings as their
// compact JSON text, so 12 and "12" both give "12") or multipart/form-data
// (parts with a filename become BotFiles). Body parameters override query
// ones of the same name. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "proto/client_api.pb.h"

namespace msgbed::live {

struct HttpRequestParts {
  std::string_view method;  // "GET"
  std::string_view target;  // "/path?query" (or absolute-form, "http://host/path?query")
  std::string_view content_type;
  std::string_view body;
};

// Fills call's http_method, path (without the query, percent-decoded),
// params and files; leaves operator alone. Returns "" on success, else what
// is wrong ("can't parse JSON object"), for a 400 "Bad Request: <what>".
// Names, values, paths and file names must be valid UTF-8.
std::string ParseBotCall(const HttpRequestParts& request, api::BotCall* call);

// The Bot API's error body: {"ok":false,"error_code":code,"description":...}
// (bytes that are not UTF-8 in description are replaced).
std::string BotErrorBody(int code, std::string_view description);

}  // namespace msgbed::live
