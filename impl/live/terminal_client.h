// The terminal client behind `msgbed client`: one device of one user,
// chatting through a gateway. It resumes the session kept in its session
// file; without one it signs in by phone: it asks for a code, and the next
// line typed is the code from the SMS (then a name for a new number, or
// the cloud password when the account has one), and keeps the new session
// in the file (mode 0600). Reads commands from stdin:
//   @<user> <text>            send text to user (a space after the user id)
//   /sessions                 list this user's sessions
//   /terminate <device>       end a session (0: every other one)
//   /password <current> <new> set, change or remove ("-" for none) the cloud password
//   /secret <user>, /accept, /fingerprint, /s, /timer, /discard: secret chats (terminal_secrets.h)
//   /quit                     leave
// and prints what arrives. Lines given before the device is signed in wait
// for it. What the server could not complete (TIMEOUT, UNAVAILABLE,
// INTERNAL, FLOOD_WAIT) is retried with a growing delay: sign-in, catch-up,
// sends (with the same random_id, at most 5 attempts); a connection lost
// after it was made is made again (at most 8 times in a row). At the end of
// its input it waits for every send to be answered, at most 60 s.
#pragma once

#include <cstdint>
#include <string>

#include "proto/client_api.pb.h"

namespace msgbed::live {

// Returns the process exit code: 0 after /quit, or at the end of input once
// every line was sent; 1 when the connection cannot be made or is lost for
// good, or a send failed.
struct ClientIdentity {
  std::string session_file;  // read at start, written at sign-in
  std::string phone;         // to sign in with when the file has no session
  std::string ca_file;       // TLS: the CA the gateway's certificate must chain to; empty: plain TCP
};
int RunTerminalClient(const std::string& host, uint16_t port, const ClientIdentity& who);

// The session kept in path (empty if there is none or it cannot be read),
// and keeping one (owner-only permissions).
api::Authorization LoadSession(const std::string& path);
bool SaveSession(const std::string& path, const api::Authorization& session);

}  // namespace msgbed::live
