// TerminalButtons: a bot's inline keyboards in the terminal client
// (docs/bots.md). A message with one is shown with its buttons numbered;
// `/press <id> <n>` presses button n of message id, and the bot's answer
// (answerCallbackQuery) is printed when it comes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "proto/client_api.pb.h"

namespace msgbed::live {

class TerminalButtons {
 public:
  // A message arrived: remembered if it has buttons. Its line's suffix
  // ("" without them).
  std::string Noted(const api::Message& m);
  // The request for a `/press` line, or nullopt with *why set when the
  // line is one but cannot be carried out; nullopt with *why empty when
  // the line is not a /press.
  std::optional<api::ClientFrame> Press(const std::string& line, std::string* why) const;
  // A frame answering a press: printed, true; false for any other.
  static bool OnFrame(const api::ServerFrame& frame);

 private:
  struct Button {
    std::string text, data;
  };
  struct Keyboard {
    api::Message message;
    std::map<uint32_t, Button> buttons;  // numbered from 1
  };
  std::map<uint64_t, Keyboard> keyboards_;  // message id -> its keyboard (the newest 1,000)
};

}  // namespace msgbed::live
