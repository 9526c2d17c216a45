// TerminalSecrets: the terminal client's secret chats (docs/secret-chats.md),
// end to end between this device and one device of another user:
//   /secret <user>            ask for a secret chat
//   /accept <chat>            accept one asked of this user (/discard declines)
//   /fingerprint <chat>       the key's fingerprint, to compare with the other side
//   /s <chat> <text>          send text in it
//   /timer <chat> <seconds>   texts sent from now on self-destruct (0: off)
//   /discard <chat>           end it on both sides
// Secret chats live in this process only: after a restart they are gone,
// as on a reinstalled phone, and one the server still has is ended (the
// other side is told). Control characters in a received text are shown
// as '?', so a peer cannot drive the terminal.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "client/secret_chats.h"

namespace msgbed::live {

class TerminalSecrets final : public SecretChats::Observer {
 public:
  // refused() runs for a command that is not carried out (a line not sent).
  TerminalSecrets(Device* device, std::function<void()> refused);

  // Handles a typed line if it is a secret-chat command; false if it is not one.
  bool Command(const std::string& line);
  // Takes every frame; true if it was the secret chats' (SecretChats::OnFrame).
  bool OnFrame(const api::ServerFrame& frame) { return chats_.OnFrame(frame); }
  // Up to date again: fetch what was queued meanwhile.
  void OnSynced() { chats_.Sync(); }

 private:
  void OnRequest(SecretChats&, const api::EncryptedChat& chat) override;
  void OnStarted(SecretChats&, const api::EncryptedChat& chat) override;
  void OnReady(SecretChats&, uint64_t chat) override;
  void OnMessage(SecretChats&, const SecretChats::Message& m) override;
  void OnExpired(SecretChats&, const SecretChats::Message& m) override;
  void OnDiscarded(SecretChats&, uint64_t chat) override;
  void OnRejected(SecretChats&, uint64_t chat, const std::string& why) override;
  void OnError(SecretChats&, const api::Error& e) override;
  void Refuse(const std::string& usage);

  std::function<void()> refused_;
  SecretChats chats_;
};

}  // namespace msgbed::live
