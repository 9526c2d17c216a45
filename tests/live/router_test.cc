// The router's bounds: what it refuses to send, and how much it keeps for
// a target that is not there.
#include "live/router.h"

#include <gtest/gtest.h>

#include "live/live_fixture.h"
#include "proto/messages.pb.h"

namespace msgbed::live {
namespace {

LiveConfig TwoProcesses(uint16_t messages_port) {
  return ParseConfig(
      "instances:\n  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
      "  messages/0: {rpc: 127.0.0.1:" +
          std::to_string(messages_port) + "}\n  sync/0: {rpc: 127.0.0.1:0}\n  auth/0: {rpc: 127.0.0.1:0}\n",
      "r.yaml");
}

Envelope ToMessages(size_t text_bytes, uint32_t index = 0) {
  auto body = NewBody<messages::SendMessage>();
  body->mutable_send()->set_text(std::string(text_bytes, 'x'));
  return Envelope{MakeAddress(role::kGateway, 0),
                  MakeAddress(role::kMessages, index),
                  Envelope::Kind::kOneWay,
                  0,
                  rpc::CALL_OK,
                  body};
}

TEST(Router, AnEnvelopeLargerThanALinkFrameIsRefusedAtTheSender) {
  asio::io_context io;
  Router router(io, TwoProcesses(testing::FreePorts(1)[0]), "secret-secret-secret");
  router.Send(ToMessages(2 << 20));
  EXPECT_EQ(router.dropped(), 1u);
}

TEST(Router, AnUnreachableTargetHoldsABoundedQueueThenDropsIt) {
  asio::io_context io;
  Router router(io, TwoProcesses(testing::FreePorts(1)[0]), "secret-secret-secret");  // nobody listens there
  for (size_t i = 0; i < Router::kMaxQueuedPerTarget + 5; ++i) router.Send(ToMessages(10));
  EXPECT_EQ(router.dropped(), 5u) << "beyond the queue bound";
  ASSERT_TRUE(testing::RunUntil(io, [&] { return router.dropped() == Router::kMaxQueuedPerTarget + 5; }))
      << "the connect failure drops what was queued";
}

TEST(Router, AnInstanceNotInTheConfigIsDroppedAndCounted) {
  asio::io_context io;
  Router router(io, TwoProcesses(testing::FreePorts(1)[0]), "secret-secret-secret");
  router.Send(ToMessages(1, 7));
  EXPECT_EQ(router.dropped(), 1u);
}

}  // namespace
}  // namespace msgbed::live
