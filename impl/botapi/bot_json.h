// The Bot API's objects as JSON (https://core.telegram.org/bots/api):
// what msgbed's messages, users and chats look like to a bot. Field names
// and types are the Bot API's; what msgbed does not have is left out, as
// the Bot API leaves out optional fields.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "proto/auth.pb.h"
#include "proto/client_api.pb.h"

namespace msgbed::botjson {

using Json = nlohmann::json;
// A user's public profile, or nullptr when it is not known.
using Profiles = std::function<const auth::Profile*(uint64_t user)>;
// A basic group's title, or "" when it is not known.
using Titles = std::function<std::string(uint64_t group)>;

Json UserJson(uint64_t id, const auth::Profile* profile);
// m as it stands in `bot`'s box.
Json MessageJson(const api::Message& m, const Profiles& profiles, const Titles& titles = {});
// A private chat with user, or a basic group.
Json PrivateChatJson(uint64_t user, const auth::Profile* profile);
Json GroupChatJson(uint64_t chat_id, const std::string& title);

// A whole decimal integer (a parameter's value).
bool ParseInt(const std::string& text, int64_t* out);
// Compact JSON text.
std::string Dump(const Json& j);
// The entities Telegram's server finds in a text: bot commands and
// mentions at word starts, offsets in UTF-16 units.
Json EntitiesOf(const std::string& text);
// A file_id is the document (without its expiring file reference) in
// base64url: any holder may send it again or fetch it.
std::string FileIdOf(const api::Document& d);
std::optional<api::Document> DocumentOfFileId(const std::string& file_id);
// A boolean parameter: "true", "True" or "1".
bool ParseBool(const std::string& text);
// {"ok":true,"result":...}
std::string OkBody(const Json& result);
// {"ok":false,"error_code":code,"description":...} (with
// parameters.retry_after for 429).
std::string ErrorBody(uint32_t code, const std::string& description, uint32_t retry_after_s = 0);

}  // namespace msgbed::botjson
