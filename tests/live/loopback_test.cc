// Live integration: the whole deployment in one process on loopback (real
// sockets, librdkafka's mock cluster, RocksDB in a temporary directory) and
// real devices over TCP. Waits are event-driven with a deadline.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <filesystem>
#include <map>
#include <thread>

#include "live/config.h"
#include "live/device_connection.h"
#include "live/process.h"

namespace msgbed::live {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

// What one device saw: each delivered random_id and the pts it came with.
struct Seen final : Device::Observer {
  std::vector<std::pair<uint64_t, uint64_t>> delivered;  // (random_id, pts)
  std::vector<uint64_t> sent;                            // random_ids acknowledged
  int synced = 0;
  int errors = 0;
  void OnDelivered(Device& d, const api::Message& m) override { delivered.emplace_back(m.random_id(), d.pts()); }
  void OnSent(Device&, const api::SentMessage& s) override { sent.push_back(s.random_id()); }
  void OnSynced(Device&) override { ++synced; }
  void OnError(Device&, const api::Error&) override { ++errors; }
};

class Loopback : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("msgbed-loopback-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    const std::string yaml = "partitions: 4\nbus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " + dir_.string() +
                             ", sync: false}\ninstances:\n"
                             "  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
                             "  messages/0: {rpc: 127.0.0.1:0}\n  messages/1: {rpc: 127.0.0.1:0}\n"
                             "  sync/0: {rpc: 127.0.0.1:0}\n  sync/1: {rpc: 127.0.0.1:0}\n";
    const LiveConfig cfg = ParseConfig(yaml, "loopback.yaml");
    const Status s = Process::Start(cfg, "", &server_);
    ASSERT_TRUE(s.ok()) << s.message();
    port_ = server_->client_port(0);
    ASSERT_NE(port_, 0);
    server_thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (server_thread_.joinable()) server_thread_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs client I/O until pred holds; false at the deadline.
  bool RunUntil(const std::function<bool()>& pred) {
    const auto end = std::chrono::steady_clock::now() + kDeadline;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  std::unique_ptr<DeviceConnection> Online(uint64_t user, uint64_t device, Seen* seen) {
    auto c = std::make_unique<DeviceConnection>(io_, user, device, seen);
    c->Connect("127.0.0.1", port_);
    const int before = seen->synced;
    EXPECT_TRUE(RunUntil([&] { return seen->synced > before; }))
        << "device " << user << "/" << device << " never synced";
    return c;
  }

  // Every message exactly once, with pts rising by one per box update.
  static void ExpectExactlyOnceInOrder(const Seen& seen, const std::vector<uint64_t>& expected_ids) {
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < seen.delivered.size(); ++i) {
      ids.push_back(seen.delivered[i].first);
      if (i > 0) {
        EXPECT_GT(seen.delivered[i].second, seen.delivered[i - 1].second);
      }
    }
    EXPECT_EQ(ids, expected_ids);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Process> server_;
  std::thread server_thread_;
  uint16_t port_ = 0;
  asio::io_context io_;
};

TEST_F(Loopback, EveryDeviceGetsEveryMessageOnceInPtsOrderIncludingOneThatWasOffline) {
  Seen a1, a2, b1, b2;
  auto alice1 = Online(1, 1, &a1);
  auto alice2 = Online(1, 2, &a2);
  auto bob1 = Online(2, 1, &b1);
  std::vector<uint64_t> ids;
  auto send = [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      ids.push_back(1000 + ids.size());
      alice1->device().SendText(2, "hello " + std::to_string(ids.size()), ids.back());
    }
    ASSERT_TRUE(RunUntil([&] { return a1.sent.size() == ids.size() && b1.delivered.size() == ids.size(); }));
  };
  send(20);
  auto bob2 = Online(2, 2, &b2);  // was offline: catches up with getDifference
  send(5);                        // now online: pushed
  ASSERT_TRUE(RunUntil([&] { return b2.delivered.size() == ids.size() && a2.delivered.size() == ids.size(); }));

  ExpectExactlyOnceInOrder(b1, ids);
  ExpectExactlyOnceInOrder(b2, ids);
  ExpectExactlyOnceInOrder(a2, ids);  // the sender's other device sees its own outgoing messages
  EXPECT_TRUE(a1.delivered.empty()) << "the sending device does not get its own messages back";
  EXPECT_EQ(b2.delivered.back().second, ids.size());
  EXPECT_EQ(a1.errors + a2.errors + b1.errors + b2.errors, 0);

  // Offline again, more traffic, back online: still exactly once.
  bob2->Disconnect();
  send(3);
  bob2->Connect("127.0.0.1", port_);
  ASSERT_TRUE(RunUntil([&] { return b2.delivered.size() == ids.size(); }));
  ExpectExactlyOnceInOrder(b2, ids);
}

// Sends raw bytes on a new connection and reports whether the server closed it.
bool ServerClosesAfter(asio::io_context& io, uint16_t port, const std::string& bytes) {
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(s, asio::buffer(bytes));
  const timeval bound{10, 0};  // a server that never closes fails the test, not hangs it
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  char buf[256];
  boost::system::error_code ec;
  s.read_some(asio::buffer(buf), ec);  // the server answers a bad frame with EOF
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

TEST_F(Loopback, BadFramesCloseOnlyTheirConnection) {
  Seen a, b;
  auto alice = Online(1, 1, &a);
  auto bob = Online(2, 1, &b);

  std::string malformed;
  AppendFrame("\xff\xff\xff\xff not protobuf", &malformed);
  EXPECT_TRUE(ServerClosesAfter(io_, port_, malformed));
  const std::string oversized("\x7f\xff\xff\xff", 4);  // announces a 2 GiB frame
  EXPECT_TRUE(ServerClosesAfter(io_, port_, oversized));

  alice->device().SendText(2, "still here?", 77);
  ASSERT_TRUE(RunUntil([&] { return b.delivered.size() == 1; }));
  EXPECT_EQ(b.delivered[0].first, 77u);
  EXPECT_TRUE(alice->connected());
}

}  // namespace
}  // namespace msgbed::live
