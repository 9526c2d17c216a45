// The bench's bots as the server sees them: their accounts, the requests
// they send (bot_bench_http.h) and the updates they read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bot_bench_http.h"

namespace msgbed::live {

// A bot: its id and token, and the next update it has not read.
struct BotAccount {
  std::string name;
  uint64_t id = 0;
  std::string token;
  uint64_t offset = 0;
};

// Users first..last: who may send the updates a bot reads.
struct Senders {
  uint64_t first = 0, last = 0;
};

// A 100-byte text without '/' or '@' (no entities to find), numbered i.
std::string BenchText(uint64_t i);
// sendMessage of BenchText(i) from `from` to chat, as JSON.
Request SendRequest(const BotAccount& from, uint64_t chat, uint64_t i);
// getUpdates from bot.offset.
Request UpdatesRequest(const BotAccount& bot, uint32_t limit, uint32_t timeout);

// The updates of a getUpdates answer: checks that their ids follow on from
// the bot's offset and that each is a message from one of `from`, and
// moves the offset on; throws BenchError otherwise. By text search, not a
// JSON parse: the drain times this client too. An update is
// {"message":{..., "from":{..., "id":N, ...}, ...},"update_id":N} (keys in
// order).
uint64_t TakeUpdates(BotAccount& bot, const std::string& body, Senders from);
// The id of an update's "from" user; 0 if it names none.
uint64_t SenderOf(std::string_view update);

}  // namespace msgbed::live
