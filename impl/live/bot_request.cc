#include "live/bot_request.h"

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "live/form_data.h"

namespace msgbed::live {

namespace {

using Params = google::protobuf::Map<std::string, std::string>;

// Deeper JSON is refused: nothing the Bot API takes nests further, and
// writing a value back out is recursive.
constexpr int kMaxJsonDepth = 64;

bool Utf8(std::string_view s) {
  size_t chars = 0;
  return ValidUtf8(s, &chars);
}

// Adds name=value unless either is not UTF-8; a later one replaces an earlier.
bool AddParam(std::string name, std::string value, Params* params) {
  if (!Utf8(name) || !Utf8(value)) return false;
  (*params)[std::move(name)] = std::move(value);
  return true;
}

std::string FormParams(std::string_view text, const std::string& where, Params* params) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!ParseUrlEncoded(text, &pairs)) return "bad percent-encoding in the " + where;
  for (auto& [name, value] : pairs) {
    if (!AddParam(std::move(name), std::move(value), params)) return "a parameter in the " + where + " is not UTF-8";
  }
  return "";
}

std::string JsonParams(std::string_view body, Params* params) {
  bool too_deep = false;
  const auto depth_bound = [&too_deep](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    const bool opens =
        event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
    if (opens && depth >= kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body.begin(), body.end(), depth_bound);
  } catch (const nlohmann::json::parse_error& e) {
    return "can't parse JSON object (at byte " + std::to_string(e.byte) + ")";
  } catch (const nlohmann::json::exception&) {  // a number out of range
    return "can't parse JSON object";
  }
  if (too_deep) return "the JSON object is nested more than " + std::to_string(kMaxJsonDepth) + " deep";
  if (!json.is_object()) return "the JSON body must be an object";
  for (const auto& item : json.items()) {
    if (item.value().is_null()) continue;  // null is "not given", as the Bot API reads it
    std::string value = item.value().is_string() ? item.value().get<std::string>() : item.value().dump();
    AddParam(item.key(), std::move(value), params);  // the JSON parser admits only UTF-8
  }
  return "";
}

std::string MultipartParams(std::string_view content_type, std::string_view body, api::BotCall* call) {
  const auto boundary = HeaderParam(content_type, "boundary");
  if (!boundary) return "multipart/form-data without a boundary";
  std::vector<FormPart> parts;
  if (std::string why = ParseMultipart(body, *boundary, &parts); !why.empty()) return why;
  for (auto& part : parts) {
    if (!part.filename) {
      if (!AddParam(part.name, std::string(part.data), call->mutable_params())) {
        return "multipart field '" + part.name + "' is not UTF-8";
      }
      continue;
    }
    if (!Utf8(part.name) || !Utf8(*part.filename) || !Utf8(part.content_type)) {
      return "a multipart file's name or type is not UTF-8";
    }
    api::BotFile* file = call->add_files();
    file->set_field(part.name);
    file->set_filename(*part.filename);
    file->set_content_type(part.content_type);
    file->set_bytes(std::string(part.data));
  }
  return "";
}

std::string BodyParams(std::string_view content_type, std::string_view body, api::BotCall* call) {
  if (body.empty()) return "";
  const std::string type = MediaType(content_type);
  if (type == "application/x-www-form-urlencoded") return FormParams(body, "body", call->mutable_params());
  if (type == "application/json") return JsonParams(body, call->mutable_params());
  if (type == "multipart/form-data") return MultipartParams(content_type, body, call);
  if (type.empty()) return "a request body needs a Content-Type";
  return "unsupported Content-Type '" + type + "'";
}

// The path of a request target (origin-form or absolute-form), and its query.
bool SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  if (const size_t scheme = target.find("://"); scheme != std::string_view::npos && target.front() != '/') {
    const size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || target.front() != '/') return false;
  target = target.substr(0, std::min(target.find('#'), target.size()));
  const size_t q = std::min(target.find('?'), target.size());
  *path = target.substr(0, q);
  *query = q < target.size() ? target.substr(q + 1) : std::string_view();
  return true;
}

}  // namespace

std::string ParseBotCall(const HttpRequestParts& request, api::BotCall* call) {
  call->set_http_method(std::string(request.method));
  std::string_view raw_path, query;
  if (!SplitTarget(request.target, &raw_path, &query)) return "the request target must be a path";
  std::string path;
  if (!PercentDecode(raw_path, false, &path)) return "bad percent-encoding in the path";
  if (!Utf8(path)) return "the path is not UTF-8";
  call->set_path(std::move(path));
  if (std::string why = FormParams(query, "query string", call->mutable_params()); !why.empty()) return why;
  return BodyParams(request.content_type, request.body, call);
}

std::string BotErrorBody(int code, std::string_view description) {
  const nlohmann::ordered_json body = {{"ok", false}, {"error_code", code}, {"description", std::string(description)}};
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace msgbed::live
