// The device state machine alone, fed scripted server frames.
#include "client/device.h"

#include <gtest/gtest.h>

namespace msgbed {
namespace {

struct Recorder : Device::Link, Device::Observer {
  std::vector<api::ClientFrame> out;
  std::vector<uint64_t> delivered;  // random ids
  std::vector<uint64_t> failed;     // random ids of failed sends
  std::vector<uint64_t> sent;       // random ids acknowledged
  void OnSendFailed(Device&, uint64_t random_id, const api::Error&) override { failed.push_back(random_id); }
  void OnSent(Device&, const api::SentMessage& s) override { sent.push_back(s.random_id()); }
  std::vector<uint64_t> forwarded;  // random ids of forwards seen stored
  void OnForwardStored(Device&, const api::Message& m) override { forwarded.push_back(m.random_id()); }
  void SendFrame(const api::ClientFrame& f) override { out.push_back(f); }
  void After(Micros delay, std::function<void()> fn) override { timers.emplace_back(delay, std::move(fn)); }
  // Runs the timers set so far (not those they set).
  void FireTimers() {
    auto due = std::move(timers);
    timers.clear();
    for (auto& [delay, fn] : due) fn();
  }
  std::vector<std::pair<Micros, std::function<void()>>> timers;
  void OnDelivered(Device&, const api::Message& m) override { delivered.push_back(m.random_id()); }
  size_t CountDifferenceRequests() const {
    size_t n = 0;
    for (const auto& f : out) n += f.has_get_difference();
    return n;
  }
};

api::ServerFrame Update(uint64_t pts, uint64_t random_id, uint64_t from = 9) {
  api::ServerFrame f;
  f.mutable_update()->set_pts(pts);
  f.mutable_update()->set_pts_count(1);
  f.mutable_update()->mutable_message()->set_random_id(random_id);
  f.mutable_update()->mutable_message()->set_from_user(from);
  return f;
}

api::ServerFrame Difference(std::vector<std::pair<uint64_t, uint64_t>> updates, uint64_t state_pts) {
  api::ServerFrame f;
  for (auto [pts, rid] : updates) *f.mutable_difference()->add_updates() = Update(pts, rid).update();
  f.mutable_difference()->set_state_pts(state_pts);
  return f;
}

// A session of user 1, device 1, as an earlier sign-in would have left it.
api::Authorization Session() {
  api::Authorization a;
  a.set_user_id(1);
  a.set_device_id(1);
  a.set_credential(std::string(48, 'k'));
  return a;
}

// Retries alone: the quiet-period resync has its own tests.
DeviceRetryPolicy WithoutQuietResync() {
  DeviceRetryPolicy p;
  p.quiet_resync = 0;
  return p;
}

// A device that has signed in and finished its first (empty) sync, with
// the given retry policy.
template <DeviceRetryPolicy (*Policy)()>
struct SyncedDevice : ::testing::Test {
  Recorder r;
  Device d{Session(), &r, &r, Policy()};
  void SetUp() override {
    d.Connected();
    api::ServerFrame signed_in;
    signed_in.mutable_signed_in()->set_user_id(1);
    d.OnFrame(signed_in);
    d.OnFrame(Difference({}, 0));
    ASSERT_EQ(d.state(), Device::State::kReady);
  }
};
using ReadyDevice = SyncedDevice<WithoutQuietResync>;

TEST_F(ReadyDevice, AppliesInOrderAndIgnoresDuplicates) {
  d.OnFrame(Update(1, 11));
  d.OnFrame(Update(2, 12));
  d.OnFrame(Update(2, 12));
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{11, 12}));
  EXPECT_EQ(d.duplicates_ignored(), 1u);
  EXPECT_EQ(r.out.back().updates_ack().pts(), 2u);
}

DeviceRetryPolicy BatchingAcks() {
  DeviceRetryPolicy p = WithoutQuietResync();
  p.ack_delay = kSecond;
  return p;
}
using BatchingDevice = SyncedDevice<BatchingAcks>;

size_t CountAcks(const std::vector<api::ClientFrame>& out) {
  size_t n = 0;
  for (const auto& f : out) n += f.has_updates_ack();
  return n;
}

// Real clients batch acks: one ack per ack_delay, for the highest pts then.
TEST_F(BatchingDevice, AcknowledgesOncePerDelayTheHighestPts) {
  for (uint64_t pts = 1; pts <= 5; ++pts) d.OnFrame(Update(pts, 10 + pts));
  EXPECT_EQ(CountAcks(r.out), 0u) << "nothing acknowledged before the delay";
  ASSERT_EQ(r.timers.size(), 1u) << "one timer for the batch";
  EXPECT_EQ(r.timers[0].first, kSecond);
  r.FireTimers();
  ASSERT_EQ(CountAcks(r.out), 1u);
  EXPECT_EQ(r.out.back().updates_ack().pts(), 5u);
  d.OnFrame(Update(6, 16));
  r.FireTimers();
  EXPECT_EQ(CountAcks(r.out), 2u) << "the next update starts a new batch";
}

// A batch pending when the connection drops is not sent on the next one.
TEST_F(BatchingDevice, ABatchDiesWithItsConnection) {
  d.OnFrame(Update(1, 11));
  d.Disconnected();
  r.FireTimers();
  EXPECT_EQ(CountAcks(r.out), 0u);
}

TEST_F(ReadyDevice, GapTriggersGetDifferenceAndBuffersUntilItAnswers) {
  d.OnFrame(Update(1, 11));
  d.OnFrame(Update(3, 13));  // 2 is missing
  EXPECT_EQ(d.state(), Device::State::kSyncing);
  EXPECT_EQ(r.CountDifferenceRequests(), 2u);
  EXPECT_EQ(r.out.back().get_difference().pts(), 1u);
  d.OnFrame(Update(4, 14));  // arrives during the sync: buffered
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{11}));
  d.OnFrame(Difference({{2, 12}, {3, 13}}, 3));
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{11, 12, 13, 14}));
  EXPECT_EQ(d.pts(), 4u);
  EXPECT_EQ(d.state(), Device::State::kReady);
}

TEST_F(ReadyDevice, OwnMessagesAreNotDeliveredBackToTheSender) {
  d.SendText(2, "hi", 555);
  api::ServerFrame sent;
  sent.mutable_sent_message()->set_random_id(555);
  sent.mutable_sent_message()->set_pts(1);
  sent.mutable_sent_message()->set_pts_count(1);
  d.OnFrame(sent);
  EXPECT_EQ(d.pts(), 1u);
  EXPECT_TRUE(r.delivered.empty());
  d.OnFrame(Update(1, 555, /*from=*/1));  // the same update pushed anyway
  EXPECT_TRUE(r.delivered.empty());
}

TEST_F(ReadyDevice, AFailedSendIsReportedByItsRandomIdAndOnlyOnce) {
  d.SendText(2, "one", 71);
  const uint64_t first = r.out.back().request_id();
  d.SendText(2, "two", 72);
  api::ServerFrame error;
  error.set_request_id(first);
  error.mutable_error()->set_code(api::PEER_ID_INVALID);
  d.OnFrame(error);
  d.OnFrame(error);  // a second error for the same request is not a second failure
  EXPECT_EQ(r.failed, (std::vector<uint64_t>{71}));
  EXPECT_TRUE(r.timers.empty()) << "a permanent error is not retried";
}

api::ServerFrame ErrorFor(uint64_t request_id, api::ErrorCode code) {
  api::ServerFrame f;
  f.set_request_id(request_id);
  f.mutable_error()->set_code(code);
  return f;
}

size_t CountSends(const Recorder& r, uint64_t random_id) {
  size_t n = 0;
  for (const auto& f : r.out) n += f.has_send_message() && f.send_message().random_id() == random_id;
  return n;
}

TEST_F(ReadyDevice, TransientSendErrorsAreRetriedWithTheSameRandomIdThenGivenUp) {
  d.SendText(2, "one", 71);
  for (uint32_t attempt = 1; attempt < Device::RetryPolicy{}.max_send_attempts; ++attempt) {
    d.OnFrame(ErrorFor(r.out.back().request_id(), api::UNAVAILABLE));
    ASSERT_EQ(r.timers.size(), 1u);
    EXPECT_EQ(r.timers[0].first, kSecond << (attempt - 1)) << "a growing delay";
    r.FireTimers();
    EXPECT_EQ(CountSends(r, 71), attempt + 1);
    EXPECT_TRUE(r.failed.empty());
  }
  d.OnFrame(ErrorFor(r.out.back().request_id(), api::TIMEOUT));
  EXPECT_EQ(r.failed, (std::vector<uint64_t>{71})) << "given up after the last attempt";
  EXPECT_EQ(d.unanswered(), 0u);
}

// Found by a hostile tester: every catch-up resent sends that were still
// waiting out their delay, so a busy device used up its attempts in seconds.
TEST_F(ReadyDevice, ACatchUpDoesNotCutARetryDelayShort) {
  d.SendText(2, "one", 71);
  d.OnFrame(ErrorFor(r.out.back().request_id(), api::UNAVAILABLE));
  d.OnFrame(Update(2, 12));  // a gap: catch-up
  d.OnFrame(Difference({{1, 11}}, 1));
  EXPECT_EQ(CountSends(r, 71), 1u) << "still waiting out its delay";
  r.FireTimers();
  EXPECT_EQ(CountSends(r, 71), 2u);
}

TEST_F(ReadyDevice, GivingUpASendAsksForTheBoxStateTheServerMayHaveStored) {
  d.SendText(2, "one", 71);
  for (uint32_t attempt = 1; attempt <= Device::RetryPolicy{}.max_send_attempts; ++attempt) {
    d.OnFrame(ErrorFor(r.out.back().request_id(), api::TIMEOUT));
    r.FireTimers();
  }
  ASSERT_EQ(r.failed, (std::vector<uint64_t>{71}));
  EXPECT_TRUE(r.out.back().has_get_difference());
}

api::ServerFrame OwnUpdate(uint64_t pts, uint64_t random_id) { return Update(pts, random_id, /*from=*/1); }

// Found by a hostile tester: a send whose answer was lost, or failed after
// the server stored it, was retried and then reported failed although the
// peer had it. The device's own box showing it settles it as sent.
TEST_F(ReadyDevice, AnOwnMessageInTheBoxSettlesItsPendingSend) {
  d.SendText(2, "x", 71);
  const uint64_t request = r.out.back().request_id();
  d.OnFrame(Update(2, 12));  // a gap: catch-up
  api::ServerFrame diff = Difference({}, 2);
  *diff.mutable_difference()->add_updates() = OwnUpdate(1, 71).update();
  *diff.mutable_difference()->add_updates() = Update(2, 12).update();
  d.OnFrame(diff);
  EXPECT_EQ(r.sent, (std::vector<uint64_t>{71}));
  EXPECT_EQ(d.unanswered(), 0u);
  d.OnFrame(ErrorFor(request, api::INTERNAL));  // a failure that came after the server stored it
  EXPECT_TRUE(r.failed.empty());
  r.FireTimers();
  EXPECT_EQ(CountSends(r, 71), 1u) << "not sent again";
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{12}));
}

// A forward is a Request, not a send: its copy in the box is reported as
// stored once, whether the answer or a sync shows it first, and is never
// delivered back; a send's copy is not taken for a forward.
TEST_F(ReadyDevice, AForwardsCopyInTheBoxIsReportedStoredOnceByAnswerOrSync) {
  api::ClientFrame forward;
  forward.mutable_forward_message()->set_id(5);
  forward.mutable_forward_message()->set_peer_user(2);
  forward.mutable_forward_message()->set_random_id(81);
  d.Request(forward);
  d.Disconnected();  // the answer is lost with the connection
  d.Connected();
  api::ServerFrame signed_in;
  signed_in.mutable_signed_in()->set_user_id(1);
  d.OnFrame(signed_in);
  api::ServerFrame diff = Difference({}, 1);
  *diff.mutable_difference()->add_updates() = OwnUpdate(1, 81).update();
  d.OnFrame(diff);
  EXPECT_EQ(r.forwarded, (std::vector<uint64_t>{81}));
  d.SendText(2, "x", 82);
  api::ServerFrame sent;
  sent.set_request_id(r.out.back().request_id());
  sent.mutable_sent_message()->set_random_id(82);
  sent.mutable_sent_message()->set_message_id(2);
  sent.mutable_sent_message()->set_pts(2);
  sent.mutable_sent_message()->set_pts_count(1);
  d.OnFrame(sent);
  d.OnFrame(Update(2, 82, 1));  // the send's copy pushed as well
  EXPECT_EQ(r.forwarded, (std::vector<uint64_t>{81}));
  EXPECT_EQ(r.sent, (std::vector<uint64_t>{82}));
  EXPECT_TRUE(r.delivered.empty());
}

TEST_F(ReadyDevice, FloodWaitIsRetriedAfterTheTimeTheServerAsked) {
  d.SendText(2, "one", 71);
  api::ServerFrame flood = ErrorFor(r.out.back().request_id(), api::FLOOD_WAIT);
  flood.mutable_error()->set_retry_after_s(7);
  d.OnFrame(flood);
  ASSERT_EQ(r.timers.size(), 1u);
  EXPECT_EQ(r.timers[0].first, 7 * kSecond);
}

TEST_F(ReadyDevice, SendsCutOffByADisconnectAreSentAgainInOrderAfterTheNextSync) {
  d.SendText(2, "one", 90);
  d.SendText(2, "two", 80);
  d.Disconnected();
  r.out.clear();
  d.Connected();
  api::ServerFrame signed_in;
  signed_in.mutable_signed_in()->set_user_id(1);
  d.OnFrame(signed_in);
  EXPECT_EQ(CountSends(r, 90), 0u) << "not before the device is synced";
  d.OnFrame(Difference({}, 0));
  ASSERT_EQ(r.out.size(), 4u);  // sign-in, getDifference, the two sends
  EXPECT_EQ(r.out[2].send_message().random_id(), 90u);
  EXPECT_EQ(r.out[3].send_message().random_id(), 80u);
  api::ServerFrame sent;
  sent.set_request_id(r.out[2].request_id());
  sent.mutable_sent_message()->set_random_id(90);
  sent.mutable_sent_message()->set_pts(1);
  sent.mutable_sent_message()->set_pts_count(1);
  d.OnFrame(sent);
  EXPECT_EQ(d.unanswered(), 1u);
  EXPECT_EQ(d.retries(), 2u);
}

TEST_F(ReadyDevice, AFailedGetDifferenceIsAskedAgainAndUpdatesStayBuffered) {
  d.OnFrame(Update(2, 12));  // gap
  d.OnFrame(ErrorFor(r.out.back().request_id(), api::UNAVAILABLE));
  EXPECT_EQ(d.state(), Device::State::kSyncing);
  d.OnFrame(Update(3, 13));                    // buffered, not a second request
  ASSERT_EQ(r.CountDifferenceRequests(), 2u);  // the first sync's and the gap's
  r.FireTimers();
  EXPECT_EQ(r.CountDifferenceRequests(), 3u);
  d.OnFrame(Difference({{1, 11}}, 1));
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{11, 12, 13}));
}

TEST(Device, ATransientSignInFailureIsRetriedUntilTheConnectionEnds) {
  Recorder r;
  Device d{Session(), &r, &r};
  d.Connected();
  d.OnFrame(ErrorFor(r.out.back().request_id(), api::TIMEOUT));
  EXPECT_EQ(d.state(), Device::State::kSignInFailed);
  r.FireTimers();
  EXPECT_EQ(d.state(), Device::State::kSigningIn);
  EXPECT_TRUE(r.out.back().has_resume_session());
  d.OnFrame(ErrorFor(r.out.back().request_id(), api::TIMEOUT));
  d.Disconnected();
  const size_t sent = r.out.size();
  r.FireTimers();  // set on the connection that ended
  EXPECT_EQ(r.out.size(), sent);
  EXPECT_EQ(d.state(), Device::State::kOffline);
}

TEST_F(ReadyDevice, SliceAsksAgainFromWhereItStopped) {
  api::ServerFrame slice = Difference({{1, 11}}, 2);
  slice.mutable_difference()->set_is_slice(true);
  d.OnFrame(Update(2, 12));  // gap -> getDifference(0)
  d.OnFrame(slice);
  EXPECT_EQ(d.state(), Device::State::kSyncing);
  EXPECT_EQ(r.out.back().get_difference().pts(), 1u);
  d.OnFrame(Difference({{2, 12}}, 2));
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{11, 12}));
}

DeviceRetryPolicy DefaultPolicy() { return {}; }

// Connected and synced, with the default policy (quiet resync on): its
// first check is set for one quiet period.
struct QuietDevice : SyncedDevice<DefaultPolicy> {
  void SetUp() override {
    SyncedDevice::SetUp();
    ASSERT_EQ(r.timers.size(), 1u);
    ASSERT_EQ(r.timers[0].first, DeviceRetryPolicy{}.quiet_resync);
  }
};

// A lost last push is revealed by no later update: a quiet period without
// any update asks getDifference anyway.
TEST_F(QuietDevice, AQuietPeriodWithoutUpdatesAsksForTheDifference) {
  const size_t before = r.CountDifferenceRequests();
  r.FireTimers();
  EXPECT_EQ(r.CountDifferenceRequests(), before + 1);
  EXPECT_EQ(r.out.back().get_difference().pts(), 0u);
  EXPECT_EQ(d.quiet_resyncs(), 1u);
  d.OnFrame(Difference({{1, 11}}, 1));  // the push that was lost
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{11}));
  EXPECT_EQ(r.timers.size(), 1u) << "and it keeps checking";
}

TEST_F(QuietDevice, UpdatesInThePeriodMeanNoResync) {
  d.OnFrame(Update(1, 11));
  const size_t before = r.CountDifferenceRequests();
  r.FireTimers();
  EXPECT_EQ(r.CountDifferenceRequests(), before);
  EXPECT_EQ(d.quiet_resyncs(), 0u);
  r.FireTimers();  // the next period is quiet
  EXPECT_EQ(d.quiet_resyncs(), 1u);
}

TEST_F(QuietDevice, ADroppedConnectionStopsTheChecks) {
  d.Disconnected();
  r.FireTimers();
  EXPECT_EQ(d.quiet_resyncs(), 0u);
  EXPECT_TRUE(r.timers.empty());
}

// Found by a hostile tester: a simulated SMS faster than the answer to
// SendCode was typed without its hash (PHONE_CODE_HASH_EMPTY). The code
// now waits for the hash.
TEST(Device, ACodeTypedBeforeItsHashCameIsSentWithIt) {
  Recorder r;
  Device d{api::Authorization{}, &r, &r};
  d.Connected();
  EXPECT_EQ(d.state(), Device::State::kSignedOut);
  d.RequestCode("+447700900123");
  ASSERT_TRUE(r.out.back().has_send_code());
  const size_t before = r.out.size();
  d.SubmitCode("12345", api::ClientInfo());
  EXPECT_EQ(r.out.size(), before) << "nothing to send it with yet";
  api::ServerFrame sent;
  sent.mutable_sent_code()->set_phone_code_hash("h1");
  d.OnFrame(sent);
  ASSERT_EQ(r.out.size(), before + 1);
  ASSERT_TRUE(r.out.back().has_sign_in());
  EXPECT_EQ(r.out.back().sign_in().phone_code_hash(), "h1");
  EXPECT_EQ(r.out.back().sign_in().code(), "12345");
}

}  // namespace
}  // namespace msgbed

namespace msgbed {
namespace {

// A post of channel 7 at pts, from user 9.
api::ServerFrame ChannelPost(uint64_t pts, uint64_t random_id) {
  api::ServerFrame f = Update(pts, random_id);
  f.mutable_update()->mutable_message()->set_id(pts);
  f.mutable_update()->set_channel_box(7);
  f.mutable_update()->mutable_message()->set_channel_id(7);
  return f;
}

// A device of a member of channel 7, synced up to channel pts 1.
struct ChannelMember : ReadyDevice {
  void SetUp() override {
    ReadyDevice::SetUp();
    api::ServerFrame joined = Update(1, 0);
    joined.mutable_update()->set_kind(api::Update::CHANNEL);
    joined.mutable_update()->set_channel_id(7);
    d.OnFrame(joined);
    api::ServerFrame diff;
    diff.mutable_channel_difference()->set_channel_id(7);
    *diff.mutable_channel_difference()->add_updates() = ChannelPost(1, 71).update();
    diff.mutable_channel_difference()->set_pts(1);
    d.OnFrame(diff);
    ASSERT_EQ(d.channel_pts(7), 1u);
  }
};

// Found by a hostile tester: a post pushed while the device was syncing
// its own box waited for the next post to reveal it, forever if none came.
TEST_F(ChannelMember, APostPushedWhileTheBoxSyncsIsShownWhenTheSyncEnds) {
  d.OnFrame(Update(3, 12));  // a gap in the box: getDifference
  ASSERT_EQ(d.state(), Device::State::kSyncing);
  d.OnFrame(ChannelPost(2, 72));
  d.OnFrame(Difference({{2, 11}, {3, 12}}, 3));
  EXPECT_EQ(d.channel_pts(7), 2u);
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{71, 11, 12, 72}));
}

// Found by a hostile tester: too_long brought back the latest messages even
// when the device had them already.
TEST_F(ChannelMember, TooLongShowsOnlyMessagesTheDeviceHasNotShown) {
  api::ServerFrame diff;
  api::ChannelDifference* cd = diff.mutable_channel_difference();
  cd->set_channel_id(7);
  cd->set_too_long(true);
  cd->set_pts(20000);
  for (uint64_t id : {1, 2}) {
    api::Message* m = cd->add_messages();
    m->set_id(id);
    m->set_channel_id(7);
    m->set_from_user(9);
    m->set_random_id(80 + id);
  }
  const uint64_t request = d.Request([] {
    api::ClientFrame f;
    f.mutable_get_channel_difference()->set_channel_id(7);
    return f;
  }());
  (void)request;
  r.delivered.clear();
  d.OnFrame(diff);
  EXPECT_EQ(r.delivered, std::vector<uint64_t>{82}) << "message 1 was shown already";
  EXPECT_EQ(d.channel_pts(7), 20000u);
}

}  // namespace
}  // namespace msgbed
