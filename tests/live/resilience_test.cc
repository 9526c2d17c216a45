// Live regression tests for what a hostile but fair user found: each role
// in its own process (in this binary), restarted while devices stay
// connected; service ports probed by a stranger; devices that do not read,
// do not sign in, or send half a frame. All on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/cluster.h"
#include "host/wire.h"
#include "live/live_fixture.h"
#include "live/raw_client.h"
#include "proto/gateway.pb.h"
#include "proto/messages.pb.h"

namespace msgbed::testing {
namespace {

using live::DeviceConnection;

// A provisioned user (live_fixture.h) other than those taken whose updates
// share like's partition.
uint64_t SamePartitionAs(uint64_t like, const std::set<uint64_t>& taken, const ClusterShape& shape) {
  for (uint64_t u = 7;; ++u) {
    if (!taken.contains(u) && shape.PartitionOf(u) == shape.PartitionOf(like)) return u;
  }
}

TEST_F(Split, AfterAGatewayRestartNoUserSeesAnotherUsersMessages) {
  const ClusterShape shape = deploy_.config().Shape();
  std::vector<uint64_t> old_users = {2, 3, 4, 5, 6};
  std::set<uint64_t> taken(old_users.begin(), old_users.end());
  taken.insert(1);
  std::vector<Seen> old_seen(old_users.size());
  std::vector<std::unique_ptr<DeviceConnection>> old_conns;
  for (size_t k = 0; k < old_users.size(); ++k) old_conns.push_back(Online(old_users[k], &old_seen[k]));

  deploy_.Stop("gateway");
  deploy_.Start("gateway");  // connection ids start again at 1

  // New users on the same connection ids, each sharing a sync partition
  // with the old user whose id it inherits.
  std::vector<uint64_t> new_users;
  for (uint64_t u : old_users) {
    new_users.push_back(SamePartitionAs(u, taken, shape));
    taken.insert(new_users.back());
  }
  std::vector<Seen> new_seen(new_users.size());
  std::vector<std::unique_ptr<DeviceConnection>> new_conns;
  for (size_t k = 0; k < new_users.size(); ++k) new_conns.push_back(Online(new_users[k], &new_seen[k]));
  Seen sender_seen;
  auto sender = Online(1, &sender_seen);

  // The private message to old user k is consumed before the one to new
  // user k (same partition), so once new user k has its own, any leak of
  // the other has already arrived.
  for (size_t k = 0; k < old_users.size(); ++k) {
    sender->device().SendText(old_users[k], "secret for " + std::to_string(old_users[k]), 100 + k);
    ASSERT_TRUE(Run([&] { return sender_seen.sent.size() == 2 * k + 1; }));
    sender->device().SendText(new_users[k], "hello " + std::to_string(new_users[k]), 200 + k);
    ASSERT_TRUE(Run([&] { return sender_seen.sent.size() == 2 * k + 2; }));
  }
  for (size_t k = 0; k < new_users.size(); ++k) {
    ASSERT_TRUE(Run([&] { return new_seen[k].delivered.size() == 1; })) << "user " << new_users[k];
    for (const auto& f : new_seen[k].frames) {
      if (f.has_update()) {
        EXPECT_EQ(f.update().message().random_id(), 200 + k)
            << "user " << new_users[k] << " received: " << f.update().message().text();
      }
      for (const auto& u : f.difference().updates()) EXPECT_EQ(u.message().random_id(), 200 + k);
    }
    EXPECT_EQ(new_seen[k].delivered[0].first, 200 + k);
  }
}

TEST_F(Split, ARestartedSyncKeepsPushingToConnectedDevices) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  deploy_.Stop("sync");
  deploy_.Start("sync");
  alice->device().SendText(2, "after the sync restart", 7);
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  EXPECT_TRUE(b.frames.back().has_update()) << "pushed, not fetched by getDifference";
}

// Found by a hostile tester: a device whose catch-up failed (messages was
// down) stayed "syncing" for good and never showed a message again.
TEST_F(Split, ADeviceWhoseCatchUpFailedCatchesUpOnceMessagesIsBack) {
  Seen a, b;
  auto alice = Online(1, &a);
  deploy_.Stop("messages");
  DeviceConnection bob(io_, deploy_.Session(2, 1), &b);
  bob.Connect("127.0.0.1", deploy_.client_port());
  ASSERT_TRUE(Run([&] { return !b.errors.empty(); })) << "the catch-up fails while messages is down";
  EXPECT_EQ(b.synced, 0);
  deploy_.Start("messages");
  ASSERT_TRUE(Run([&] { return b.synced == 1; })) << "the device asks again";
  alice->device().SendText(2, "after the catch-up failed", 9);
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
}

// A send whose answer was lost with its connection is sent again, with the
// same random_id, once the device is back: the message exists once.
TEST_F(Split, ASendCutOffByAGatewayRestartIsSentAgainAndStoredOnce) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  deploy_.Stop("gateway");
  alice->device().SendText(2, "while the gateway is down", 31);  // written to a dead connection
  ASSERT_TRUE(Run([&] { return !a.closed.empty(); }));
  deploy_.Start("gateway");
  a.closed.clear();
  alice->Connect("127.0.0.1", deploy_.client_port(), [&a](const std::string& why) { a.closed = why; });
  bob->Connect("127.0.0.1", deploy_.client_port());
  ASSERT_TRUE(Run([&] { return a.sent.size() == 1; })) << "sent again after the reconnect";
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  EXPECT_EQ(b.delivered[0].first, 31u);
  EXPECT_EQ(alice->device().retries(), 1u);
}

TEST_F(Split, ARestartedBusIsFoundAgainAndPushesResume) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  deploy_.Stop("bus");
  deploy_.Start("bus");  // a new mock cluster, at new addresses
  ASSERT_TRUE(Run([&] {
    return deploy_.process("messages").bus_reconnects() > 0 && deploy_.process("sync").bus_reconnects() > 0;
  }));
  alice->device().SendText(2, "after the bus restart", 8);
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  EXPECT_TRUE(b.frames.back().has_update());
}

TEST_F(Split, ABusThatComesBackDeadIsSurvivedAndAHealthyOneFoundLater) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  deploy_.Stop("bus");
  deploy_.Start("bus");
  deploy_.Stop("bus");  // its address is in the bootstrap file; nobody answers there
  ASSERT_TRUE(Run([&] { return deploy_.process("messages").bus_reconnect_failures() > 0; }));
  alice->device().SendText(2, "while the bus is dead", 1);  // publishing must not crash
  ASSERT_TRUE(Run([&] { return a.sent.size() + a.errors.size() == 1; }));
  deploy_.Start("bus");
  const uint64_t before = deploy_.process("messages").bus_reconnects();
  ASSERT_TRUE(Run([&] {
    return deploy_.process("messages").bus_reconnects() > before && deploy_.process("sync").bus_reconnects() > 0;
  }));
  alice->device().SendText(2, "with a healthy bus", 2);
  ASSERT_TRUE(Run([&] { return !b.delivered.empty() && b.delivered.back().first == 2; }));
}

TEST_F(Split, SyncStopsPromptlyWhenItsBrokersAreGone) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  alice->device().SendText(2, "something to commit", 9);
  ASSERT_TRUE(Run([&] { return b.delivered.size() == 1; }));
  deploy_.Stop("bus");
  const auto start = std::chrono::steady_clock::now();
  deploy_.Stop("sync");
  // A deadline, not a benchmark: librdkafka's default wait was 45 s; a
  // stop waits at most about the bus's session timeout (3 s here) and 4 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(Split, ServicePortsRefuseStrangers) {
  Seen v;
  auto victim = Online(2, &v);
  const uint16_t messages_port = deploy_.rpc_port("messages");

  // A send into the victim's box, as a gateway would ask for it.
  auto req = NewBody<messages::SendMessage>();
  *req->mutable_client()->mutable_gateway() = MakeAddress(role::kGateway, 0);
  req->mutable_client()->set_user(3);
  req->mutable_client()->set_device(1);
  req->mutable_send()->set_peer_user(2);
  req->mutable_send()->set_random_id(666);
  req->mutable_send()->set_text("spoofed");
  const std::string spoof = EncodeWire(Envelope{MakeAddress(role::kGateway, 0), MakeAddress(role::kMessages, 0),
                                                Envelope::Kind::kCall, 1, rpc::CALL_OK, req});
  {
    RawClient raw(messages_port);
    ASSERT_TRUE(raw.connected());
    raw.SendFrame(spoof);  // no hello at all
    EXPECT_TRUE(raw.ReadUntilClosed());
  }
  {
    RawClient raw(messages_port);
    rpc::LinkHello hello;
    *hello.add_instances() = MakeAddress(role::kGateway, 0);
    *hello.mutable_target() = MakeAddress(role::kMessages, 0);
    hello.set_nonce(std::string(32, 1));
    hello.set_mac(std::string(32, 'x'));  // a guess
    raw.Send(hello);
    raw.SendFrame(spoof);
    EXPECT_TRUE(raw.ReadUntilClosed());
  }
  {
    // A push to the victim through the gateway's service port.
    RawClient raw(deploy_.rpc_port("gateway"));
    auto push = NewBody<gateway::Push>();
    push->mutable_client()->set_user(2);
    push->mutable_client()->set_device(1);
    push->mutable_frame()->mutable_update()->mutable_message()->set_text("fake");
    raw.SendFrame(EncodeWire(Envelope{MakeAddress(role::kSync, 0), MakeAddress(role::kGateway, 0),
                                      Envelope::Kind::kOneWay, 0, rpc::CALL_OK, push}));
    EXPECT_TRUE(raw.ReadUntilClosed());
  }
  // The victim's box is untouched, and nothing fake reached it.
  victim->Disconnect();
  Seen v2;
  auto again = Online(2, &v2);
  EXPECT_EQ(again->device().pts(), 0u);
  for (const auto& f : v.frames) EXPECT_FALSE(f.has_update()) << f.update().message().text();
}

// The relay a hostile tester used against the first handshake: a stranger
// takes a stopped service's port; when the gateway links to it, it borrows
// the gateway's own acceptor to answer the gateway's challenge. Nothing may
// come of it: the gateway's hello names its target, which the gateway's
// acceptor does not serve, and the gateway sends nothing before a welcome
// only a holder of the secret can write.
TEST_F(Split, AStrangerOnAServicePortCannotRelayTheLinkHandshake) {
  Seen a, b;
  auto alice = Online(1, &a);
  auto bob = Online(2, &b);
  const uint16_t messages_port = deploy_.rpc_port("messages");
  deploy_.Stop("messages");
  RawListener stranger(messages_port);
  ASSERT_TRUE(stranger.listening());

  alice->device().SendText(2, "meant for messages/0", 5);
  auto from_gateway = stranger.Accept();
  ASSERT_TRUE(from_gateway) << "the gateway never linked to the messages port";
  RawClient to_gateway(deploy_.rpc_port("gateway"));
  auto challenge = to_gateway.NextFrame();
  ASSERT_TRUE(challenge);
  from_gateway->SendFrame(*challenge);  // the gateway's own challenge, relayed back to it
  auto hello = from_gateway->NextFrame();
  ASSERT_TRUE(hello) << "the gateway did not answer the challenge";
  to_gateway.SendFrame(*hello);
  ASSERT_TRUE(to_gateway.ReadUntilClosed());
  rpc::LinkRefused refused;
  ASSERT_FALSE(to_gateway.frames().size() < 2);
  ASSERT_TRUE(refused.ParseFromString(to_gateway.frames().back()));
  EXPECT_NE(refused.reason().find("not served here"), std::string::npos) << refused.reason();

  rpc::LinkWelcome forged;
  forged.set_mac(std::string(32, 'x'));
  from_gateway->Send(forged);
  EXPECT_TRUE(from_gateway->ReadUntilClosed());
  EXPECT_EQ(from_gateway->frames().size(), 1u) << "the gateway sent something past its hello";
  ASSERT_TRUE(Run([&] { return !a.errors.empty(); }));
  EXPECT_EQ(a.errors[0].code(), api::UNAVAILABLE);
  EXPECT_TRUE(b.delivered.empty());
}

class SplitWithTightLimits : public Split {
 protected:
  SplitWithTightLimits()
      : Split(
            "gateway: {sign_in_timeout: 1s}\n"
            "clients: {frame_timeout: 1s, max_outbound_bytes: 1MiB, socket_send_buffer: 64KiB}\n") {}
};

api::ClientFrame SignInFrame(const api::Authorization& session) {
  api::ClientFrame f;
  f.set_request_id(1);
  f.mutable_resume_session()->set_credential(session.credential());
  return f;
}

TEST_F(SplitWithTightLimits, ADeviceThatDoesNotReadIsDisconnected) {
  RawClient sink(deploy_.client_port(), /*rcvbuf=*/4096);
  sink.Send(SignInFrame(deploy_.Session(2, 1)));
  ASSERT_TRUE(sink.NextFrame());  // SignedIn; from now on it reads nothing
  // Bob's second device reads everything, on its own thread, as fast as it
  // can: it tells when every push has been handed to the gateway.
  RawClient reader(deploy_.client_port());
  reader.Send(SignInFrame(deploy_.Session(2, 2)));
  ASSERT_TRUE(reader.NextFrame());
  std::atomic<size_t> pushed{0};
  std::thread reading([&] {
    api::ServerFrame f;
    while (auto body = reader.NextFrame(std::chrono::seconds(60))) {
      if (f.ParseFromString(*body) && f.has_update()) ++pushed;
    }
  });
  Seen a;
  auto alice = Online(1, &a);
  // 200 messages of 4096 four-byte characters: 3.3 MB, far over the 1 MiB
  // limit plus what the kernel buffers (a 64 KiB send buffer, a 4 KiB
  // receive buffer), and under the mock bus's 5 MiB per partition.
  std::string text;
  for (int i = 0; i < 4096; ++i) text += "\xf0\x9f\x98\x80";
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    alice->device().SendText(2, text, 1 + i);
    if (i % 50 == 49) {
      ASSERT_TRUE(Run([&] { return a.sent.size() + a.errors.size() == size_t(i + 1); }));
    }
  }
  // Sync pushes to both of bob's devices in one pass, the sink first (it
  // signed in first): once the reader has all, the gateway was handed the sink's.
  const bool all = Run([&] { return pushed == size_t(n); });
  reader.Shutdown();
  reading.join();
  ASSERT_TRUE(all) << pushed << " of " << n << " pushed to the reading device";
  EXPECT_TRUE(sink.ReadUntilClosed()) << "the server is still queueing for a reader that never reads; "
                                      << sink.frames().size() << " frames read";
  EXPECT_LT(sink.frames().size(), size_t(n));
}

TEST_F(SplitWithTightLimits, ConnectionsThatNeverSignInOrStallMidFrameAreClosed) {
  RawClient silent(deploy_.client_port());
  EXPECT_TRUE(silent.ReadUntilClosed());
  api::ServerFrame why;
  ASSERT_EQ(silent.frames().size(), 1u);
  ASSERT_TRUE(why.ParseFromString(silent.frames()[0]));
  EXPECT_EQ(why.error().code(), api::AUTH_KEY_UNREGISTERED);

  RawClient slow(deploy_.client_port());
  slow.Send(SignInFrame(deploy_.Session(2, 1)));
  ASSERT_TRUE(slow.NextFrame());
  slow.SendBytes(std::string("\x00\x00\x01", 3));  // part of a header, then nothing
  EXPECT_TRUE(slow.ReadUntilClosed());
  ASSERT_TRUE(why.ParseFromString(slow.frames().back()));
  EXPECT_EQ(why.error().code(), api::TIMEOUT) << "a reason before the close";
}

TEST_F(Split, TextThatIsNotUtf8IsAnsweredAndTheConnectionStays) {
  RawClient raw(deploy_.client_port());
  raw.Send(SignInFrame(deploy_.Session(1, 1)));
  ASSERT_TRUE(raw.NextFrame());
  api::ClientFrame send;
  send.set_request_id(2);
  send.mutable_send_message()->set_peer_user(2);
  send.mutable_send_message()->set_random_id(5);
  send.mutable_send_message()->set_text("\xc3\x28 invalid");
  raw.Send(send);
  api::ServerFrame answer;
  for (;;) {  // past the getDifference-free stream: the first error answers request 2
    auto f = raw.NextFrame();
    ASSERT_TRUE(f) << "no answer";
    ASSERT_TRUE(answer.ParseFromString(*f));
    if (answer.request_id() == 2) break;
  }
  EXPECT_EQ(answer.error().code(), api::MESSAGE_INVALID);
  api::ClientFrame ping;
  ping.set_request_id(3);
  ping.mutable_ping()->set_ping_id(3);
  raw.Send(ping);
  auto pong = raw.NextFrame();
  ASSERT_TRUE(pong && answer.ParseFromString(*pong));
  EXPECT_TRUE(answer.has_pong());
}

}  // namespace
}  // namespace msgbed::testing
