// What a line typed into the terminal client means: a chat line
// (`@<user> <text>`, `#<group> <text>`, `!<channel> <text>`) or a command
// (/sessions, /password, /group, ...). Parsing only; the client
// (terminal_client.h) sends what these return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "proto/client_api.pb.h"

namespace msgbed::live {

// The largest id a typed line may name.
inline constexpr uint64_t kMaxTypedId = (uint64_t{1} << 63) - 1;

// A parsed `@<user> <text>` (private), `#<group> <text>` or `!<channel>
// <text>` line.
struct ChatLine {
  enum Kind { kUser, kGroup, kChannel };
  uint64_t peer;
  std::string text;
  Kind kind = kUser;
};
// nullopt unless line is `@`, `#` or `!`, an id (1 to 2^63-1, digits
// only), one or more spaces, and non-empty text.
std::optional<ChatLine> ParseChatLine(const std::string& line);

// text as the terminal shows what others wrote: control characters
// (escape sequences, bells, carriage returns) as '?', so that a message
// cannot drive the reader's terminal.
std::string Printable(std::string text);

// An id as typed: digits only, 1 to kMaxTypedId.
std::optional<uint64_t> ParseId(const std::string& word);

// The frame of a command, or nullopt if line is not exactly one. Account:
// /sessions, /terminate <device>, /password <current|-> <new|-> [email].
// Chats: /group <title> <user>..., /add <group> <user>, /remove <group>
// <user>, /channel <title> [supergroup], /join <channel>, /leave
// <channel>, /edit <id> <text...>, /delete <id> (for everyone), /read
// @<user>|#<group>. Ids are digits only; passwords and titles single words
// ("-" for no password). Creates come with random_id 0: the caller picks one.
std::optional<api::ClientFrame> ParseAccountCommand(const std::string& line);

}  // namespace msgbed::live
