// workload.media in the simulator: one file uploaded once by the client's
// FileUpload through a gateway to the real media service, then shared
// many times by hash; every share is a message checked like any other.
#include <gtest/gtest.h>

#include "scenario.h"
#include "simulation.h"
#include "support/expect_input_error.h"
#include "support/simulate_in_child.h"

namespace msgbed::sim {
namespace {

const std::string kSmall = std::string(MSGBED_TEST_DIR) + "/sim/small.yaml";

// The small deployment with two media instances and a 3 MB file shared
// 500 times.
std::string Viral(const std::string& media = "{file_bytes: 3MB, shares: 500, start: 1s}") {
  std::string text =
      testing::Replaced(ReadFile(kSmall), "    auth: [app-1]\n", "    auth: [app-1]\n    media: [app-2, app-3]\n");
  return testing::Replaced(text, "  connect_ramp: 500ms\n", "  connect_ramp: 500ms\n  media: " + media + "\n");
}

TEST(SimulatedMedia, AFileUploadedOnceIsSharedByHashAndStoredOnce) {
  const auto s = SummaryOf(ParseScenario(Viral(), "viral.yaml"), "viral");
  const auto& m = s["media"];
  EXPECT_EQ(m["uploads"], 1);
  EXPECT_EQ(m["parts_sent"], 6) << "3 MB in 512 KiB parts";
  EXPECT_EQ(m["bytes_uploaded"], 3000000);
  EXPECT_EQ(m["bytes_stored"], 3000000);
  EXPECT_EQ(m["failed"], 0);
  EXPECT_EQ(m["unfinished_at_end"], 0);
  EXPECT_GT(m["seed_uploaded_at_s"].get<double>(), 1.0);
  // Every share (and the seed) asked by hash and sent the document.
  EXPECT_EQ(m["shares_asked"].get<uint64_t>() + m["shares_skipped"].get<uint64_t>(), 500u + 1);
  EXPECT_GT(m["shares_asked"].get<uint64_t>(), 490u) << "a connected device is found for almost every share";
  EXPECT_EQ(m["by_hash_hits"].get<uint64_t>(), m["shares_asked"].get<uint64_t>() - 1) << "all but the seed's own";
  EXPECT_EQ(m["documents_sent"], m["shares_asked"]);
  const uint64_t documents = m["documents_sent"].get<uint64_t>();
  EXPECT_EQ(m["bytes_stored_without_dedup"].get<uint64_t>(), documents * 3000000);
  EXPECT_EQ(m["upload_bytes_saved"].get<uint64_t>(), (documents - 1) * 3000000);
  // The documents went out as messages, each delivered and in the boxes.
  EXPECT_EQ(s["messages"]["errors"], 0);
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_EQ(s["deliveries"]["extra"], 0);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
  EXPECT_GT(s["messages"]["sent"].get<uint64_t>(), documents) << "the chat traffic and the shares";
}

// The media instance crashes in the middle of the upload (issue 11: a
// storage node lost mid-run). The client's upload stalls, resumes once the
// instance is back, and the file is stored once, whole; the shares go on.
TEST(SimulatedMedia, AnUploadCutByACrashOfItsStorageNodeResumesAndNothingIsLost) {
  std::string text = Viral("{file_bytes: 3MB, shares: 200, start: 1s}");
  text = testing::Replaced(text, "    media: [app-2, app-3]\n", "    media: [app-2]\n");
  text += "gateway: {request_timeout: 300ms}\nfaults:\n  - {at: 1100ms, for: 400ms, crash: media/0}\n";
  const auto s = SummaryOf(ParseScenario(text, "viral-crash.yaml"), "viral-crash");
  const auto& m = s["media"];
  EXPECT_EQ(m["uploads"], 1);
  EXPECT_GT(m["failed"].get<uint64_t>(), 0u) << "the crash cut the upload";
  EXPECT_GT(m["parts_sent"].get<uint64_t>(), 6u) << "parts lost in the crash were sent again";
  EXPECT_EQ(m["bytes_stored"], 3000000) << "one whole copy, nothing half written";
  EXPECT_GT(m["seed_uploaded_at_s"].get<double>(), 1.5) << "after the instance came back";
  EXPECT_GT(m["by_hash_hits"].get<uint64_t>(), 150u);
  EXPECT_EQ(s["deliveries"]["missing"], 0);
  EXPECT_TRUE(s["invariants"]["ok"].get<bool>()) << s["invariants"].dump();
}

// Found by a hostile tester: a file too big to arrive in the run left the
// run "settled", exit 0, with every figure at 0 and no warning.
TEST(SimulatedMedia, AnUploadStillUnderWayAtTheEndUnsettlesTheRunAndSaysSo) {
  const auto s = SummaryOf(ParseScenario(Viral("{file_bytes: 200MB, shares: 50, start: 1s}"), "late.yaml"), "late");
  const auto& m = s["media"];
  EXPECT_EQ(m["uploads"], 0);
  EXPECT_EQ(m["unfinished_at_end"], 1);
  EXPECT_GT(m["parts_sent"].get<uint64_t>(), 0u) << "the parts it did send";
  EXPECT_EQ(m["shares_not_made"], 50);
  EXPECT_FALSE(s["at_end"]["settled"].get<bool>());
  EXPECT_EQ(s["at_end"]["media_uploads_unfinished"], 1);
  ASSERT_FALSE(s["warnings"].empty());
  EXPECT_NE(s["warnings"][0].get<std::string>().find("upload did not finish"), std::string::npos) << s["warnings"];
}

// The parts of a file are bulk flows on the client link too, as they are
// between gateway and media: one device's 20 MB upload shares the link's
// bandwidth with other transfers instead of queueing every other device's
// chat frames behind its parts. (On the light transport the chat's p90
// send→ack went from 42 to 143 ms during the upload.)
TEST(SimulatedMedia, AnUploadDoesNotHoldUpTheChatOfEveryDeviceOnItsGateway) {
  const auto with = SummaryOf(ParseScenario(Viral("{file_bytes: 20MB, shares: 10, start: 1s}"), "big.yaml"), "big");
  const auto without = SummaryOf(ParseScenario(ReadFile(kSmall), "small.yaml"), "small");
  ASSERT_EQ(with["media"]["uploads"], 1);
  const double p90_with = with["latency_ms"]["send_to_ack"]["p90"].get<double>();
  const double p90_without = without["latency_ms"]["send_to_ack"]["p90"].get<double>();
  EXPECT_LT(p90_with, p90_without + 5) << "the chat waited behind the upload's parts";
}

TEST(SimulatedMedia, SameScenarioAndSeedGiveTheSameBytes) {
  const Scenario sc = ParseScenario(Viral("{file_bytes: 1MB, shares: 200}"), "viral.yaml");
  const std::string first = SimulateInChild(sc, "viral-det1");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, SimulateInChild(sc, "viral-det2"));
}

TEST(SimulatedMedia, ShareCountsWeighInTheMemoryEstimate) {
  Scenario sc = ParseScenario(Viral("{file_bytes: 3MB, shares: 500}"), "viral.yaml");
  EXPECT_NO_THROW(CheckMemory(sc, 8e9));
  const double few = EstimateMemoryBytes(sc);
  sc.workload.media.shares = 1'000'000'000;
  EXPECT_GT(EstimateMemoryBytes(sc), few + 1e12);
  EXPECT_THROW(CheckMemory(sc, 8e9), ScenarioError);
}

TEST(SimulatedMedia, BadMediaWorkloadsAreRefused) {
  ExpectError(testing::Replaced(Viral(), "    media: [app-2, app-3]\n", ""),
              "key 'workload.media': needs a media service");
  ExpectError(Viral("{file_bytes: 3MB, shares: 5, start: 4s}"),
              "key 'workload.media.start': must be before the end of the loaded period");
  ExpectError(Viral("{file_bytes: 3GiB}"), "key 'workload.media.file_bytes'");
  ExpectError(Viral("{file_bytes: 0B}"), "key 'workload.media.file_bytes'");
  ExpectError(Viral("{shares: 5}"), "key 'workload.media.file_bytes'");
  ExpectError(Viral("{file_bytes: 1MB, sharez: 5}"), "key 'workload.media.sharez': unknown key");
  ExpectError(Viral("{file_bytes: 1MB, shares: 1000000000}"), "key 'workload.media.shares'");
  ExpectError(Viral("{file_bytes: 1MB, shares: 2.5}"), "key 'workload.media.shares': a whole number");
  EXPECT_EQ(ParseScenario(Viral("{file_bytes: 1MB, shares: 0}"), "zero.yaml").workload.media.shares, 0u);
}

}  // namespace
}  // namespace msgbed::sim
