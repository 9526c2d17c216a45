// Live integration: the whole deployment in one process on loopback (real
// sockets, librdkafka's mock cluster, RocksDB in a temporary directory) and
// real devices over TCP. Waits are event-driven with a deadline.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/address.h"
#include "live/config.h"
#include "live/device_connection.h"
#include "live/fault_board.h"
#include "live/process.h"
#include "live/provision.h"
#include "live/raw_client.h"

namespace msgbed::live {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

// What one device saw: each delivered random_id and the pts it came with.
struct Seen final : Device::Observer {
  std::vector<std::pair<uint64_t, uint64_t>> delivered;  // (random_id, pts)
  std::vector<api::Message> messages;                    // what was delivered
  std::vector<api::Update> box_updates;                  // edits, deletions, read marks, memberships
  std::vector<api::ServerFrame> frames;                  // every frame
  std::vector<uint64_t> sent;                            // random_ids acknowledged
  int synced = 0;
  int errors = 0;
  void OnServerFrame(Device&, const api::ServerFrame& f) override { frames.push_back(f); }
  void OnDelivered(Device& d, const api::Message& m) override {
    delivered.emplace_back(m.random_id(), d.pts());
    messages.push_back(m);
  }
  void OnBoxUpdate(Device&, const api::Update& u) override { box_updates.push_back(u); }
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
    const std::string yaml =
        "partitions: 4\nbus: {mode: mock, mock_brokers: 1, session_timeout: 3s}\nstorage: {data_dir: " + dir_.string() +
        ", sync: false}\ninstances:\n"
        "  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
        "  messages/0: {rpc: 127.0.0.1:0}\n  messages/1: {rpc: 127.0.0.1:0}\n"
        "  sync/0: {rpc: 127.0.0.1:0}\n  sync/1: {rpc: 127.0.0.1:0}\n"
        "  auth/0: {rpc: 127.0.0.1:0}\n";
    cfg_ = ParseConfig(yaml, "loopback.yaml");
    const LiveConfig& cfg = cfg_;
    std::vector<SessionKey> wanted;
    for (uint64_t user = 1; user <= 5; ++user) {
      for (uint64_t device = 1; device <= 2; ++device) wanted.emplace_back(user, device);
    }
    const Status provisioned = ProvisionSessions(cfg, wanted, &sessions_);
    ASSERT_TRUE(provisioned.ok()) << provisioned.message();
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
    auto c = std::make_unique<DeviceConnection>(io_, sessions_.at({user, device}), seen);
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
  LiveConfig cfg_;
  std::map<SessionKey, api::Authorization> sessions_;  // users 1-5, devices 1-2
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

// A basic group and a channel over real sockets, two messages and two sync
// instances: members' devices get the group's messages and edits, a
// channel's posts are pushed to the online member and fetched by the one
// that connects later.
TEST_F(Loopback, GroupsAndChannelsReachTheirMembersDevices) {
  Seen a, b, c;
  auto alice = Online(1, 1, &a);
  auto bob = Online(2, 1, &b);
  auto carol = Online(3, 1, &c);
  auto answer = [&](Seen& seen, DeviceConnection& d, api::ClientFrame f) -> api::ServerFrame {
    const uint64_t id = d.device().Request(std::move(f));
    api::ServerFrame got;
    EXPECT_TRUE(RunUntil([&] {
      for (const auto& frame : seen.frames) {
        if (frame.request_id() == id) got = frame;
      }
      return got.request_id() == id;
    }));
    return got;
  };
  api::ClientFrame create;
  create.mutable_create_chat()->set_title("live group");
  create.mutable_create_chat()->add_users(2);
  create.mutable_create_chat()->add_users(3);
  create.mutable_create_chat()->set_random_id(1);
  const uint64_t chat = answer(a, *alice, create).chat().id();
  ASSERT_NE(chat, 0u);
  alice->device().SendToChat(chat, "hello group", 2);
  ASSERT_TRUE(RunUntil([&] { return b.messages.size() == 2 && c.messages.size() == 2; }));
  EXPECT_EQ(c.messages[1].text(), "hello group");
  EXPECT_EQ(c.messages[1].chat_id(), chat);
  ASSERT_TRUE(RunUntil([&] { return !a.sent.empty(); }));
  uint64_t sent_id = 0;
  for (const auto& f : a.frames) {
    if (f.has_sent_message() && f.sent_message().random_id() == 2) sent_id = f.sent_message().message_id();
  }
  api::ClientFrame edit;
  edit.mutable_edit_message()->set_id(sent_id);
  edit.mutable_edit_message()->set_text("hello, group");
  ASSERT_TRUE(answer(a, *alice, edit).has_done());
  ASSERT_TRUE(RunUntil([&] { return !c.box_updates.empty(); }));
  EXPECT_EQ(c.box_updates.back().message().text(), "hello, group");

  api::ClientFrame channel_create;
  channel_create.mutable_create_channel()->set_title("live news");
  channel_create.mutable_create_channel()->set_broadcast(true);
  channel_create.mutable_create_channel()->set_random_id(3);
  const uint64_t channel = answer(a, *alice, channel_create).channel().id();
  ASSERT_NE(channel, 0u);
  api::ClientFrame join;
  join.mutable_join_channel()->set_channel_id(channel);
  ASSERT_TRUE(answer(b, *bob, join).has_done());
  Seen b2;
  alice->device().SendToChannel(channel, "first post", 4);
  ASSERT_TRUE(RunUntil([&] { return b.messages.size() == 3; }));
  EXPECT_EQ(b.messages.back().channel_id(), channel);
  EXPECT_EQ(b.messages.back().text(), "first post");
  auto bob2 = Online(2, 2, &b2);  // was never online: learns the channel from its box and fetches it
  ASSERT_TRUE(RunUntil([&] { return b2.messages.size() == 3; }));
  EXPECT_EQ(b2.messages.back().text(), "first post");
  EXPECT_EQ(bob2->device().channel_pts(channel), 1u);
  EXPECT_EQ(c.messages.size(), 2u) << "carol is not in the channel";
  api::ClientFrame forward;  // bob shows carol the post
  forward.mutable_forward_message()->set_from_channel_id(channel);
  forward.mutable_forward_message()->set_id(b.messages.back().id());
  forward.mutable_forward_message()->set_peer_user(3);
  forward.mutable_forward_message()->set_random_id(5);
  ASSERT_TRUE(answer(b, *bob, forward).has_sent_message());
  ASSERT_TRUE(RunUntil([&] { return c.messages.size() == 3; }));
  EXPECT_EQ(c.messages.back().text(), "first post");
  EXPECT_EQ(c.messages.back().fwd_from_channel(), channel);
  EXPECT_EQ(a.errors + b.errors + b2.errors + c.errors, 0);
}

// Sends raw bytes on a new connection; returns the error code of the frame
// the server answered with before closing (ERROR_NONE if it did not close).
api::ErrorCode ClosingError(uint16_t port, const std::string& bytes) {
  testing::RawClient raw(port);
  raw.SendBytes(bytes);
  if (!raw.ReadUntilClosed()) return api::ERROR_NONE;
  api::ServerFrame last;
  if (raw.frames().empty() || !last.ParseFromString(raw.frames().back())) return api::ERROR_NONE;
  return last.error().code();
}

// sync/1 crashes (an injected fault): once the bus's session timeout (3 s
// here) passes, the group gives its partitions to sync/0, which asks the
// gateway who is online there; every online device keeps getting pushes,
// none reconnects.
TEST_F(Loopback, WhenASyncInstanceCrashesTheOtherTakesItsPartitionsAndPushesGoOn) {
  std::vector<Seen> seen(5);
  std::vector<std::unique_ptr<DeviceConnection>> devices;
  for (uint64_t u = 1; u <= 5; ++u) devices.push_back(Online(u, 1, &seen[u - 1]));
  const Address sync0 = MakeAddress(role::kSync, 0), sync1 = MakeAddress(role::kSync, 1);
  auto partitions = [&](const Address& a) { return server_->StatsOf(a).Get("sync.partitions"); };
  ASSERT_TRUE(RunUntil([&] { return partitions(sync0) == 2 && partitions(sync1) == 2; })) << "the group shares them";

  std::string id;
  ASSERT_TRUE(PostFault(cfg_, "{for: 600s, crash: sync/1}", &id).ok());
  ASSERT_TRUE(RunUntil([&] { return partitions(sync0) == 4; })) << "sync/0 takes them all";
  const int64_t pushed = server_->StatsOf(sync0).Get("sync.pushed");
  for (uint64_t u = 2; u <= 5; ++u) devices[0]->device().SendText(u, "after the crash", 500 + u);
  ASSERT_TRUE(RunUntil([&] {
    return std::all_of(seen.begin() + 1, seen.end(), [](const Seen& s) { return s.delivered.size() == 1; });
  }));
  EXPECT_GE(server_->StatsOf(sync0).Get("sync.pushed") - pushed, 4) << "pushed by sync/0, the only one left";
}

// A device registers a push token and goes offline; a message to its user
// becomes a push through the deployment's default push provider (the log
// at <data_dir>/push.log), naming the token and the sender, not the text.
TEST_F(Loopback, AMessageToAUserWithNoDeviceOnlineIsPushedToItsRegisteredToken) {
  Seen a, b;
  auto alice = Online(1, 1, &a);
  api::ClientFrame reg;
  reg.mutable_register_device()->set_token("tok-alice-phone");
  alice->device().Request(reg);
  ASSERT_TRUE(RunUntil([&] {
    return std::any_of(a.frames.begin(), a.frames.end(), [](const api::ServerFrame& f) { return f.has_done(); });
  }));
  alice->Disconnect();
  auto bob = Online(2, 1, &b);
  bob->device().SendText(1, "the cake is in the fridge", 77);
  const std::filesystem::path log = dir_ / "push.log";
  auto pushed = [&] {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  ASSERT_TRUE(RunUntil([&] { return pushed().find("tok-alice-phone") != std::string::npos; })) << pushed();
  EXPECT_NE(pushed().find(R"("from":2)"), std::string::npos) << pushed();
  EXPECT_EQ(pushed().find("fridge"), std::string::npos) << "a push never carries the text";
  // Woken by it, the device connects and fetches the message.
  alice->Connect("127.0.0.1", port_);
  ASSERT_TRUE(RunUntil([&] { return a.delivered.size() == 1; }));
}

TEST_F(Loopback, BadFramesCloseOnlyTheirConnection) {
  Seen a, b;
  auto alice = Online(1, 1, &a);
  auto bob = Online(2, 1, &b);

  std::string malformed;
  AppendFrame("\xff\xff\xff\xff not protobuf", &malformed);
  EXPECT_EQ(ClosingError(port_, malformed), api::BAD_REQUEST);
  const std::string oversized("\x7f\xff\xff\xff", 4);  // announces a 2 GiB frame
  EXPECT_EQ(ClosingError(port_, oversized), api::BAD_REQUEST);
  std::string empty;
  AppendFrame("", &empty);  // a frame with no request in it
  EXPECT_EQ(ClosingError(port_, empty + empty + empty), api::BAD_REQUEST);

  alice->device().SendText(2, "still here?", 77);
  ASSERT_TRUE(RunUntil([&] { return b.delivered.size() == 1; }));
  EXPECT_EQ(b.delivered[0].first, 77u);
  EXPECT_TRUE(alice->connected());
}

// Lowers the soft limit on open files to what is open now plus `spare`, and
// restores it when destroyed.
class FileLimit {
 public:
  explicit FileLimit(rlim_t spare) {
    ::getrlimit(RLIMIT_NOFILE, &old_);
    rlim_t open_now = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++open_now;
    rlimit low = old_;
    low.rlim_cur = open_now + spare;
    ::setrlimit(RLIMIT_NOFILE, &low);
  }
  ~FileLimit() { ::setrlimit(RLIMIT_NOFILE, &old_); }

 private:
  rlimit old_;
};

TEST_F(Loopback, AListenerAcceptsAgainOnceFileDescriptorsAreFree) {
  std::vector<int> fillers;
  std::unique_ptr<testing::RawClient> late;
  {
    FileLimit limit(16);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) fillers.push_back(fd);
    ASSERT_EQ(errno, EMFILE);
    // One for the client's socket, none for the server's accept. Another
    // thread of the process (the mock Kafka cluster's) may take the freed
    // one first: then free one more, a few times at most.
    for (int tries = 0; tries < 8 && !(late && late->connected()) && !fillers.empty(); ++tries) {
      ::close(fillers.back());
      fillers.pop_back();
      late = std::make_unique<testing::RawClient>(port_);
    }
    ASSERT_TRUE(late->connected());
    ASSERT_TRUE(RunUntil([&] { return server_->client_accept_errors() > 0; })) << "the server never tried";
    for (int fd : fillers) ::close(fd);
  }
  api::ClientFrame sign_in;
  sign_in.set_request_id(1);
  sign_in.mutable_resume_session()->set_credential(sessions_.at({5, 1}).credential());
  late->Send(sign_in);
  auto answer = late->NextFrame();
  ASSERT_TRUE(answer) << "the listener stopped accepting";
  api::ServerFrame f;
  ASSERT_TRUE(f.ParseFromString(*answer));
  EXPECT_TRUE(f.has_signed_in());
}

}  // namespace
}  // namespace msgbed::live
