// The encodings an HTTP request's parameters come in, as the Bot API's
// HTTP server reads them: percent-encoding (RFC 3986), form bodies
// (application/x-www-form-urlencoded), multipart/form-data (RFC 7578), and
// the parameters of header values such as Content-Type. Pure functions of
// their input: no I/O, nothing kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace msgbed::live {

// Decodes %XX escapes (and '+' as a space when plus_is_space, as forms
// do). False on a '%' not followed by two hex digits.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// Percent-encodes everything but RFC 3986's unreserved characters, for a
// query string or a form body.
std::string PercentEncode(std::string_view in);

// "a=1&b=x+y&c" -> (a, 1), (b, "x y"), (c, ""), in order; empty pieces
// are skipped. False on a bad escape.
bool ParseUrlEncoded(std::string_view text, std::vector<std::pair<std::string, std::string>>* out);

// A header value's parameters: `form-data; name="a b"; filename=x` ->
// (name, "a b"), (filename, x), names lowercased, quoted strings unquoted.
// *value is what precedes the first ';', trimmed. False on an unterminated
// quoted string or a parameter without '='.
bool ParseHeaderValue(std::string_view text, std::string* value,
                      std::vector<std::pair<std::string, std::string>>* params);

// Content-Type's media type, lowercased ("application/json"), and one of
// its parameters (nullopt if absent or the value is malformed).
std::string MediaType(std::string_view content_type);
std::optional<std::string> HeaderParam(std::string_view header_value, std::string_view name);

// One part of a multipart/form-data body. data points into the body.
struct FormPart {
  std::string name;
  std::optional<std::string> filename;  // set: a file, else a field
  std::string content_type;             // as sent; empty if none
  std::string_view data;
};

// Splits body at boundary (Content-Type's `boundary` parameter) into its
// parts. Returns "" on success, else what is wrong with the body.
std::string ParseMultipart(std::string_view body, std::string_view boundary, std::vector<FormPart>* parts);

}  // namespace msgbed::live
