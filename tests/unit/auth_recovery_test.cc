// Password recovery by email (docs/auth.md, "Password recovery"): a code
// to the recovery email at a sign-in's password step removes the password
// and signs in; codes expire, wear out, count as wrong guesses, and every
// failure has its named error.
#include "unit/auth_fixture.h"

namespace msgbed::testing {
namespace {

using namespace auth_fixture;  // NOLINT: the fixture is this file's vocabulary

// Sets a cloud password (and recovery email, if any) for user 3 from a
// signed-in device (*signed_in), then starts a sign-in on a new device up
// to SESSION_PASSWORD_NEEDED.
TestDevice& PasswordStep(AuthTest& t, const std::string& email, TestDevice** signed_in = nullptr) {
  TestDevice& phone = t.c.AddDevice(3, 1);
  if (signed_in) *signed_in = &phone;
  t.c.Connect(phone);
  t.c.Run();
  api::ClientFrame set;
  set.mutable_update_password()->set_new_password("forgotten");
  set.mutable_update_password()->set_email(email);
  t.Send(phone, set);
  EXPECT_NE(Last(phone, api::ServerFrame::kDone), nullptr);
  TestDevice& laptop = t.NewDevice(1);
  t.SignInWithCode(laptop, ProvisionedPhone(3), ProvisionedPhone(3));
  EXPECT_EQ(LastCode(laptop), api::SESSION_PASSWORD_NEEDED);
  return laptop;
}

// auth.requestPasswordRecovery / recoverPassword: the emailed code signs in
// and removes the password, which the next sign-in no longer asks for.
TEST_F(AuthTest, AForgottenPasswordIsRecoveredByACodeSentToTheRecoveryEmail) {
  TestDevice& laptop = PasswordStep(*this, "ann@example.org");
  laptop.core.RequestPasswordRecovery();
  c.Run();
  const api::ServerFrame* recovery = Last(laptop, api::ServerFrame::kPasswordRecovery);
  ASSERT_NE(recovery, nullptr);
  EXPECT_EQ(recovery->password_recovery().email_pattern(), "a***@e***.org");
  const std::string code = c.email.LastCode("ann@example.org");
  ASSERT_EQ(code.size(), 6u);
  laptop.core.SubmitRecoveryCode(code == "000000" ? "000001" : "000000");
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::CODE_INVALID);
  laptop.core.SubmitRecoveryCode(code);
  c.Run();
  ASSERT_EQ(laptop.authorizations.size(), 1u);
  EXPECT_EQ(laptop.core.state(), Device::State::kReady);
  EXPECT_EQ(laptop.core.user(), 3u);

  TestDevice& tablet = NewDevice();
  SignInWithCode(tablet, ProvisionedPhone(3), ProvisionedPhone(3));
  EXPECT_EQ(tablet.authorizations.size(), 1u) << "no password asked any more";
  EXPECT_EQ(c.email.sent.size(), 1u);
}

TEST_F(AuthTest, RecoveryCodesExpireWearOutAndCountAsWrongPasswords) {
  TestDevice& laptop = PasswordStep(*this, "ann@example.org");
  laptop.core.SubmitRecoveryCode("123456");  // none asked for yet
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::PASSWORD_RECOVERY_EXPIRED);
  laptop.core.RequestPasswordRecovery();
  c.Run();
  laptop.core.RequestPasswordRecovery();  // at once again: wait
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::FLOOD_WAIT);
  EXPECT_EQ(c.email.sent.size(), 1u);
  const std::string code = c.email.LastCode("ann@example.org");
  const std::string wrong = code == "000000" ? "000001" : "000000";
  for (uint32_t i = 1; i <= AuthLimits().recovery_attempts; ++i) {
    laptop.core.SubmitRecoveryCode(wrong);
    c.Run();
    // The last wrong try voids the code, and says so (found by a hostile tester).
    EXPECT_EQ(LastCode(laptop),
              i < AuthLimits().recovery_attempts ? api::CODE_INVALID : api::PASSWORD_RECOVERY_EXPIRED);
  }
  laptop.core.SubmitRecoveryCode(code);  // right, but worn out
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::PASSWORD_RECOVERY_EXPIRED);
  // Three wrong codes and two wrong passwords make five wrong guesses in a row.
  for (int i = 0; i < 2; ++i) {
    laptop.core.SubmitPassword("guess");
    c.Run();
  }
  laptop.core.SubmitPassword("forgotten");  // right, but guessing is blocked
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::FLOOD_WAIT);
  EXPECT_TRUE(laptop.authorizations.empty());
}

// An emailed code holds recovery_ttl (10 minutes), longer than the
// sign-in's password step (5): asking for it extends the step.
TEST_F(AuthTest, ARecoveryCodeHoldsItsTtlAndNotLonger) {
  const AuthLimits limits;
  constexpr Micros kMinute = 60 * kSecond;
  ASSERT_GT(limits.recovery_ttl, limits.password_ticket_ttl + kMinute);
  TestDevice& laptop = PasswordStep(*this, "ann@example.org");
  laptop.core.RequestPasswordRecovery();
  c.Run();
  const std::string first = c.email.LastCode("ann@example.org");
  Wait(laptop, limits.recovery_ttl + kMinute);
  laptop.core.SubmitRecoveryCode(first);
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::PASSWORD_HASH_INVALID) << "the step is over: sign in again";

  TestDevice& tablet = NewDevice();
  SignInWithCode(tablet, ProvisionedPhone(3), ProvisionedPhone(3));
  ASSERT_EQ(LastCode(tablet), api::SESSION_PASSWORD_NEEDED);
  tablet.core.RequestPasswordRecovery();
  c.Run();
  const std::string code = c.email.LastCode("ann@example.org");
  Wait(tablet, limits.recovery_ttl - kMinute);
  tablet.core.SubmitRecoveryCode(code);
  c.Run();
  EXPECT_EQ(tablet.authorizations.size(), 1u);
}

TEST_F(AuthTest, RecoveryNeedsARecoveryEmailAPendingPasswordStepAndAnEmailProvider) {
  TestDevice* signed_in = nullptr;
  TestDevice& laptop = PasswordStep(*this, "", &signed_in);
  laptop.core.RequestPasswordRecovery();
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::PASSWORD_RECOVERY_NA);
  // Signed in, or never asked for a password: nothing to recover.
  TestDevice& fresh = NewDevice();
  fresh.core.RequestPasswordRecovery();
  c.Run();
  EXPECT_EQ(LastCode(fresh), api::PASSWORD_HASH_INVALID);
  TestDevice& phone = *signed_in;
  phone.core.SubmitRecoveryCode("123456");
  c.Run();
  EXPECT_EQ(LastCode(phone), api::ALREADY_SIGNED_IN);
  // A recovery email must be an address, and goes with a password.
  for (const char* bad : {"not an email", "ann@", "@example.org", "ann@example", "a b@example.org"}) {
    api::ClientFrame set;
    set.mutable_update_password()->set_current("forgotten");
    set.mutable_update_password()->set_new_password("forgotten");
    set.mutable_update_password()->set_email(bad);
    Send(phone, set);
    EXPECT_EQ(LastCode(phone), api::EMAIL_INVALID) << bad;
  }
}

TEST_F(AuthTest, ARecoveryCodeNoProviderCouldSendIsReported) {
  c.email.up = {false};
  TestDevice& laptop = PasswordStep(*this, "ann@example.org");
  laptop.core.RequestPasswordRecovery();
  c.Run();
  c.Advance(kSecond);  // the retry, 200 ms on
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::EMAIL_UNAVAILABLE);
  // Nothing went out, so asking again is not "too soon" (found by a hostile tester).
  c.email.up = {true};
  laptop.core.RequestPasswordRecovery();
  c.Run();
  EXPECT_NE(Last(laptop, api::ServerFrame::kPasswordRecovery), nullptr);
  EXPECT_EQ(c.email.LastCode("ann@example.org").size(), 6u);
}

// Found by a hostile tester: changing the password dropped the recovery
// email; a non-ASCII first letter broke the partly hidden address.
TEST_F(AuthTest, AChangedPasswordKeepsTheRecoveryEmailShownAsValidUtf8) {
  TestDevice* phone = nullptr;
  TestDevice& laptop = PasswordStep(*this, "\xc3\xbc@\xc3\xa9xample.org", &phone);
  api::ClientFrame change;
  change.mutable_update_password()->set_current("forgotten");
  change.mutable_update_password()->set_new_password("remembered");
  Send(*phone, change);
  laptop.core.RequestPasswordRecovery();
  c.Run();
  const api::ServerFrame* recovery = Last(laptop, api::ServerFrame::kPasswordRecovery);
  ASSERT_NE(recovery, nullptr) << "the email went with the old password";
  EXPECT_EQ(recovery->password_recovery().email_pattern(), "\xc3\xbc***@\xc3\xa9***.org");
  api::ClientFrame too_long;
  too_long.mutable_update_password()->set_current("remembered");
  too_long.mutable_update_password()->set_new_password("remembered");
  too_long.mutable_update_password()->set_email(std::string(300, 'x') + "@e.org");
  Send(*phone, too_long);
  EXPECT_EQ(LastCode(*phone), api::EMAIL_INVALID);
  too_long.mutable_update_password()->set_email("\xff@e.org");
  Send(*phone, too_long);
  EXPECT_EQ(LastCode(*phone), api::EMAIL_INVALID);
}

}  // namespace
}  // namespace msgbed::testing
