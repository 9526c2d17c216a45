// HttpCall: one HTTP/1.1 request on a connection of its own, waited for
// (with a deadline on the whole exchange). For tools that talk to a
// deployment's HTTP endpoints, such as `msgbed bot` to the Bot API server.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "live/config.h"

namespace msgbed::live {

struct HttpCallRequest {
  std::string method = "GET";
  std::string path = "/";
  // GET: in the query string; anything else: an
  // application/x-www-form-urlencoded body.
  std::vector<std::pair<std::string, std::string>> params;
  std::string bearer;  // sent as `Authorization: Bearer <bearer>` if set
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

struct HttpCallReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// IoError naming `to` when it cannot be reached, or the exchange fails or
// outlasts the timeout; any HTTP status is a success.
Status HttpCall(const Endpoint& to, const HttpCallRequest& request, HttpCallReply* reply);

}  // namespace msgbed::live
