// The link handshake's proofs: valid only for the transcript they were
// made for, and only under the same secret.
#include "live/link_auth.h"

#include <gtest/gtest.h>

#include "core/address.h"

namespace msgbed::live {
namespace {

const std::string kSecret(32, 's');

struct Handshake : ::testing::Test {
  const std::string nonce_a = NewNonce();
  const rpc::LinkHello hello =
      MakeHello(kSecret, nonce_a, NewNonce(), {MakeAddress("gateway", 0)}, MakeAddress("messages", 0));
};

TEST_F(Handshake, BothProofsCheckOutForTheirOwnTranscript) {
  EXPECT_TRUE(VerifyHello(kSecret, nonce_a, hello));
  EXPECT_TRUE(VerifyWelcome(kSecret, nonce_a, hello, MakeWelcome(kSecret, nonce_a, hello)));
}

TEST_F(Handshake, AHelloFailsUnderAnotherSecretOrChallenge) {
  EXPECT_FALSE(VerifyHello(std::string(32, 't'), nonce_a, hello));
  EXPECT_FALSE(VerifyHello(kSecret, NewNonce(), hello)) << "replayed against a fresh challenge";
}

TEST_F(Handshake, AHelloCannotBeRetargetedOrWidened) {
  rpc::LinkHello retargeted = hello;
  *retargeted.mutable_target() = MakeAddress("sync", 0);
  EXPECT_FALSE(VerifyHello(kSecret, nonce_a, retargeted));
  rpc::LinkHello widened = hello;
  *widened.add_instances() = MakeAddress("messages", 0);
  EXPECT_FALSE(VerifyHello(kSecret, nonce_a, widened));
  rpc::LinkHello to_bulk = hello;
  to_bulk.set_bulk(true);
  EXPECT_FALSE(VerifyHello(kSecret, nonce_a, to_bulk)) << "switched to the bulk lane's larger frames";
}

TEST_F(Handshake, AWelcomeIsNotAHelloAndAnswersOneHelloOnly) {
  const rpc::LinkWelcome welcome = MakeWelcome(kSecret, nonce_a, hello);
  rpc::LinkHello as_hello = hello;
  as_hello.set_mac(welcome.mac());
  EXPECT_FALSE(VerifyHello(kSecret, nonce_a, as_hello)) << "reflected";
  const rpc::LinkHello other =
      MakeHello(kSecret, nonce_a, NewNonce(), {MakeAddress("gateway", 0)}, MakeAddress("messages", 0));
  EXPECT_FALSE(VerifyWelcome(kSecret, nonce_a, other, welcome)) << "another connector's nonce";
}

// The operator's bearer key is HMAC-SHA-256("msgbed bot operator") in
// lowercase hex (checked against Python's hmac module), so a deployment's
// tools can derive it without msgbed.
TEST(OperatorKey, IsTheHexHmacOfItsLabelUnderTheSecret) {
  const std::string key = OperatorKey(kSecret);
  EXPECT_EQ(key, "aa4bbecf62b5df40cd213a94457ee65b4791c59fc5bdcecbbfa5031014dfd03c");
  EXPECT_NE(OperatorKey(std::string(32, 't')), key);
  EXPECT_TRUE(SameOperatorKey(key, key));
  EXPECT_FALSE(SameOperatorKey(key.substr(1), key));
  EXPECT_FALSE(SameOperatorKey("", "")) << "no key: nobody is the operator";
}

}  // namespace
}  // namespace msgbed::live
