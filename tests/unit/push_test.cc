// Push notifications (docs/messaging.md, "Push"): a new message for a user
// none of whose devices is connected goes to every device token the user's
// live sessions registered, through the push providers, without its text;
// nothing is pushed while any device of the user is online, nor to a
// session that unregistered or was terminated.
#include <gtest/gtest.h>

#include <algorithm>

#include "auth/auth_service.h"
#include "auth/placement.h"
#include "auth/provision.h"
#include "proto/messages.pb.h"
#include "unit/ask.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

struct PushTest : ::testing::Test {
  TestCluster c{Shape(2, 1, 1, 8)};

  // Sends frame on d's connection as d's next request; returns the answer.
  api::ServerFrame Ask(TestDevice& d, api::ClientFrame frame) { return testing::Ask(c, d, std::move(frame)); }
  api::ServerFrame Register(TestDevice& d, const std::string& token) {
    api::ClientFrame frame;
    frame.mutable_register_device()->set_token(token);
    return Ask(d, frame);
  }
  // A connected, synced device of user with token registered.
  TestDevice& Registered(uint64_t user, uint64_t device, const std::string& token, uint32_t gateway = 0) {
    TestDevice& d = c.AddDevice(user, device, gateway);
    c.Connect(d);
    c.Run();
    EXPECT_TRUE(Register(d, token).has_done());
    return d;
  }
  void SendText(TestDevice& from, uint64_t to, const std::string& text, uint64_t random_id) {
    from.core.SendText(to, text, random_id);
    c.Run();
  }
  // User 2 (online, with its own token) writes "hello" to user 1 once the
  // `away` devices have disconnected.
  TestDevice& HelloWhileAway(std::initializer_list<TestDevice*> away) {
    TestDevice& sender = Registered(2, 1, "tok-sender");
    for (TestDevice* d : away) c.Disconnect(*d);
    c.Run();
    SendText(sender, 1, "hello", 7);
    return sender;
  }
  std::vector<std::string> Tokens() const {
    std::vector<std::string> out;
    for (const auto& s : c.push.sent) out.push_back(s.message.to);
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(PushTest, AMessageToAUserWithNoDeviceOnlineGoesToEveryTokenWithoutItsText) {
  TestDevice& phone = Registered(1, 1, "tok-phone");
  TestDevice& tablet = Registered(1, 2, "tok-tablet", 1);
  TestDevice& sender = Registered(2, 1, "tok-sender");
  c.Disconnect(phone);
  c.Disconnect(tablet);
  c.Run();
  SendText(sender, 1, "meet me at noon", 7);

  ASSERT_EQ(Tokens(), (std::vector<std::string>{"tok-phone", "tok-tablet"}));
  for (const auto& s : c.push.sent) {
    EXPECT_EQ(s.message.text.find("noon"), std::string::npos) << s.message.text;
    EXPECT_NE(s.message.text.find("\"from\":2"), std::string::npos) << s.message.text;
  }
  EXPECT_EQ(c.host(AuthOfUser(c.shape(), 1)).Stats().Get("auth.pushes_delivered"), 2);

  // Woken, the phone syncs and shows the message.
  c.Connect(phone);
  c.Run();
  ASSERT_EQ(phone.delivered.size(), 1u);
  EXPECT_EQ(phone.delivered[0].text(), "meet me at noon");
}

TEST_F(PushTest, NothingIsPushedWhileAnyDeviceOfTheUserIsOnline) {
  TestDevice& phone = Registered(1, 1, "tok-phone");
  TestDevice& laptop = c.AddDevice(1, 2, 1);
  c.Connect(laptop);
  TestDevice& sender = HelloWhileAway({&phone});
  EXPECT_EQ(laptop.delivered.size(), 1u);
  // A sender's own copy never pushes to the sender's devices, even when
  // the last one left before the copy was published.
  c.Disconnect(sender);
  c.Run();
  c.drop = [&](const Envelope& e) {
    if (e.body && e.body->GetDescriptor() == messages::SendMessage::descriptor() && laptop.open) c.Disconnect(laptop);
    return false;
  };
  SendText(laptop, 2, "hi back", 8);
  EXPECT_FALSE(laptop.open);
  EXPECT_EQ(Tokens(), (std::vector<std::string>{"tok-sender"}));
}

TEST_F(PushTest, AnUnregisteredOrTerminatedSessionGetsNoPush) {
  TestDevice& phone = Registered(1, 1, "tok-phone");
  TestDevice& tablet = Registered(1, 2, "tok-tablet");
  TestDevice& laptop = Registered(1, 3, "tok-laptop");
  EXPECT_TRUE(Register(tablet, "").has_done());
  api::ClientFrame reset;
  reset.mutable_reset_authorization()->set_device_id(3);
  EXPECT_TRUE(Ask(phone, reset).has_done());
  EXPECT_FALSE(laptop.open);
  HelloWhileAway({&phone, &tablet});
  EXPECT_EQ(Tokens(), (std::vector<std::string>{"tok-phone"}));
}

TEST_F(PushTest, AnOversizedOrUnprintableTokenIsRefusedAndTheOldOneKept) {
  TestDevice& phone = Registered(1, 1, "tok-phone");
  for (const std::string& bad : {std::string(4097, 't'), std::string("a b"), std::string("a\nforged line")}) {
    const api::ServerFrame answer = Register(phone, bad);
    ASSERT_TRUE(answer.has_error()) << bad;
    EXPECT_EQ(answer.error().code(), api::TOKEN_INVALID);
  }
  HelloWhileAway({&phone});
  EXPECT_EQ(Tokens(), (std::vector<std::string>{"tok-phone"}));
}

// A device that signed in again registers its token from its new session:
// the old session (never terminated) pushes no more, so one push each.
TEST_F(PushTest, ATokenRegisteredAgainMovesFromTheUsersOtherSessions) {
  TestDevice& before = Registered(1, 1, "tok-phone");
  c.Disconnect(before);
  TestDevice& after = Registered(1, 2, "tok-phone");
  HelloWhileAway({&after});
  EXPECT_EQ(Tokens(), (std::vector<std::string>{"tok-phone"}));
}

// Sessions are never deleted (revoked ones stay, ids grow): a user with
// more than a scan page of them still gets pushes on the newest.
TEST_F(PushTest, TheNewestOfThousandsOfSessionsGetsItsPush) {
  const Address auth = AuthOfUser(c.shape(), 1);
  for (uint64_t device = 1; device <= 1500; ++device) {
    Status s;
    ProvisionSession([&](const Address& a) -> KvStore& { return c.substrate(a).Store(); }, c.shape(), 1, device,
                     std::string(32, static_cast<char>(device)), 0, &s);
    ASSERT_TRUE(s.ok());
  }
  ASSERT_EQ(c.host(auth).Stats().Get("auth.pushes"), 0);
  TestDevice& newest = Registered(1, 1500, "tok-newest");
  HelloWhileAway({&newest});
  EXPECT_EQ(Tokens(), (std::vector<std::string>{"tok-newest"}));
}

// The same for terminating one: a session past the first thousand records
// is found (it was HASH_INVALID).
TEST_F(PushTest, TheNewestOfThousandsOfSessionsCanBeTerminated) {
  for (uint64_t device = 2; device <= 1500; ++device) {
    Status s;
    ProvisionSession([&](const Address& a) -> KvStore& { return c.substrate(a).Store(); }, c.shape(), 1, device,
                     std::string(32, static_cast<char>(device)), 0, &s);
    ASSERT_TRUE(s.ok());
  }
  TestDevice& phone = Registered(1, 1, "tok-phone");
  api::ClientFrame reset;
  reset.mutable_reset_authorization()->set_device_id(1500);
  EXPECT_TRUE(Ask(phone, reset).has_done());
}

TEST_F(PushTest, APushGoesThroughTheNextProviderWhenTheFirstFails) {
  c.push.up = {false, true};
  TestDevice& phone = Registered(1, 1, "tok-phone");
  HelloWhileAway({&phone});
  c.Advance(AuthLimits().push.first_backoff);  // the first provider's second try, then the next one
  c.Run();
  ASSERT_EQ(c.push.sent.size(), 1u);
  EXPECT_EQ(c.push.sent[0].provider, 1u);
  EXPECT_EQ(c.host(AuthOfUser(c.shape(), 1)).Stats().Get("auth.pushes_delivered"), 1);
}

TEST_F(PushTest, WithNoPushProviderConfiguredAPushFailsQuietly) {
  c.push.up = {};
  TestDevice& phone = Registered(1, 1, "tok-phone");
  TestDevice& sender = HelloWhileAway({&phone});
  c.Run();
  EXPECT_TRUE(c.push.sent.empty());
  EXPECT_EQ(c.host(AuthOfUser(c.shape(), 1)).Stats().Get("auth.pushes_failed"), 1);
  EXPECT_EQ(sender.sent.size(), 1u);  // the send itself is untouched
}

}  // namespace
}  // namespace msgbed::testing
