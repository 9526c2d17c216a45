#include "live/terminal_buttons.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "live/terminal_commands.h"

namespace msgbed::live {

std::string TerminalButtons::Noted(const api::Message& m) {
  if (m.reply_markup().empty()) return "";
  const auto markup = nlohmann::json::parse(m.reply_markup(), nullptr, false);
  if (!markup.is_object() || !markup.contains("inline_keyboard") || !markup["inline_keyboard"].is_array()) return "";
  Keyboard keyboard{m, {}};
  std::string shown = "\n    buttons:";
  uint32_t n = 0;
  for (const auto& row : markup["inline_keyboard"]) {
    for (const auto& b : row.is_array() ? row : nlohmann::json::array()) {
      if (!b.is_object() || !b.contains("text") || !b["text"].is_string()) continue;
      const Button button{b["text"], b.value("callback_data", "")};
      shown += " [" + std::to_string(++n) + " " + button.text + (button.data.empty() ? " (link)" : "") + "]";
      keyboard.buttons[n] = button;
    }
  }
  if (n == 0) return "";
  keyboards_[m.id()] = std::move(keyboard);
  if (keyboards_.size() > 1000) keyboards_.erase(keyboards_.begin());
  return shown + "   (/press " + std::to_string(m.id()) + " <n>)";
}

std::optional<api::ClientFrame> TerminalButtons::Press(const std::string& line, std::string* why) const {
  std::istringstream in(line);
  std::string command, id_word, n_word, extra;
  in >> command >> id_word >> n_word;
  why->clear();
  if (command != "/press") return std::nullopt;
  const auto id = ParseId(id_word), n = ParseId(n_word);
  if (!id || !n || (in >> extra)) return *why = "usage: /press <message id> <button number>", std::nullopt;
  auto k = keyboards_.find(*id);
  if (k == keyboards_.end()) return *why = "message " + id_word + " has no buttons here", std::nullopt;
  auto b = k->second.buttons.find(static_cast<uint32_t>(*n));
  if (b == k->second.buttons.end()) return *why = "message " + id_word + " has no button " + n_word, std::nullopt;
  if (b->second.data.empty()) return *why = "that button is a link, not for the bot", std::nullopt;
  api::ClientFrame f;
  api::GetBotCallbackAnswer* press = f.mutable_get_bot_callback_answer();
  const api::Message& m = k->second.message;
  press->set_bot(m.from_user());
  press->set_chat_id(m.chat_id());
  press->set_message_id(m.id());
  press->set_origin_id(m.origin_id());
  press->set_data(b->second.data);
  return f;
}

bool TerminalButtons::OnFrame(const api::ServerFrame& frame) {
  if (!frame.has_bot_callback_answer()) return false;
  const api::BotCallbackAnswer& a = frame.bot_callback_answer();
  std::cout << "* the bot answered" << (a.alert() ? " (alert)" : "") << ": "
            << (a.message().empty() ? "(nothing)" : a.message()) << (a.url().empty() ? "" : " " + a.url()) << "\n";
  return true;
}

}  // namespace msgbed::live
