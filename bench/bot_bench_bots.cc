#include "bot_bench_bots.h"

#include <cstdlib>

#include "bot_bench_error.h"

namespace msgbed::live {

std::string BenchText(uint64_t i) {
  std::string text = "bench message " + std::to_string(i) + " ";
  text.resize(100, 'x');
  return text;
}

Request SendRequest(const BotAccount& from, uint64_t chat, uint64_t i) {
  return PostJson("/bot" + from.token + "/sendMessage",
                  "{\"chat_id\":" + std::to_string(chat) + ",\"text\":\"" + BenchText(i) + "\"}");
}

Request UpdatesRequest(const BotAccount& bot, uint32_t limit, uint32_t timeout) {
  return Get("/bot" + bot.token + "/getUpdates?offset=" + std::to_string(bot.offset) +
             "&limit=" + std::to_string(limit) + "&timeout=" + std::to_string(timeout));
}

uint64_t TakeUpdates(BotAccount& bot, const std::string& body, Senders from) {
  static const std::string kId = "\"update_id\":";
  uint64_t n = 0;
  size_t begin = 0;
  for (size_t at = body.find(kId); at != std::string::npos; at = body.find(kId, begin)) {
    const uint64_t id = std::stoull(body.substr(at + kId.size(), 24));
    if (bot.offset != 0 && id != bot.offset) {
      throw BenchError(bot.name + " got update " + std::to_string(id) + ", expected " + std::to_string(bot.offset));
    }
    const std::string_view update = std::string_view(body).substr(begin, at - begin);
    const uint64_t sender = SenderOf(update);
    if (sender < from.first || sender > from.last) {
      throw BenchError(bot.name + " got an update not from users " + std::to_string(from.first) + ".." +
                       std::to_string(from.last) + ": " + std::string(update.substr(0, 300)));
    }
    bot.offset = id + 1;
    begin = at + kId.size();
    ++n;
  }
  return n;
}

uint64_t SenderOf(std::string_view update) {
  const size_t from = update.find("\"from\":{");
  if (from == std::string_view::npos) return 0;
  static const std::string_view kId = "\"id\":";
  const size_t id = update.find(kId, from);
  if (id == std::string_view::npos) return 0;
  return std::strtoull(std::string(update.substr(id + kId.size(), 24)).c_str(), nullptr, 10);
}

}  // namespace msgbed::live
