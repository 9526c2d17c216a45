#include "live/terminal_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <utility>

#include "live/device_connection.h"
#include "live/terminal_buttons.h"
#include "live/terminal_commands.h"
#include "live/terminal_files.h"
#include "live/terminal_secrets.h"

namespace msgbed::live {

namespace {

constexpr auto kFirstReconnect = std::chrono::seconds(1);
constexpr auto kMaxReconnectDelay = std::chrono::seconds(30);
// A lost connection is tried again this many times in a row, then the client gives up.
constexpr int kMaxReconnects = 8;
// Sends awaiting an answer: well under the gateway's in-flight limit (64).
constexpr size_t kMaxInFlight = 32;
// Lines waiting for sign-in or for room in flight; more are refused.
constexpr size_t kMaxQueuedLines = 10000;
// At the end of its input, the client waits this long for what is left.
constexpr auto kMaxWaitAtEnd = std::chrono::seconds(60);

// One device at the terminal. Lines become sends once the device is signed
// in and up to date, at most kMaxInFlight at a time; at the end of input it
// waits for every answer, so a script's exit code says whether all went.
// The Device retries sign-ins, catch-ups and sends; a connection lost after
// it was made is made again, with a growing delay.
class Terminal final : public Device::Observer {
 public:
  // tls: the client context (--ca), or null for plain TCP.
  Terminal(asio::io_context& io, ClientIdentity who, std::shared_ptr<ssl::context> tls)
      : io_(io),
        input_(io, ::dup(STDIN_FILENO)),
        who_(std::move(who)),
        conn_(io, LoadSession(who_.session_file), this),
        reconnect_timer_(io),
        end_timer_(io),
        code_timer_(io) {
    if (tls) conn_.UseTls(std::move(tls));
  }

  void Start(const std::string& host, uint16_t port) {
    host_ = host;
    port_ = port;
    Connect();
    ReadLine();
  }
  int exit_code() const { return exit_code_; }

  void OnSignedIn(Device& d) override {
    ever_connected_ = true;
    reconnects_ = 0;
    std::cout << "* signed in as user " << d.user() << " device " << d.device() << "\n";
  }
  void OnSynced(Device& d) override {
    std::cout << "* up to date (pts " << d.pts() << ")\n";
    SendQueued();
    files_.OnSynced();
    secrets_.OnSynced();
  }
  void OnDelivered(Device& d, const api::Message& m) override { Print(d, m, true); }
  // One message as a line; with_pts: as the box's latest.
  void Print(Device& d, const api::Message& m, bool with_pts) {
    if (m.channel_id() != 0 || m.chat_id() != 0) {
      std::cout << "[" << (m.channel_id() ? "!" + std::to_string(m.channel_id()) : "#" + std::to_string(m.chat_id()))
                << " from " << m.from_user() << "] " << Shown(m) << files_.Noted(m) << "   (id " << m.id() << ")"
                << buttons_.Noted(m) << "\n";
      return;
    }
    const char* dir = m.from_user() == d.user() ? "you ->" : "from";
    const uint64_t who = m.from_user() == d.user() ? m.peer_user() : m.from_user();
    std::cout << "[" << dir << " " << who << "] " << Shown(m) << files_.Noted(m) << "   (id " << m.id()
              << (with_pts ? ", pts " + std::to_string(d.pts()) : std::string()) << ")" << buttons_.Noted(m) << "\n";
  }
  // A page of /history, oldest first, and how to read further back.
  void PrintHistory(Device& d, const api::History& page) {
    std::cout << "* history: " << page.messages_size() << " message(s)"
              << (page.messages_size() == 0 ? ", nothing (further) back" : "") << "\n";
    for (auto m = page.messages().rbegin(); m != page.messages().rend(); ++m) Print(d, *m, false);
    // A full page (the server's default of 20) may have more before it.
    if (page.messages_size() >= 20) {
      const api::Message& oldest = page.messages(page.messages_size() - 1);
      const std::string chat =
          oldest.channel_id() ? "!" + std::to_string(oldest.channel_id())
          : oldest.chat_id()
              ? "#" + std::to_string(oldest.chat_id())
              : "@" + std::to_string(oldest.from_user() == d.user() ? oldest.peer_user() : oldest.from_user());
      std::cout << "* older: /history " << chat << " " << oldest.id() << "\n";
    }
  }
  void OnBoxUpdate(Device&, const api::Update& u) override {
    const std::string where = u.channel_box() ? " in !" + std::to_string(u.channel_box()) : "";
    switch (u.kind()) {
      case api::Update::EDIT_MESSAGE:
        std::cout << "* message " << u.message().id() << where << " now reads: " << Printable(u.message().text())
                  << "\n";
        break;
      case api::Update::DELETE_MESSAGES:
        for (uint64_t id : u.deleted_ids()) std::cout << "* message " << id << where << " deleted\n";
        break;
      case api::Update::READ_OUTBOX:
        if (u.channel_box() != 0) {
          std::cout << "* !" << u.channel_box() << ": someone read up to message " << u.max_id() << "\n";
        } else {
          std::cout << "* read up to your message " << u.max_id() << "\n";
        }
        break;
      case api::Update::CHANNEL:
        std::cout << "* " << (u.left() ? "left" : "in") << " channel !" << u.channel_id() << "\n";
        break;
      default: break;
    }
  }
  // A service message says what happened in the group.
  static std::string Shown(const api::Message& m) { return Printable(ShownRaw(m)); }
  static std::string ShownRaw(const api::Message& m) {
    switch (m.action()) {
      case api::ACTION_CHAT_CREATE: return "created the group '" + m.text() + "'";
      case api::ACTION_ADD_USER: return "added user " + std::to_string(m.action_user());
      case api::ACTION_DELETE_USER: return "removed user " + std::to_string(m.action_user());
      default: break;
    }
    if (m.fwd_from_user() == 0) return m.text();
    const std::string via = m.fwd_from_channel() ? " in !" + std::to_string(m.fwd_from_channel()) : "";
    return "(forwarded from " + std::to_string(m.fwd_from_user()) + via + ") " + m.text();
  }
  void OnSent(Device&, const api::SentMessage& s) override {
    std::cout << "* sent: id " << s.message_id() << ", pts " << s.pts() << "\n";
    files_.Sent(s.random_id(), s.message_id());
    Answered(s.random_id());
  }
  void OnSendFailed(Device&, uint64_t random_id, const api::Error&) override {
    ++failed_;
    Answered(random_id);
  }
  void OnError(Device& d, const api::Error& e) override {
    ever_connected_ = true;
    if (std::exchange(file_frame_, false)) return;  // a file command's answer: it said what it means
    std::cout << "* error " << api::ErrorCode_Name(e.code()) << ": " << e.message() << "\n";
    if (d.state() == Device::State::kSignInFailed) std::cout << "* signing in again shortly\n";
    switch (e.code()) {
      case api::PHONE_NUMBER_UNOCCUPIED: return Ask(Awaiting::kName, "a new number: type your name");
      case api::SESSION_PASSWORD_NEEDED: password_step_ = true; return Ask(Awaiting::kPassword, kPasswordPrompt);
      case api::CODE_INVALID: return Ask(Awaiting::kRecoveryCode, "type the emailed code again");
      case api::PASSWORD_RECOVERY_NA:
      case api::PASSWORD_RECOVERY_EXPIRED:
      case api::EMAIL_UNAVAILABLE:
        if (d.state() == Device::State::kSignedOut) return Ask(Awaiting::kPassword, kPasswordPrompt);
        return;
      case api::PHONE_CODE_INVALID: return Ask(Awaiting::kCode, "type the code again");
      case api::FIRSTNAME_INVALID: return Ask(Awaiting::kName, "type your name again (1 to 64 characters)");
      case api::FLOOD_WAIT:
        if (password_step_ && d.state() == Device::State::kSignedOut) {  // stay: the step still holds
          return Ask(Awaiting::kPassword, "wait " + std::to_string(e.retry_after_s()) + " s, then " + kPasswordPrompt);
        }
        [[fallthrough]];
      case api::SEND_CODE_UNAVAILABLE:
        if (d.state() != Device::State::kSignedOut) return;
        return AskAgainIn(std::max<uint32_t>(e.retry_after_s(), e.code() == api::FLOOD_WAIT ? 1 : 30));
      case api::PASSWORD_HASH_INVALID:
        if (awaiting_ == Awaiting::kNone && d.state() == Device::State::kSignedOut) {
          return Ask(Awaiting::kPassword, "type the password again");
        }
        return;
      case api::PHONE_CODE_EXPIRED:
        if (d.state() == Device::State::kSignedOut) return SignInByPhone();
        return;
      default: return;
    }
  }
  static constexpr const char* kPasswordPrompt =
      "type the account's cloud password (or /recover: a code to its recovery email; /recover <code>: one that came)";
  void OnCodeSent(Device&, const api::SentCode& sent) override {
    Ask(Awaiting::kCode,
        "a code was sent by SMS to " + who_.phone + " (valid " + std::to_string(sent.timeout_s()) + " s): type it");
  }
  void OnAuthorized(Device&, const api::Authorization& session) override {
    password_step_ = false;
    const bool kept = SaveSession(who_.session_file, session);
    std::cout << "* new session: user " << session.user_id() << " device " << session.device_id()
              << (kept ? ", kept in " + who_.session_file : ", NOT kept: cannot write " + who_.session_file) << "\n";
  }
  void OnServerFrame(Device& d, const api::ServerFrame& f) override {
    if (files_.OnFrame(f) || secrets_.OnFrame(f)) {
      file_frame_ = f.has_error();  // that error comes to OnError next
      return;
    }
    // A command is not retried (only messages are): one refused is not
    // carried out, and counts as a line not sent.
    if (f.request_id() != 0 && commands_.erase(f.request_id()) > 0 && f.has_error()) {
      std::cout << "* that command was not carried out; type it again if you still want it\n";
      ++failed_;
    }
    if (TerminalButtons::OnFrame(f)) return;
    if (f.has_authorizations()) {
      for (const api::Session& s : f.authorizations().sessions()) {
        std::cout << "* session " << s.device_id() << (s.current() ? " (this one)" : "") << ": "
                  << s.client().device_model() << " " << s.client().platform() << " " << s.client().app_version()
                  << ", from " << s.address() << "\n";
      }
    } else if (f.has_done()) {
      std::cout << "* done\n";
    } else if (f.has_history()) {
      PrintHistory(d, f.history());
    } else if (f.has_chat()) {
      std::cout << "* group #" << f.chat().id() << " '" << Printable(f.chat().title()) << "', members";
      for (uint64_t m : f.chat().members()) std::cout << " " << m;
      std::cout << "\n";
    } else if (f.has_channel()) {
      std::cout << "* " << (f.channel().broadcast() ? "channel" : "supergroup") << " !" << f.channel().id() << " '"
                << Printable(f.channel().title()) << "', " << f.channel().members_count() << " member(s)\n";
    } else if (f.has_sent_message() && forwards_.erase(f.sent_message().random_id()) > 0) {
      std::cout << "* forwarded: id " << f.sent_message().message_id() << "\n";
    } else if (f.has_typing()) {
      std::cout << "* user " << f.typing().from_user() << " is typing\n";
    } else if (f.has_password_recovery()) {
      Ask(Awaiting::kRecoveryCode, "a code was sent to " + f.password_recovery().email_pattern() + " (valid " +
                                       std::to_string(f.password_recovery().timeout_s()) +
                                       " s): type it to remove the cloud password and sign in (/back: the password)");
    }
  }
  void OnSignInNeeded(Device&) override {
    // Back after a dropped connection with a code on its way: it still works.
    if (awaiting_ == Awaiting::kCode) return Ask(Awaiting::kCode, "type the code from the SMS");
    // A kept session the server refused (terminated, or unknown) is of no
    // further use: drop it rather than show it again next time.
    if (!LoadSession(who_.session_file).credential().empty() && std::remove(who_.session_file.c_str()) == 0) {
      std::cout << "* the session kept in " << who_.session_file << " no longer works; removed it\n";
    }
    SignInByPhone();
  }

 private:
  enum class Awaiting { kNone, kCode, kName, kPassword, kRecoveryCode };
  bool password_step_ = false;  // the sign-in is at its cloud password (until signed in or a new code)

  void Connect() {
    conn_.Connect(host_, port_, [this](const std::string& why) { OnConnectionLost(why); });
  }

  // Asks for a new code after a wait the server imposed (or a pause).
  void AskAgainIn(uint32_t seconds) {
    std::cout << "* asking for a new code in " << seconds << " s\n";
    code_timer_.expires_after(std::chrono::seconds(seconds));
    code_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && conn_.device().state() == Device::State::kSignedOut) SignInByPhone();
    });
  }

  void SignInByPhone() {
    if (who_.phone.empty()) {
      const bool exists = std::ifstream(who_.session_file).good();
      std::cout << "* "
                << (exists ? who_.session_file + " holds no usable session" : "no session file " + who_.session_file)
                << ": give --phone to sign in\n";
      exit_code_ = 1;
      return Quit();
    }
    ever_connected_ = true;
    password_step_ = false;
    conn_.device().RequestCode(who_.phone);
  }

  void Ask(Awaiting what, const std::string& prompt) {
    awaiting_ = what;
    std::cout << "* " << prompt << "\n";
  }

  // The digits of a code as typed ("123 45", "123-45"); "" if it has
  // anything else.
  static std::string CodeOf(const std::string& line) {
    std::string code;
    for (char c : line) {
      if (c >= '0' && c <= '9')
        code.push_back(c);
      else if (c != ' ' && c != '-')
        return "";
    }
    return code;
  }

  // A line typed while the sign-in waits for it. What cannot be an answer
  // (a code that is not digits, a command) is not sent: it would use up a try.
  void Answer(const std::string& line) {
    const Awaiting what = awaiting_;
    awaiting_ = Awaiting::kNone;
    Device& d = conn_.device();
    const std::string code = CodeOf(line);
    if (what == Awaiting::kCode) {
      if (code.empty()) return Ask(what, "a code is digits: type the code from the SMS");
      api::ClientInfo info;
      info.set_device_model("terminal");
      info.set_platform("msgbed client");
      info.set_app_version("1.0");
      d.SubmitCode(code, info);
    } else if (what == Awaiting::kName) {
      if (line[0] == '/') return Ask(what, "a name, not a command: type your name");
      d.SignUp(line, "");
    } else if (what == Awaiting::kRecoveryCode) {
      if (line == "/recover") return d.RequestPasswordRecovery();  // another code
      if (line[0] == '/') return Ask(Awaiting::kPassword, std::string("back at the password: ") + kPasswordPrompt);
      if (code.empty()) return Ask(what, "a recovery code is digits: type it (or /back for the password prompt)");
      d.SubmitRecoveryCode(code);
    } else if (line == "/recover") {
      d.RequestPasswordRecovery();
    } else if (line.rfind("/recover ", 0) == 0) {
      const std::string typed = CodeOf(line.substr(9));
      if (typed.empty()) return Ask(what, "/recover <code>: the code is digits");
      d.SubmitRecoveryCode(typed);
    } else {
      d.SubmitPassword(line);
    }
  }

  // An account command (or a button's press); false if line is not one.
  bool AccountCommand(const std::string& line) {
    std::string why;
    auto frame = buttons_.Press(line, &why);
    if (!why.empty()) {
      std::cout << "* " << why << "\n";
      ++failed_;
      return true;
    }
    if (!frame) frame = ParseAccountCommand(line);
    if (!frame) return false;
    if (conn_.device().state() != Device::State::kReady) {
      std::cout << "* not signed in yet: not sent\n";
      ++failed_;
      return true;
    }
    api::ClientFrame f = *frame;
    if (f.has_create_chat()) f.mutable_create_chat()->set_random_id(NextRandomId());
    if (f.has_create_channel()) f.mutable_create_channel()->set_random_id(NextRandomId());
    if (f.has_forward_message()) {
      f.mutable_forward_message()->set_random_id(NextRandomId());
      forwards_.insert(f.forward_message().random_id());
    }
    commands_.insert(conn_.device().Request(std::move(f)));
    return true;
  }

  // Before any connection succeeded, the address is probably wrong: leave.
  // After, the server is restarting or the network dropped: come back.
  void OnConnectionLost(const std::string& why) {
    files_.OnDisconnected();
    if (!commands_.empty()) {
      std::cout << "* " << commands_.size() << " command(s) unanswered when the connection dropped; "
                << "type them again if you still want them\n";
      failed_ += commands_.size();
      commands_.clear();
    }
    const std::string endpoint = host_ + ":" + std::to_string(port_);
    if (!ever_connected_ || reconnects_ >= kMaxReconnects) {
      std::cout << (ever_connected_ ? "* disconnected for good: " : "* cannot connect to " + endpoint + ": ") << why
                << "\n";
      if (!queued_.empty() || !in_flight_.empty()) {
        std::cout << "* " << queued_.size() + in_flight_.size() << " line(s) not sent\n";
      }
      exit_code_ = 1;
      return io_.stop();
    }
    const auto delay = std::min(kFirstReconnect * (1 << reconnects_), kMaxReconnectDelay);
    ++reconnects_;
    std::cout << "* disconnected: " << why << "; connecting again in " << delay.count() << " s\n";
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Connect();
    });
  }

  void ReadLine() {
    asio::async_read_until(input_, line_buf_, '\n', [this](boost::system::error_code ec, size_t) {
      if (ec) return EndOfInput();
      std::istream in(&line_buf_);
      std::string line;
      std::getline(in, line);
      if (!Command(line)) return Quit();
      ReadLine();
    });
  }

  // False when the user leaves.
  bool Command(const std::string& line) {
    if (line == "/quit") return false;
    if (line.empty()) return true;
    if (awaiting_ != Awaiting::kNone) {
      Answer(line);
      return true;
    }
    if (line[0] == '/' && (files_.Command(line) || secrets_.Command(line) || AccountCommand(line))) return true;
    auto chat = ParseChatLine(line);
    if (!chat) {
      std::cout
          << "* usage: @<user> <text>, #<group> <text>, !<channel> <text>   (ids 1.." << kMaxTypedId
          << ", then a space)   or   /sessions, /terminate <device>, /password <current|-> <new|-> [recovery email], "
          << "/push [token], /group <title> <user>..., /add <group> <user>, /remove <group> <user>, "
          << "/channel <title> [supergroup], /join <channel>, /leave <channel>, /edit <id> <text>, "
          << "/delete <id>, /read @<user>|#<group> (all of it), /read !<channel> <id>, "
          << "/secret <user>, /accept <chat>, /fingerprint <chat>, /s <chat> <text>, /timer <chat> <seconds>, "
          << "/discard <chat>, "
          << "/forward [!<channel>] <id> @<user>|#<group>|!<channel>, /history @<user>|#<group>|!<channel> "
          << "[before id], /file @<user> <path>, /save <id> <path>, /press <id> <button>, "
          << "/quit\n";
      ++failed_;
    } else if (queued_.size() >= kMaxQueuedLines) {
      std::cout << "* too many lines waiting; this one is dropped\n";
      ++failed_;
    } else {
      queued_.push_back(std::move(*chat));
      SendQueued();
    }
    return true;
  }

  void SendQueued() {
    while (!queued_.empty() && in_flight_.size() < kMaxInFlight && conn_.device().state() == Device::State::kReady) {
      const uint64_t random_id = NextRandomId();
      in_flight_.insert(random_id);
      const ChatLine& c = queued_.front();
      if (c.kind == ChatLine::kGroup) {
        conn_.device().SendToChat(c.peer, c.text, random_id);
      } else if (c.kind == ChatLine::kChannel) {
        conn_.device().SendToChannel(c.peer, c.text, random_id);
      } else {
        conn_.device().SendText(c.peer, c.text, random_id);
      }
      queued_.pop_front();
    }
    if (input_closed_) LeaveWhenDone();
  }

  void Answered(uint64_t random_id) {
    in_flight_.erase(random_id);
    SendQueued();
  }

  // Input ended: leave once every line was sent and answered, and not
  // before the connection has succeeded or failed, so that a script learns
  // (by the exit code) whether everything went.
  void EndOfInput() {
    input_closed_ = true;
    if (conn_.device().session().credential().empty()) {
      std::cout << "* the input ended before the sign-in did\n";
      exit_code_ = 1;
      return Quit();
    }
    end_timer_.expires_after(kMaxWaitAtEnd);
    end_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      std::cout << "* gave up waiting for the server after " << kMaxWaitAtEnd.count() << " s; "
                << queued_.size() + in_flight_.size() << " line(s) not sent\n";
      exit_code_ = 1;
      Quit();
    });
    LeaveWhenDone();
  }

  void LeaveWhenDone() {
    if (!ever_connected_ || !queued_.empty() || !in_flight_.empty() || files_.busy()) return;
    if (failed_ > 0) {
      std::cout << "* " << failed_ << " line(s) not sent\n";
      exit_code_ = 1;
    }
    Quit();
  }

  void Quit() {
    end_timer_.cancel();
    code_timer_.cancel();
    reconnect_timer_.cancel();
    conn_.Disconnect();
    io_.stop();
  }

  // Never 0: the server refuses random_id 0.
  uint64_t NextRandomId() {
    uint64_t id = 0;
    while (id == 0) id = random_();
    return id;
  }

  asio::io_context& io_;
  asio::posix::stream_descriptor input_;
  asio::streambuf line_buf_;
  const ClientIdentity who_;
  DeviceConnection conn_;
  TerminalButtons buttons_;
  TerminalFiles files_{&conn_.device(), [this](bool ok, uint64_t random_id) {
                         if (!ok) ++failed_;
                         if (random_id != 0) in_flight_.insert(random_id);
                         if (input_closed_) LeaveWhenDone();
                       }};
  TerminalSecrets secrets_{&conn_.device(), [this] { ++failed_; }};
  bool file_frame_ = false;  // the frame being handled answered a file or secret-chat command
  Awaiting awaiting_ = Awaiting::kNone;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer end_timer_;
  asio::steady_timer code_timer_;
  int reconnects_ = 0;  // in a row, since the last sign-in
  std::string host_;
  uint16_t port_ = 0;
  std::deque<ChatLine> queued_;
  std::set<uint64_t> in_flight_;  // random_ids awaiting an answer
  std::set<uint64_t> forwards_;   // random_ids of forwards awaiting their answer
  std::set<uint64_t> commands_;   // request ids of commands awaiting their answer
  size_t failed_ = 0;
  bool ever_connected_ = false;
  bool input_closed_ = false;
  int exit_code_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

api::Authorization LoadSession(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  api::Authorization session;
  if (!in || !session.ParseFromIstream(&in)) return {};
  return session;
}

bool SaveSession(const std::string& path, const api::Authorization& session) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  if (::fchmod(fd, 0600) != 0) {  // an existing file keeps its mode otherwise
    ::close(fd);
    return false;
  }
  const std::string bytes = session.SerializeAsString();
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

int RunTerminalClient(const std::string& host, uint16_t port, const ClientIdentity& who) {
  // Line by line even into a pipe or file: another program may be reading.
  std::cout << std::unitbuf;
  std::shared_ptr<ssl::context> tls;
  if (!who.ca_file.empty()) {
    if (Status s = ClientTlsContext(who.ca_file, &tls); !s.ok()) {
      std::cout << "* " << s.message() << "\n";
      return 1;
    }
  } else {
    std::cout << "* plain TCP: this connection is not encrypted (give --ca for TLS)\n";
  }
  asio::io_context io;
  Terminal t(io, who, std::move(tls));
  t.Start(host, port);
  io.run();
  return t.exit_code();
}

}  // namespace msgbed::live
