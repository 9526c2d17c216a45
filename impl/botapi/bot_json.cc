#include "botapi/bot_json.h"

#include <cctype>
#include <charconv>

#include "core/sha256.h"

namespace msgbed::botjson {

namespace {

int64_t Seconds(int64_t date_us) { return date_us / 1'000'000; }

}  // namespace

bool ParseInt(const std::string& text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

Json UserJson(uint64_t id, const auth::Profile* profile) {
  Json u = {{"id", id}, {"is_bot", profile != nullptr && profile->bot()}};
  // first_name is required by the Bot API: an unknown user still gets one.
  u["first_name"] = profile && !profile->first_name().empty() ? profile->first_name() : "User " + std::to_string(id);
  if (profile && !profile->last_name().empty()) u["last_name"] = profile->last_name();
  if (profile && !profile->username().empty()) u["username"] = profile->username();
  return u;
}

Json PrivateChatJson(uint64_t user, const auth::Profile* profile) {
  Json chat = UserJson(user, profile);
  chat.erase("is_bot");
  chat["type"] = "private";
  return chat;
}

Json GroupChatJson(uint64_t chat_id, const std::string& title) {
  Json chat = {{"id", -static_cast<int64_t>(chat_id)}, {"type", "group"}};
  if (!title.empty()) chat["title"] = title;
  return chat;
}

namespace {

std::string Base64Url(const std::string& bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = acc << 8 | c;
    for (bits += 8; bits >= 6; bits -= 6) out.push_back(kAlphabet[(acc >> (bits - 6)) & 63]);
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> FromBase64Url(const std::string& text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-'             ? 62
            : c == '_'             ? 63
                                   : -1;
    if (v < 0) return std::nullopt;
    acc = acc << 6 | static_cast<uint32_t>(v);
    if ((bits += 6) >= 8) out.push_back(static_cast<char>((acc >> (bits -= 8)) & 255));
  }
  return out;
}

bool WordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void AddServiceFields(const api::Message& m, const Profiles& profiles, Json& out) {
  switch (m.action()) {
    case api::ACTION_CHAT_CREATE:
      out["group_chat_created"] = true;
      out["chat"]["title"] = m.text();
      break;
    case api::ACTION_ADD_USER:
      out["new_chat_members"] = Json::array({UserJson(m.action_user(), profiles(m.action_user()))});
      break;
    case api::ACTION_DELETE_USER: out["left_chat_member"] = UserJson(m.action_user(), profiles(m.action_user())); break;
    default: break;
  }
}

}  // namespace

// The entities Telegram's server finds in a text: bot commands
// ("/start", "/start@some_bot") and mentions ("@name") at the start of a
// word. Offsets and lengths count UTF-16 code units, as the Bot API's do.
Json EntitiesOf(const std::string& text) {
  Json out = Json::array();
  size_t units = 0;  // UTF-16 units before text[i]
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool word_start = i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1]));
    if (word_start && (c == '/' || c == '@')) {
      size_t end = i + 1;
      while (end < text.size() && WordChar(text[end])) ++end;
      if (c == '/' && end < text.size() && text[end] == '@') {
        size_t at = end + 1;
        while (at < text.size() && WordChar(text[at])) ++at;
        if (at > end + 1) end = at;
      }
      const size_t length = end - i;  // ASCII only: one unit a byte
      if (length > 1 && (c == '@' ? length >= 5 : length <= 65)) {
        out.push_back({{"type", c == '/' ? "bot_command" : "mention"}, {"offset", units}, {"length", length}});
      }
      units += length;
      i = end;
      continue;
    }
    // A UTF-8 sequence: 4 bytes are two UTF-16 units, shorter ones one.
    const size_t bytes = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    units += bytes == 4 ? 2 : 1;
    i += bytes;
  }
  return out;
}

std::string FileIdOf(const api::Document& d) {
  api::Document named = d;
  named.clear_file_reference();
  named.clear_file_reference_expires_us();
  return Base64Url(named.SerializeAsString());
}

std::optional<api::Document> DocumentOfFileId(const std::string& file_id) {
  api::Document d;
  const auto bytes = file_id.size() <= 1024 ? FromBase64Url(file_id) : std::nullopt;
  if (!bytes || !d.ParseFromString(*bytes) || d.sha256().size() != 32 || d.id() == 0) return std::nullopt;
  return d;
}

bool ParseBool(const std::string& text) { return text == "true" || text == "True" || text == "1"; }

Json MessageJson(const api::Message& m, const Profiles& profiles, const Titles& titles) {
  Json out = {{"message_id", m.id()}, {"date", Seconds(m.date_us())}};
  out["from"] = UserJson(m.from_user(), profiles(m.from_user()));
  out["chat"] = m.chat_id() != 0 ? GroupChatJson(m.chat_id(), titles ? titles(m.chat_id()) : "")
                                 : PrivateChatJson(m.peer_user(), profiles(m.peer_user()));
  if (m.action() != api::ACTION_NONE) {
    AddServiceFields(m, profiles, out);
    return out;
  }
  if (m.has_document()) {
    out["document"] = {{"file_id", FileIdOf(m.document())},
                       {"file_unique_id", std::to_string(m.document().id())},
                       {"file_size", m.document().size()}};
    if (!m.document().name().empty()) out["document"]["file_name"] = m.document().name();
    if (!m.document().mime_type().empty()) out["document"]["mime_type"] = m.document().mime_type();
    if (!m.text().empty()) out["caption"] = m.text();
  } else {
    out["text"] = m.text();
    if (Json entities = EntitiesOf(m.text()); !entities.empty()) out["entities"] = std::move(entities);
  }
  if (m.edit_date_us() != 0) out["edit_date"] = Seconds(m.edit_date_us());
  if (m.fwd_from_user() != 0) {
    out["forward_origin"] = {{"type", "user"},
                             {"date", Seconds(m.fwd_date_us())},
                             {"sender_user", UserJson(m.fwd_from_user(), profiles(m.fwd_from_user()))}};
    out["forward_from"] = out["forward_origin"]["sender_user"];
    out["forward_date"] = Seconds(m.fwd_date_us());
  }
  if (m.reply_to_id() != 0) {
    // The Bot API gives the whole message replied to; msgbed's box entry
    // names it only, so the bot gets its id and chat.
    out["reply_to_message"] = {{"message_id", m.reply_to_id()}, {"chat", out["chat"]}, {"date", 0}};
  }
  if (!m.reply_markup().empty()) {
    Json markup = Json::parse(m.reply_markup(), nullptr, false);
    if (!markup.is_discarded()) out["reply_markup"] = std::move(markup);
  }
  return out;
}

// Invalid UTF-8 never reaches here (texts and names are checked when
// stored); should it, it is replaced rather than thrown.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string OkBody(const Json& result) { return Dump(Json{{"ok", true}, {"result", result}}); }

std::string ErrorBody(uint32_t code, const std::string& description, uint32_t retry_after_s) {
  Json body = {{"ok", false}, {"error_code", code}, {"description", description}};
  if (retry_after_s > 0) body["parameters"] = {{"retry_after", retry_after_s}};
  return Dump(body);
}

}  // namespace msgbed::botjson
