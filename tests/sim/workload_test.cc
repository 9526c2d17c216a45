// The workload models: device counts drawn per user, user classes, a rate
// curve with a spike, a diurnal cycle and sessions that end and resume.
#include <gtest/gtest.h>

#include <sstream>

#include "scenario.h"
#include "support/expect_input_error.h"
#include "support/simulate_in_child.h"
#include "workload_spec.h"

namespace msgbed::sim {
namespace {

const std::string kSmall = std::string(MSGBED_TEST_DIR) + "/sim/small.yaml";

// small.yaml with its workload lines `extra` appended, and `devices` for
// its three devices per user.
Scenario SmallWith(const std::string& extra, const std::string& devices = "3") {
  const std::string text = testing::Replaced(ReadFile(kSmall), "devices_per_user: 3", "devices_per_user: " + devices);
  return ParseScenario(text + extra, "workload.yaml");
}

TEST(WorkloadSpec, TheRateCurveIsPiecewiseLinearAndHeldAtItsEnds) {
  WorkloadSpec w;
  w.rate = {{1, 2}, {3, 6}, {3, 1}};
  EXPECT_DOUBLE_EQ(w.RateFactor(0), 2);
  EXPECT_DOUBLE_EQ(w.RateFactor(2), 4);
  EXPECT_DOUBLE_EQ(w.RateFactor(3), 1) << "two points at one time make a step";
  EXPECT_DOUBLE_EQ(w.RateFactor(99), 1);
  EXPECT_DOUBLE_EQ(w.MaxRateFactor(), 6);
}

TEST(WorkloadSpec, TheDiurnalCyclePeaksAtOneAndFallsToItsLow) {
  WorkloadSpec w;
  w.diurnal_period = 86400;
  w.diurnal_low = 0.25;
  w.diurnal_peak = 20 * 3600;
  EXPECT_NEAR(w.RateFactor(20 * 3600), 1, 1e-12);
  EXPECT_NEAR(w.RateFactor(8 * 3600), 0.25, 1e-12);
  EXPECT_NEAR(w.RateFactor(2 * 3600), 0.625, 1e-12);
  EXPECT_NEAR(w.RateFactor(20 * 3600 + 86400), 1, 1e-9);
}

TEST(WorkloadSpec, ReadsEveryModelAndItsDefaults) {
  const Scenario sc = SmallWith(
      "  classes: [{name: heavy, share: 0.1, rate: 10}, {name: light, share: 0.9}]\n"
      "  rate: [{at: 0s, factor: 1}, {at: 2s, factor: 10}]\n"
      "  diurnal: {period: 24h, peak: 20h}\n"
      "  sessions: {online: 10min, offline: 30min}\n",
      "{1: 60, 3: 40}");
  const WorkloadSpec& w = sc.workload;
  ASSERT_EQ(w.device_weights.size(), 2u);
  EXPECT_DOUBLE_EQ(w.MeanDevices(), 1.8);
  ASSERT_EQ(w.classes.size(), 2u);
  EXPECT_EQ(w.classes[1].rate, 1) << "a class's rate defaults to 1";
  EXPECT_EQ(w.diurnal_low, 0.3) << "the documented default";
  EXPECT_EQ(w.session_offline, 1800);
  EXPECT_FALSE(w.Uniform());
}

TEST(WorkloadSpec, BadModelsNameTheirKey) {
  const std::string base = ReadFile(kSmall);
  auto with = [&](const std::string& from, const std::string& to) { return testing::Replaced(base, from, to); };
  ExpectError(with("devices_per_user: 3", "devices_per_user: {two: 1}"),
              "key 'workload.devices_per_user': 'two' is not a device count from 1 to 64");
  ExpectError(with("devices_per_user: 3", "devices_per_user: {1: 0, 2: 0}"),
              "key 'workload.devices_per_user': every weight is 0");
  ExpectError(with("devices_per_user: 3", "devices_per_user: {1: -1}"), "key 'workload.devices_per_user.1'");
  ExpectError(base + "  rate: [{at: 2s, factor: 1}, {at: 1s, factor: 2}]\n",
              "key 'workload.rate[1].at': earlier than the point before");
  ExpectError(base + "  rate: [{at: 2s}]\n", "key 'workload.rate[0].factor'");
  ExpectError(base + "  classes: [{name: a, share: 1}, {name: a, share: 2}]\n",
              "key 'workload.classes[1].name': duplicate class 'a'");
  ExpectError(base + "  classes: [{name: a}]\n", "key 'workload.classes[0].share'");
  ExpectError(base + "  diurnal: {period: 24h, low: 2}\n", "key 'workload.diurnal.low'");
  ExpectError(base + "  diurnal: {low: 0.5}\n", "key 'workload.diurnal.period'");
  ExpectError(base + "  sessions: {online: 10min}\n", "key 'workload.sessions.offline'");
  ExpectError(base + "  sessions: {online: 0s, offline: 1s}\n", "key 'workload.sessions.online'");
  // Found by a hostile tester: these ran until memory ran out.
  ExpectError(base + "  sessions: {online: 1us, offline: 1us}\n", "key 'workload.sessions.online': at least 100ms");
  ExpectError(base + "  classes: [{name: \"\", share: 1}]\n", "key 'workload.classes[0].name': a class needs a name");
  ExpectError(with("devices_per_user: 3", "devices_per_user: 65"), "key 'workload.devices_per_user': at most 64");
  ExpectError(base + "  channels: [{members: 151}]\n", "key 'workload.channels[0].members': from 2 to workload.users");
  ExpectError(base + "  channels: [{posts_per_minute: 1}]\n", "key 'workload.channels[0].members'");
  ExpectError(base + "  channels: [{members: 10, posts: 1}]\n", "workload.channels[0]");
  ExpectError(base + "  channels: []\n", "key 'workload.channels'");
  ExpectError(base + "  actions: {edits: 0.6, reads: 0.5}\n",
              "key 'workload.actions': edits, deletes, reads and forwards");
  ExpectError(base + "  groups: {count: 2, members: 201, share: 0.5}\n",
              "key 'workload.groups.members': from 2 to 200");
  ExpectError(base + "  groups: {count: 9, members: 20, share: 0.5}\n",
              "key 'workload.groups.count': 9 groups of 20 take 180 users and workload.users is 150");
  ExpectError(base + "  groups: {count: 2, members: 20}\n", "key 'workload.groups.share': missing");
  ExpectError(base + "  groups: {count: 2, members: {min: 3, max: 201, alpha: 2}, share: 0.5}\n",
              "key 'workload.groups.members': min <= max, both from 2 to 200");
  ExpectError(base + "  groups: {count: 2, members: {min: 30, max: 20, alpha: 2}, share: 0.5}\n",
              "key 'workload.groups.members': min <= max");
  ExpectError(base + "  groups: {count: 2, members: {min: 3, max: 20}, share: 0.5}\n",
              "key 'workload.groups.members.alpha': missing");
  ExpectError(base + "  groups: {count: 2, members: {min: 3, max: 20, alpha: 2, mean: 4}, share: 0.5}\n",
              "workload.groups.members");
  ExpectError(base + "  groups: {count: 60, members: {min: 3, max: 20, alpha: 2}, share: 0.5}\n",
              "key 'workload.groups.count': 60 groups of at least 3 take 180 users");
  // Drawn sizes that take more users than there are: told when read, with the seed.
  ExpectError(base + "  groups: {count: 10, members: {min: 2, max: 200, alpha: 0.1}, share: 0.5}\n",
              "key 'workload.groups.count': the groups drawn (seed");
  ExpectError(base + "  groups: {count: 2, members: 20, share: 1.5}\n", "key 'workload.groups.share'");
  ExpectError(base + "  actions: {edits: -0.1}\n", "key 'workload.actions.edits'");
  ExpectError(base + "  sign_ins: {with_password: 0.5}\n", "key 'workload.sign_ins': give per_hour");
  ExpectError(base + "  sign_ins: {new_devices_per_hour: -1}\n", "key 'workload.sign_ins.new_devices_per_hour'");
  ExpectError(base + "  actions: {forwards: 1.1}\n", "key 'workload.actions.forwards'");
  ExpectError(base + "  actions: {reads: 0.5, forwards: 0.6}\n", "reads and forwards are shares");
  ExpectError(base + "  actions: {replies: 0.1}\n", "workload.actions");
}

// Found by a hostile tester: a spike in the rate curve escaped the memory
// check and ran until memory ran out.
TEST(WorkloadSpec, TheMemoryEstimateTakesTheRateCurvesPeak) {
  EXPECT_NO_THROW(CheckMemory(SmallWith(""), 8e9));
  EXPECT_THROW(CheckMemory(SmallWith("  rate: [{at: 0s, factor: 1000000}]\n"), 8e9), ScenarioError);
}

// Sends per simulated second, from timeseries.csv.
std::vector<double> SentPerSecond(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // header: t_s,sent,...
  std::vector<double> sent;
  while (std::getline(in, line)) sent.push_back(std::stod(line.substr(line.find(',') + 1)));
  return sent;
}

TEST(Workload, ARateSpikeMultipliesTheOfferedLoadWhileItLasts) {
  Scenario sc = SmallWith(
      "  rate: [{at: 0s, factor: 1}, {at: 2s, factor: 1}, {at: 2s, factor: 4}, {at: 3s, factor: 4},"
      " {at: 3s, factor: 1}]\n");
  sc.workload.messages_per_second = 100;
  std::string csv;
  const auto s = nlohmann::json::parse(SimulateInChild(sc, "spike", 0, nullptr, &csv));
  const std::vector<double> sent = SentPerSecond(csv);
  ASSERT_GE(sent.size(), 4u);
  // Second 3 (t in [2, 3)) carries 400 a second, the others 100 (Poisson).
  EXPECT_GT(sent[2], 300);
  EXPECT_LT(sent[2], 500);
  for (size_t i : {1, 3}) EXPECT_LT(sent[i], 150) << "second " << i + 1;
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
}

TEST(Workload, DeviceCountsAreDrawnPerUserAndEveryDeviceIsServed) {
  const auto s = SummaryOf(SmallWith("", "{1: 50, 4: 50}"), "device-counts");
  const uint64_t devices = s["devices"]["total"].get<uint64_t>();
  // 150 users with 1 or 4 devices each, about half each.
  EXPECT_GT(devices, 150u * 2);
  EXPECT_LT(devices, 150u * 3);
  EXPECT_NE(devices % 150, 0u) << "not one count for everyone";
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_EQ(s["deliveries"]["delivered"], s["deliveries"]["expected"]);
  EXPECT_EQ(s["devices"]["in_sync_with_box"], s["devices"]["total"]);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
}

TEST(Workload, AHeavyClassSendsInProportionToShareTimesRate) {
  const auto s = SummaryOf(
      SmallWith("  classes: [{name: heavy, share: 0.1, rate: 10}, {name: light, share: 0.9, rate: 1}]\n"), "classes");
  const double heavy = s["messages"]["offered_by_class"]["heavy"].get<double>();
  const double light = s["messages"]["offered_by_class"]["light"].get<double>();
  EXPECT_EQ(heavy + light, s["messages"]["offered"].get<double>());
  // Expected share 0.1 * 10 / (0.1 * 10 + 0.9 * 1) = 0.53, with the
  // users' classes and the senders drawn at random.
  EXPECT_GT(heavy / (heavy + light), 0.4);
  EXPECT_LT(heavy / (heavy + light), 0.65);
}

TEST(Workload, SessionsEndAndResumeAndDevicesBackCatchUp) {
  const auto s = SummaryOf(SmallWith("  sessions: {online: 1s, offline: 500ms}\n"), "sessions");
  const auto& devices = s["devices"];
  EXPECT_GT(devices["sessions_ended"].get<uint64_t>(), 150u);
  EXPECT_TRUE(s["at_end"]["settled"].get<bool>());
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>());
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_EQ(s["messages"]["nobody_online"], 0);
  // Devices back from away caught up: many more catch-ups than late joiners.
  EXPECT_GT(s["latency_ms"]["offline_catch_up"]["count"].get<uint64_t>(), 150u);
  // Away devices are behind by design and owed what they missed; the rest
  // are in sync.
  const uint64_t away = s["at_end"]["devices_away"].get<uint64_t>();
  EXPECT_EQ(devices["in_sync_with_box"].get<uint64_t>() + away, devices["total"].get<uint64_t>());
  EXPECT_GT(away, 0u);
  EXPECT_GT(s["deliveries"]["owed_to_devices_away"].get<uint64_t>(), 0u);
}

// Found by a hostile tester: messages held by a device that then went away
// were counted nowhere, and an away device's deliveries were left out of
// `delivered` but not of `online` + `caught_up`.
TEST(Workload, WithSessionsEveryOfferedMessageAndEveryDeliveryIsCounted) {
  const auto s = SummaryOf(SmallWith("  sessions: {online: 100ms, offline: 1s}\n"), "sessions-counted");
  const auto& m = s["messages"];
  const auto& d = s["deliveries"];
  EXPECT_GT(m["held_unsent"].get<uint64_t>(), 0u) << "held by devices away at the end";
  EXPECT_EQ(m["offered"].get<uint64_t>(),
            m["sent"].get<uint64_t>() + m["held_unsent"].get<uint64_t>() + m["nobody_online"].get<uint64_t>());
  EXPECT_EQ(d["delivered"].get<uint64_t>(), d["online"].get<uint64_t>() + d["caught_up"].get<uint64_t>());
  EXPECT_EQ(d["expected"].get<uint64_t>(), d["delivered"].get<uint64_t>() + d["owed_to_devices_away"].get<uint64_t>());
}

// Users with one device, mostly away: a message to a user with nothing
// online becomes a push, which wakes the device to sync in the background,
// so messages reach devices sooner than their users come back. With every
// push lost, none wakes and delivery waits for the return.
TEST(Workload, APushWakesADeviceAwayWhichSyncsInTheBackground) {
  const std::string away = "  sessions: {online: 500ms, offline: 3s}\n";
  const auto pushed = SummaryOf(SmallWith(away, "1"), "pushed");
  const auto lost = SummaryOf(SmallWith(away + "push: {providers: [{loss: 1}]}\n", "1"), "lost");
  const auto& p = pushed["push"];
  EXPECT_GT(p["woke_devices"].get<uint64_t>(), 50u);
  EXPECT_GT(p["woken_devices_synced"].get<uint64_t>(), 50u);
  EXPECT_EQ(p["lost"].get<uint64_t>(), 0u);
  EXPECT_LT(p["wake_to_synced_ms"]["p50"].get<double>(), 1000);
  // Every wake ended one way or another (a user who came back first is not
  // a background sync that never finished), and the counts add up.
  EXPECT_EQ(p["wake_to_synced_ms"].value("unfinished", 0), 0);
  EXPECT_EQ(p["woke_devices"].get<uint64_t>(), p["woken_devices_synced"].get<uint64_t>() +
                                                   p["woken_user_returned_first"].get<uint64_t>() +
                                                   p["woken_connection_closed"].get<uint64_t>());
  EXPECT_EQ(p["sent"].get<uint64_t>(),
            p["accepted"].get<uint64_t>() + p["failed"].get<uint64_t>() + p["retrying_at_end"].get<uint64_t>());
  EXPECT_EQ(p["attempts"]["accepted"].get<uint64_t>() - p["lost"].get<uint64_t>(),
            p["arrived"].get<uint64_t>() + p["on_the_way_at_end"].get<uint64_t>());
  EXPECT_EQ(p["arrived"].get<uint64_t>(), p["woke_devices"].get<uint64_t>() + p["arrived_otherwise"].get<uint64_t>());
  EXPECT_EQ(lost["push"]["woke_devices"].get<uint64_t>(), 0u);
  EXPECT_EQ(lost["push"]["lost"].get<uint64_t>(), lost["push"]["accepted"].get<uint64_t>());
  EXPECT_GT(lost["push"]["accepted"].get<uint64_t>(), 50u);
  for (const auto* s : {&pushed, &lost}) {
    EXPECT_TRUE((*s)["invariants"]["ok"].get<bool>());
    EXPECT_EQ((*s)["deliveries"]["missing"], 0);
  }
  // Woken devices take their messages in the background instead of on return.
  EXPECT_GT(pushed["deliveries"]["delivered"].get<uint64_t>(), lost["deliveries"]["delivered"].get<uint64_t>());
  EXPECT_LT(pushed["deliveries"]["owed_to_devices_away"].get<uint64_t>(),
            lost["deliveries"]["owed_to_devices_away"].get<uint64_t>());
}

// Found by a hostile tester: a device that signed in again was pushed
// through its old session too (twice per message), and a push to a device
// with no session woke it into a background sign-in.
TEST(Workload, ADeviceThatSignedInAgainIsPushedOnceThroughItsNewSession) {
  const auto s = SummaryOf(SmallWith("  sessions: {online: 1s, offline: 1s}\n  sign_ins: {per_hour: 360000}\n"
                                     "sms: {providers: [{delivery: 100ms}]}\n",
                                     "1"),
                           "relogin-push");
  int64_t notified = 0, pushes = 0, opened = 0, registered = 0;
  for (const auto& [instance, counters] : s["instances"].items()) {
    notified += counters.value("sync.notified", 0);
    pushes += counters.value("auth.pushes", 0);
    opened += counters.value("auth.sessions_opened", 0);
    registered += counters.value("auth.push_registered", 0);
  }
  EXPECT_GT(opened, 50);
  // Every new session registers its token; one whose answer was lost with
  // its connection (the device left just after signing in) registers again
  // on its next one, idempotently.
  EXPECT_GE(registered, opened) << "every new session registers its token";
  EXPECT_LE(registered, opened + opened / 10);
  EXPECT_GT(notified, 100);
  EXPECT_LE(pushes, notified) << "one device per user: at most one push per notice";
  EXPECT_EQ(s["push"]["wake_to_synced_ms"].value("unfinished", 0), 0);
}

TEST(Workload, TheDefaultsDrawNothingNew) {
  // Writing the defaults out changes nothing: the same offered load.
  const auto plain = SummaryOf(LoadScenario(kSmall), "plain");
  const auto spelled = SummaryOf(SmallWith("  rate: [{at: 0s, factor: 1}]\n"), "spelled");
  EXPECT_EQ(plain["messages"]["offered_digest"], spelled["messages"]["offered_digest"]);
}

}  // namespace
}  // namespace msgbed::sim
