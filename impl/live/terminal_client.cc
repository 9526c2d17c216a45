#include "live/terminal_client.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <iostream>
#include <random>

#include "live/device_connection.h"

namespace msgbed::live {

namespace {

class Terminal final : public Device::Observer {
 public:
  Terminal(asio::io_context& io, uint64_t user, uint64_t device)
      : io_(io), input_(io, ::dup(STDIN_FILENO)), conn_(io, user, device, this) {}

  void Start(const std::string& host, uint16_t port) {
    conn_.Connect(host, port, [this](const std::string& why) {
      std::cout << "* disconnected: " << why << "\n";
      io_.stop();
    });
    ReadLine();
  }

  void OnSignedIn(Device& d) override {
    std::cout << "* signed in as user " << d.user() << " device " << d.device() << "\n";
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
  void OnError(Device&, const api::Error& e) override {
    std::cout << "* error " << api::ErrorCode_Name(e.code()) << ": " << e.message() << "\n";
  }

 private:
  void ReadLine() {
    asio::async_read_until(input_, line_buf_, '\n', [this](boost::system::error_code ec, size_t) {
      if (ec) return Quit();
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
    uint64_t peer = 0;
    size_t used = 0;
    if (line.size() > 1 && line[0] == '@') {
      try {
        peer = std::stoull(line.substr(1), &used);
      } catch (const std::exception&) {
        peer = 0;
      }
    }
    const std::string text = peer ? line.substr(1 + used) : "";
    if (peer == 0 || text.size() < 2) {
      std::cout << "* usage: @<user> <text>   or   /quit\n";
    } else if (conn_.device().state() == Device::State::kOffline) {
      std::cout << "* not connected\n";
    } else {
      conn_.device().SendText(peer, text.substr(1), random_());
    }
    return true;
  }

  void Quit() {
    conn_.Disconnect();
    io_.stop();
  }

  asio::io_context& io_;
  asio::posix::stream_descriptor input_;
  asio::streambuf line_buf_;
  DeviceConnection conn_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

int RunTerminalClient(const std::string& host, uint16_t port, uint64_t user, uint64_t device) {
  // Line by line even into a pipe or file: another program may be reading.
  std::cout << std::unitbuf;
  asio::io_context io;
  Terminal t(io, user, device);
  t.Start(host, port);
  io.run();
  return 0;
}

}  // namespace msgbed::live
