#include "live/terminal_secrets.h"

#include <sodium.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "live/terminal_commands.h"

namespace msgbed::live {
namespace {

std::string OsRandom(size_t n) {
  std::string s(n, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

}  // namespace

TerminalSecrets::TerminalSecrets(Device* device, std::function<void()> refused)
    : refused_(std::move(refused)), chats_(device, &OsRandom, this) {}

bool TerminalSecrets::Command(const std::string& line) {
  std::istringstream in(line);
  std::string verb, target, rest;
  in >> verb >> target;
  std::getline(in >> std::ws, rest);
  static const char* kVerbs[] = {"/secret", "/accept", "/fingerprint", "/s", "/timer", "/discard"};
  if (std::find(std::begin(kVerbs), std::end(kVerbs), verb) == std::end(kVerbs)) return false;
  const std::optional<uint64_t> id = ParseId(target);
  if (!id) {
    Refuse(verb == "/secret" ? "/secret <user>"
                             : verb + " <chat>" +
                                   (verb == "/s"       ? " <text>"
                                    : verb == "/timer" ? " <seconds>"
                                                       : ""));
  } else if (verb == "/secret") {
    chats_.Start(*id);
  } else if (verb == "/accept") {
    if (!chats_.Accept(*id)) Refuse("/accept <chat>: a request waiting on this device (" + target + " is not one)");
  } else if (verb == "/discard") {
    chats_.Discard(*id);
    std::cout << "* ending secret chat " << *id << "\n";
  } else if (verb == "/fingerprint") {
    const std::string hex = chats_.FingerprintHex(*id);
    if (hex.empty()) return Refuse("no secret chat " + target + " with an agreed key"), true;
    std::cout << "* fingerprint of secret chat " << *id << ": " << hex << "  " << Joined(chats_.FingerprintEmoji(*id))
              << "\n";
  } else if (verb == "/s") {
    if (rest.empty() || !chats_.Send(*id, rest)) {
      Refuse("/s <chat> <text of at most 16 KiB>, in a secret chat that is ready");
    }
  } else {
    const std::optional<uint64_t> seconds = rest == "0" ? std::optional<uint64_t>(0) : ParseId(rest);
    if (!seconds || *seconds > 7 * 24 * 3600 || !chats_.SetTimer(*id, static_cast<uint32_t>(*seconds))) {
      Refuse("/timer <chat> <seconds, at most a week>, in a secret chat that is ready");
    } else {
      std::cout << "* texts you send in secret chat " << *id
                << (*seconds == 0 ? " no longer self-destruct"
                                  : " now self-destruct after " + std::to_string(*seconds) + " s")
                << "\n";
    }
  }
  return true;
}

void TerminalSecrets::OnRequest(SecretChats&, const api::EncryptedChat& chat) {
  std::cout << "* user " << chat.admin_user() << " asks for secret chat " << chat.id() << ": /accept " << chat.id()
            << " or /discard " << chat.id() << "\n";
}

void TerminalSecrets::OnStarted(SecretChats&, const api::EncryptedChat& chat) {
  std::cout << "* asked user " << chat.participant_user() << " for secret chat " << chat.id()
            << "; waiting for one of their devices\n";
}

void TerminalSecrets::OnReady(SecretChats&, uint64_t chat) {
  std::cout << "* secret chat " << chat
            << " is ready; compare its fingerprint with the other side: " << chats_.FingerprintHex(chat) << "  "
            << Joined(chats_.FingerprintEmoji(chat)) << "\n";
}

void TerminalSecrets::OnMessage(SecretChats&, const SecretChats::Message& m) {
  if (m.mine) return;
  std::cout << "[secret " << m.chat << "] " << Printable(m.text);
  if (m.ttl_s > 0) std::cout << "   (self-destructs in " << m.ttl_s << " s)";
  std::cout << "\n";
}

void TerminalSecrets::OnExpired(SecretChats&, const SecretChats::Message& m) {
  std::cout << "* a " << (m.mine ? "sent" : "received") << " text of secret chat " << m.chat << " self-destructed\n";
}

void TerminalSecrets::OnDiscarded(SecretChats&, uint64_t chat) {
  std::cout << "* secret chat " << chat << " was ended by the other side\n";
}

void TerminalSecrets::OnRejected(SecretChats&, uint64_t chat, const std::string& why) {
  std::cout << "* secret chat " << chat << ": refused " << why << "\n";
}

void TerminalSecrets::OnError(SecretChats&, const api::Error& e) {
  std::cout << "* secret chat: the server refused that: " << api::ErrorCode_Name(e.code()) << " (" << e.message()
            << "); not retried\n";
  refused_();
}

void TerminalSecrets::Refuse(const std::string& usage) {
  std::cout << "* usage: " << usage << "\n";
  refused_();
}

}  // namespace msgbed::live
