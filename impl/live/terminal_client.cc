#include "live/terminal_client.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <iostream>
#include <random>

#include "live/device_connection.h"

namespace msgbed::live {

namespace {

constexpr auto kFirstRetry = std::chrono::seconds(1);
constexpr auto kMaxRetry = std::chrono::seconds(30);
constexpr uint64_t kMaxUserId = (uint64_t{1} << 63) - 1;

bool Transient(api::ErrorCode code) {
  return code == api::TIMEOUT || code == api::UNAVAILABLE || code == api::INTERNAL || code == api::FLOOD_WAIT;
}

class Terminal final : public Device::Observer {
 public:
  Terminal(asio::io_context& io, uint64_t user, uint64_t device)
      : io_(io), input_(io, ::dup(STDIN_FILENO)), conn_(io, user, device, this), retry_timer_(io) {}

  void Start(const std::string& host, uint16_t port) {
    endpoint_ = host + ":" + std::to_string(port);
    conn_.Connect(host, port, [this](const std::string& why) {
      std::cout << (ever_connected_ ? "* disconnected: " : "* cannot connect to " + endpoint_ + ": ") << why << "\n";
      exit_code_ = 1;
      io_.stop();
    });
    ReadLine();
  }
  int exit_code() const { return exit_code_; }

  void OnSignedIn(Device& d) override {
    ever_connected_ = true;
    retry_delay_ = kFirstRetry;
    std::cout << "* signed in as user " << d.user() << " device " << d.device() << "\n";
    if (input_closed_) Quit();
  }
  void OnSynced(Device& d) override { std::cout << "* up to date (pts " << d.pts() << ")\n"; }
  void OnDelivered(Device& d, const api::Message& m) override {
    const char* dir = m.from_user() == d.user() ? "you ->" : "from";
    const uint64_t who = m.from_user() == d.user() ? m.peer_user() : m.from_user();
    std::cout << "[" << dir << " " << who << "] " << m.text() << "   (id " << m.id() << ", pts " << d.pts() << ")\n";
  }
  void OnSent(Device&, const api::SentMessage& s) override {
    std::cout << "* sent: id " << s.message_id() << ", pts " << s.pts() << "\n";
  }
  void OnError(Device& d, const api::Error& e) override {
    ever_connected_ = true;
    std::cout << "* error " << api::ErrorCode_Name(e.code()) << ": " << e.message() << "\n";
    if (d.state() == Device::State::kSignInFailed && Transient(e.code())) RetrySignIn();
  }

 private:
  void RetrySignIn() {
    std::cout << "* signing in again in " << retry_delay_.count() << " s\n";
    retry_timer_.expires_after(retry_delay_);
    retry_delay_ = std::min(2 * retry_delay_, kMaxRetry);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && conn_.connected()) conn_.device().Connected();
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
    const auto chat = ParseChatLine(line);
    if (!chat) {
      std::cout << "* usage: @<user> <text>   (user id 1.." << kMaxUserId << ", then a space)   or   /quit\n";
    } else if (conn_.device().state() != Device::State::kReady) {
      std::cout << "* not signed in yet\n";
    } else {
      conn_.device().SendText(chat->peer, chat->text, NextRandomId());
    }
    return true;
  }

  void Quit() {
    conn_.Disconnect();
    io_.stop();
  }

  // Input ended: leave, but not before the connection has succeeded or
  // failed, so that a script learns (by the exit code) whether it could.
  void EndOfInput() {
    input_closed_ = true;
    if (ever_connected_) Quit();
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
  DeviceConnection conn_;
  asio::steady_timer retry_timer_;
  std::chrono::seconds retry_delay_ = kFirstRetry;
  std::string endpoint_;
  bool ever_connected_ = false;
  bool input_closed_ = false;
  int exit_code_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

std::optional<ChatLine> ParseChatLine(const std::string& line) {
  if (line.size() < 2 || line[0] != '@') return std::nullopt;
  size_t end = 1;
  while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
  const size_t digits = end - 1;
  if (digits == 0 || digits > 19 || end == line.size() || line[end] != ' ') return std::nullopt;
  const uint64_t peer = std::stoull(line.substr(1, digits));
  if (peer == 0 || peer > kMaxUserId) return std::nullopt;
  const size_t text = line.find_first_not_of(' ', end);
  if (text == std::string::npos) return std::nullopt;
  return ChatLine{peer, line.substr(text)};
}

int RunTerminalClient(const std::string& host, uint16_t port, uint64_t user, uint64_t device) {
  // Line by line even into a pipe or file: another program may be reading.
  std::cout << std::unitbuf;
  asio::io_context io;
  Terminal t(io, user, device);
  t.Start(host, port);
  io.run();
  return t.exit_code();
}

}  // namespace msgbed::live
