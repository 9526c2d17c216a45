#include "fanout_worker.h"

#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "live/device_connection.h"

namespace msgbed::live {

void WriteSessions(const std::string& path, const std::vector<api::Authorization>& sessions) {
  std::ofstream out(path, std::ios::binary);
  for (const api::Authorization& a : sessions) {
    const std::string bytes = a.SerializeAsString();
    const auto n = static_cast<uint32_t>(bytes.size());
    const char len[4] = {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                         static_cast<char>(n >> 24)};
    out.write(len, 4).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

std::vector<api::Authorization> ReadSessions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<api::Authorization> sessions;
  unsigned char len[4];
  while (in.read(reinterpret_cast<char*>(len), 4)) {
    std::string bytes(len[0] | len[1] << 8 | len[2] << 16 | static_cast<uint32_t>(len[3]) << 24, '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())) ||
        !sessions.emplace_back().ParseFromString(bytes)) {
      throw std::runtime_error(path + ": a session is cut short or unreadable");
    }
  }
  return sessions;
}

bool WriteLine(int fd, const std::string& line) {
  const std::string out = line + "\n";
  for (size_t done = 0; done < out.size();) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

namespace {

// Devices connecting or signing in at once: the gateways' accept queues
// and the auth instance take them in waves rather than all together.
constexpr uint64_t kConnectWave = 500;
constexpr uint64_t kJoinWave = 256;

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

void Say(const std::string& line) {
  if (!WriteLine(STDOUT_FILENO, line)) std::exit(1);  // the bench is gone
}

[[noreturn]] void Fail(const std::string& what) {
  Say("error " + what);
  std::exit(1);
}

class Worker final : public Device::Observer {
 public:
  Worker(std::vector<api::Authorization> sessions, std::vector<uint16_t> ports, DeviceRetryPolicy retry)
      : sessions_(std::move(sessions)), ports_(std::move(ports)), retry_(retry), in_(io_, ::dup(STDIN_FILENO)) {}

  int Run() {
    if (sessions_.empty() || ports_.empty()) Fail("no sessions or no gateways");
    ConnectMore();
    ReadCommand();
    io_.run();
    return 0;
  }

  void OnSynced(Device& d) override {
    if (!synced_.insert(d.user()).second) return;  // a later resync
    if (synced_.size() == sessions_.size()) return Say("synced");
    ConnectMore();
  }
  void OnBoxUpdate(Device& d, const api::Update& u) override {
    if (u.kind() != api::Update::CHANNEL || u.left() || u.channel_id() != channel_) return;
    if (!joined_.insert(d.user()).second) return;
    if (joined_.size() == sessions_.size()) return Say("joined");
    JoinMore();
  }
  void OnDelivered(Device&, const api::Message& m) override {
    if (m.channel_id() == 0 || m.channel_id() != channel_) return;
    std::vector<uint64_t>& at = shown_[m.random_id()];
    at.push_back(NowNs());
    if (at.size() < sessions_.size()) return;
    std::string line = "shown " + std::to_string(m.random_id());
    for (uint64_t t : at) line += " " + std::to_string(t);
    shown_.erase(m.random_id());
    Say(line);
  }
  void OnServerFrame(Device& d, const api::ServerFrame& f) override {
    auto join = joins_.find({d.user(), f.request_id()});
    if (f.request_id() == 0 || join == joins_.end()) return;
    const size_t i = join->second;
    joins_.erase(join);
    if (f.has_error()) Join(i);  // asked again; failures other than transient ones end the run (OnError)
  }
  void OnError(Device& d, const api::Error& e) override {
    if (e.code() == api::UNAVAILABLE || e.code() == api::TIMEOUT) return;  // retried
    Fail("user " + std::to_string(d.user()) + ": " + api::ErrorCode_Name(e.code()) + " " + e.message());
  }

 private:
  void ConnectMore() {
    while (conns_.size() < sessions_.size() && conns_.size() - synced_.size() < kConnectWave) {
      const size_t i = conns_.size();
      conns_.push_back(std::make_unique<DeviceConnection>(io_, sessions_[i], this, retry_));
      // By user, not by index here: every worker spreads over every gateway.
      conns_.back()->Connect("127.0.0.1", ports_[(sessions_[i].user_id() - 1) % ports_.size()],
                             [](const std::string& why) { Fail("device disconnected: " + why); });
    }
  }
  void JoinMore() {
    while (joins_sent_ < conns_.size() && joins_sent_ - joined_.size() < kJoinWave) Join(joins_sent_++);
  }
  void Join(size_t i) {
    api::ClientFrame join;
    join.mutable_join_channel()->set_channel_id(channel_);
    Device& d = conns_[i]->device();
    joins_[{d.user(), d.Request(join)}] = i;
  }
  void ReadCommand() {
    asio::async_read_until(in_, input_, '\n', [this](const boost::system::error_code& ec, size_t) {
      if (ec) return io_.stop();  // the bench closed stdin: done
      std::istream lines(&input_);
      std::string verb;
      lines >> verb >> channel_;
      lines.ignore(1 << 20, '\n');
      if (verb != "join" || channel_ == 0) Fail("unknown command " + verb);
      JoinMore();
      ReadCommand();
    });
  }

  asio::io_context io_;
  const std::vector<api::Authorization> sessions_;
  const std::vector<uint16_t> ports_;
  const DeviceRetryPolicy retry_;
  asio::posix::stream_descriptor in_;
  asio::streambuf input_;
  std::vector<std::unique_ptr<DeviceConnection>> conns_;
  std::unordered_set<uint64_t> synced_, joined_;  // users
  uint64_t channel_ = 0, joins_sent_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, size_t> joins_;      // (user, join request id) -> device
  std::unordered_map<uint64_t, std::vector<uint64_t>> shown_;  // by post random_id: when each device showed it
};

}  // namespace

int RunFanoutWorker(const std::string& sessions_file, const std::vector<uint16_t>& gateway_ports, Micros quiet_resync) {
  try {
    DeviceRetryPolicy retry;
    retry.quiet_resync = quiet_resync;
    return Worker(ReadSessions(sessions_file), gateway_ports, retry).Run();
  } catch (const std::exception& e) {
    Fail(e.what());
  }
}

}  // namespace msgbed::live
