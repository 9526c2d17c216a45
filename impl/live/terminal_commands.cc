#include "live/terminal_commands.h"

#include <sstream>
#include <vector>

namespace msgbed::live {

std::string Printable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text;
}

std::optional<uint64_t> ParseId(const std::string& word) {
  if (word.empty() || word.size() > 19 || word.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const uint64_t id = std::stoull(word);
  if (id == 0 || id > kMaxTypedId) return std::nullopt;
  return id;
}

namespace {

// "@5", "#5" or "!5": a user, a group or a channel, and its id.
struct Peer {
  char kind;
  uint64_t id;
};
std::optional<Peer> ParsePeer(const std::string& word) {
  if (word.size() < 2 || std::string_view("@#!").find(word[0]) == std::string_view::npos) return std::nullopt;
  const auto id = ParseId(word.substr(1));
  if (!id) return std::nullopt;
  return Peer{word[0], *id};
}

// /forward [!<channel>] <id> <@user|#group|!channel>: false if malformed.
bool ParseForward(const std::vector<std::string>& w, api::ForwardMessage* fwd) {
  const size_t n = w.size();
  if (n != 3 && n != 4) return false;
  const auto from = n == 4 ? ParsePeer(w[1]) : Peer{'!', 0};
  const auto id = ParseId(w[n - 2]);
  const auto to = ParsePeer(w[n - 1]);
  if (!from || from->kind != '!' || !id || !to) return false;
  fwd->set_from_channel_id(from->id);
  fwd->set_id(*id);
  if (to->kind == '@') fwd->set_peer_user(to->id);
  if (to->kind == '#') fwd->set_chat_id(to->id);
  if (to->kind == '!') fwd->set_channel_id(to->id);
  return true;
}

// /read @<user> | #<group> | !<channel> <id>: false if malformed.
bool ParseRead(const std::vector<std::string>& w, api::ReadHistory* read) {
  const auto peer = w.size() >= 2 ? ParsePeer(w[1]) : std::nullopt;
  if (!peer || w.size() != (peer->kind == '!' ? 3u : 2u)) return false;
  if (peer->kind == '@') read->set_peer_user(peer->id);
  if (peer->kind == '#') read->set_chat_id(peer->id);
  if (peer->kind != '!') return true;
  const auto max_id = ParseId(w[2]);
  read->set_channel_id(peer->id);
  read->set_max_id(max_id.value_or(0));
  return max_id.has_value();
}

// /history @<user> | #<group> | !<channel> [before id]: false if malformed.
bool ParseHistory(const std::vector<std::string>& w, api::GetHistory* history) {
  const auto peer = w.size() == 2 || w.size() == 3 ? ParsePeer(w[1]) : std::nullopt;
  const auto before = w.size() == 3 ? ParseId(w[2]) : std::optional<uint64_t>(0);
  if (!peer || !before) return false;
  if (peer->kind == '@') history->set_peer_user(peer->id);
  if (peer->kind == '#') history->set_chat_id(peer->id);
  if (peer->kind == '!') history->set_channel_id(peer->id);
  history->set_offset_id(*before);
  return true;
}

// The chat commands of ParseAccountCommand; false if words are not one.
bool ParseChatCommand(const std::vector<std::string>& w, const std::string& line, api::ClientFrame* f) {
  const size_t n = w.size();
  auto id = [&](size_t i) { return i < n ? ParseId(w[i]) : std::nullopt; };
  if (w[0] == "/group" && n >= 3) {
    f->mutable_create_chat()->set_title(w[1]);
    for (size_t i = 2; i < n; ++i) {
      if (!id(i)) return false;
      f->mutable_create_chat()->add_users(*id(i));
    }
  } else if ((w[0] == "/add" || w[0] == "/remove") && n == 3 && id(1) && id(2)) {
    auto* r = w[0] == "/add" ? f->mutable_add_chat_user() : nullptr;
    if (r) {
      r->set_chat_id(*id(1));
      r->set_user_id(*id(2));
    } else {
      f->mutable_delete_chat_user()->set_chat_id(*id(1));
      f->mutable_delete_chat_user()->set_user_id(*id(2));
    }
  } else if (w[0] == "/channel" && (n == 2 || (n == 3 && w[2] == "supergroup"))) {
    f->mutable_create_channel()->set_title(w[1]);
    f->mutable_create_channel()->set_broadcast(n == 2);
  } else if (w[0] == "/join" && n == 2 && id(1)) {
    f->mutable_join_channel()->set_channel_id(*id(1));
  } else if (w[0] == "/leave" && n == 2 && id(1)) {
    f->mutable_leave_channel()->set_channel_id(*id(1));
  } else if (w[0] == "/edit" && n >= 3 && id(1)) {
    f->mutable_edit_message()->set_id(*id(1));
    f->mutable_edit_message()->set_text(line.substr(line.find_first_not_of(' ', line.find(w[1]) + w[1].size())));
  } else if (w[0] == "/delete" && n == 2 && id(1)) {
    f->mutable_delete_messages()->add_ids(*id(1));
    f->mutable_delete_messages()->set_revoke(true);
  } else if (w[0] == "/read") {
    return ParseRead(w, f->mutable_read_history());
  } else if (w[0] == "/forward") {
    return ParseForward(w, f->mutable_forward_message());
  } else if (w[0] == "/history") {
    return ParseHistory(w, f->mutable_get_history());
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::optional<ChatLine> ParseChatLine(const std::string& line) {
  if (line.size() < 2) return std::nullopt;
  const std::string kinds = "@#!";
  const size_t kind = kinds.find(line[0]);
  if (kind == std::string::npos) return std::nullopt;
  const size_t end = line.find(' ');
  if (end == std::string::npos) return std::nullopt;
  const auto peer = ParseId(line.substr(1, end - 1));
  if (!peer) return std::nullopt;
  const size_t text = line.find_first_not_of(' ', end);
  if (text == std::string::npos) return std::nullopt;
  return ChatLine{*peer, line.substr(text), static_cast<ChatLine::Kind>(kind)};
}

std::optional<api::ClientFrame> ParseAccountCommand(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  api::ClientFrame f;
  if (words.empty()) return std::nullopt;
  if (words.size() == 1 && words[0] == "/sessions") {
    f.mutable_get_authorizations();
  } else if (words.size() == 2 && words[0] == "/terminate" && words[1].size() <= 19 &&
             words[1].find_first_not_of("0123456789") == std::string::npos) {
    f.mutable_reset_authorization()->set_device_id(std::stoull(words[1]));
  } else if (words.size() <= 2 && words[0] == "/push") {
    f.mutable_register_device()->set_token(words.size() == 2 ? words[1] : "");  // none: unregister
  } else if ((words.size() == 3 || (words.size() == 4 && words[3].find('@') != std::string::npos)) &&
             words[0] == "/password") {  // a fourth word is a recovery email, not more of a password
    f.mutable_update_password()->set_current(words[1] == "-" ? "" : words[1]);
    f.mutable_update_password()->set_new_password(words[2] == "-" ? "" : words[2]);
    if (words.size() == 4) f.mutable_update_password()->set_email(words[3]);
  } else if (!ParseChatCommand(words, line, &f)) {
    return std::nullopt;
  }
  return f;
}

}  // namespace msgbed::live
