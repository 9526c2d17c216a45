#include "live/form_data.h"

#include <algorithm>
#include <cctype>

namespace msgbed::live {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A quoted-string starting at s[*i] == '"': unquoted into *out, *i past
// its closing quote. A backslash escapes the character after it.
bool ReadQuoted(std::string_view s, size_t* i, std::string* out) {
  for (size_t j = *i + 1; j < s.size(); ++j) {
    if (s[j] == '"') {
      *i = j + 1;
      return true;
    }
    if (s[j] == '\\' && j + 1 < s.size()) ++j;
    out->push_back(s[j]);
  }
  return false;
}

// RFC 5987's ext-value (`utf-8''a%20b`), as `filename*` carries it.
std::optional<std::string> DecodeExtValue(std::string_view v) {
  const size_t quote = v.find("''");
  if (quote == std::string_view::npos || Lower(v.substr(0, quote)) != "utf-8") return std::nullopt;
  std::string out;
  if (!PercentDecode(v.substr(quote + 2), false, &out)) return std::nullopt;
  return out;
}

// The headers of one part, CRLF-separated, into *part. "" or what is wrong.
std::string ReadPartHeaders(std::string_view headers, FormPart* part) {
  bool disposition = false;
  while (!headers.empty()) {
    const size_t eol = std::min(headers.find("\r\n"), headers.size());
    const std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(std::min(eol + 2, headers.size()));
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return "a multipart part has a malformed header";
    const std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-type") part->content_type = std::string(value);
    if (name != "content-disposition") continue;
    std::string type;
    std::vector<std::pair<std::string, std::string>> params;
    if (!ParseHeaderValue(value, &type, &params) || Lower(type) != "form-data") {
      return "a multipart part's Content-Disposition is not form-data";
    }
    disposition = true;
    for (const auto& p : params) {
      if (p.first == "name") part->name = p.second;
      if (p.first == "filename" && !part->filename) part->filename = p.second;
    }
    for (const auto& p : params) {  // filename* wins over filename (RFC 6266)
      if (p.first == "filename*") {
        if (auto decoded = DecodeExtValue(p.second)) part->filename = std::move(decoded);
      }
    }
  }
  if (!disposition) return "a multipart part has no Content-Disposition";
  if (part->name.empty()) return "a multipart part has no name";
  return "";
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c != '%') {
      out->push_back(c);
    } else {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return true;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 15]};
    }
  }
  return out;
}

bool ParseUrlEncoded(std::string_view text, std::vector<std::pair<std::string, std::string>>* out) {
  while (!text.empty()) {
    const size_t amp = std::min(text.find('&'), text.size());
    const std::string_view piece = text.substr(0, amp);
    text.remove_prefix(std::min(amp + 1, text.size()));
    if (piece.empty()) continue;
    const size_t eq = std::min(piece.find('='), piece.size());
    std::string key, value;
    if (!PercentDecode(piece.substr(0, eq), true, &key)) return false;
    if (eq < piece.size() && !PercentDecode(piece.substr(eq + 1), true, &value)) return false;
    out->emplace_back(std::move(key), std::move(value));
  }
  return true;
}

bool ParseHeaderValue(std::string_view text, std::string* value,
                      std::vector<std::pair<std::string, std::string>>* params) {
  const size_t semi = std::min(text.find(';'), text.size());
  *value = std::string(Trim(text.substr(0, semi)));
  size_t i = semi;
  while (i < text.size()) {
    ++i;  // past ';'
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size()) break;  // a trailing ';'
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) return false;
    std::string name = Lower(Trim(text.substr(i, eq - i)));
    i = eq + 1;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::string v;
    if (i < text.size() && text[i] == '"') {
      if (!ReadQuoted(text, &i, &v)) return false;
      while (i < text.size() && text[i] != ';') ++i;
    } else {
      const size_t end = std::min(text.find(';', i), text.size());
      v = std::string(Trim(text.substr(i, end - i)));
      i = end;
    }
    params->emplace_back(std::move(name), std::move(v));
  }
  return true;
}

std::string MediaType(std::string_view content_type) {
  return Lower(Trim(content_type.substr(0, std::min(content_type.find(';'), content_type.size()))));
}

std::optional<std::string> HeaderParam(std::string_view header_value, std::string_view name) {
  std::string value;
  std::vector<std::pair<std::string, std::string>> params;
  if (!ParseHeaderValue(header_value, &value, &params)) return std::nullopt;
  for (auto& p : params) {
    if (p.first == name) return std::move(p.second);
  }
  return std::nullopt;
}

// body: [preamble CRLF] "--B" CRLF part ( CRLF "--B" CRLF part )* CRLF "--B--" [epilogue],
// each part headers CRLF CRLF data; whitespace may follow a delimiter.
std::string ParseMultipart(std::string_view body, std::string_view boundary, std::vector<FormPart>* parts) {
  if (boundary.empty() || boundary.size() > 200) return "multipart/form-data needs a boundary of 1 to 200 characters";
  const std::string delimiter = "--" + std::string(boundary);
  const std::string between = "\r\n" + delimiter;
  size_t pos = body.substr(0, delimiter.size()) == delimiter ? 0 : body.find(between);
  if (pos == std::string_view::npos) return "the multipart body does not contain its boundary";
  if (pos != 0) pos += 2;
  for (;;) {
    size_t p = pos + delimiter.size();
    if (body.substr(p, 2) == "--") return "";  // the close delimiter; an epilogue is ignored
    while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p;
    if (body.substr(p, 2) != "\r\n") return "a multipart boundary line is malformed";
    p += 2;
    // A part without headers has no name: ReadPartHeaders refuses it.
    const size_t end = body.substr(p, 2) == "\r\n" ? p : body.find("\r\n\r\n", p);
    if (end == std::string_view::npos) return "a multipart part's headers do not end";
    FormPart part;
    if (std::string why = ReadPartHeaders(body.substr(p, end - p), &part); !why.empty()) return why;
    const size_t data_start = end + (end == p ? 2 : 4);
    const size_t data_end = body.find(between, data_start);
    if (data_end == std::string_view::npos) return "the multipart body is not terminated";
    part.data = body.substr(data_start, data_end - data_start);
    parts->push_back(std::move(part));
    pos = data_end + 2;
  }
}

}  // namespace msgbed::live
