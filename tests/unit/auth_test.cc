// The auth & session service's promises (docs/auth.md): sign-in and
// sign-up with SMS codes that expire and wear out; flood control that
// leaves a brute force with nothing; sessions a user lists and
// terminates, refused everywhere afterwards; two-step verification; SMS
// failover; and named errors for bad input that tell nothing about
// whether a number has an account.
#include <gtest/gtest.h>

#include "auth/auth_service.h"
#include "auth/placement.h"
#include "auth/provision.h"
#include "gateway/gateway_service.h"
#include "proto/sync.pb.h"
#include "sync/sync_service.h"
#include "unit/auth_fixture.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

using namespace auth_fixture;  // NOLINT: the fixture is this file's vocabulary

TEST_F(AuthTest, ANewNumberSignsUpAndASecondDeviceSignsInWithItsOwnSession) {
  TestDevice& first = NewDevice();
  SignInWithCode(first, kPhone, kDigits);
  EXPECT_EQ(LastCode(first), api::PHONE_NUMBER_UNOCCUPIED);
  first.core.SignUp("Ann", "");
  c.Run();
  ASSERT_EQ(first.authorizations.size(), 1u);
  EXPECT_EQ(first.core.state(), Device::State::kReady);
  const uint64_t ann = first.core.user();
  EXPECT_GE(ann, uint64_t{1} << 32);

  TestDevice& second = NewDevice(1);
  SignInWithCode(second, kPhone, kDigits);
  ASSERT_EQ(second.authorizations.size(), 1u);
  EXPECT_EQ(second.core.user(), ann);
  EXPECT_NE(second.core.device(), first.core.device());
  EXPECT_NE(second.authorizations[0].credential(), first.authorizations[0].credential());
  EXPECT_EQ(second.core.state(), Device::State::kReady);

  // Both sessions get what another user sends.
  TestDevice& bob = c.AddDevice(7, 1);
  c.Connect(bob);
  c.Run();
  bob.core.SendText(ann, "hello Ann", 5);
  c.Run();
  EXPECT_EQ(first.delivered.size(), 1u);
  EXPECT_EQ(second.delivered.size(), 1u);
}

TEST_F(AuthTest, ACodeWorksOnceAndNotForSigningUpAnExistingNumber) {
  TestDevice& d = NewDevice();
  const std::string phone = ProvisionedPhone(3);
  c.AddDevice(3, 1);  // the account exists
  SignInWithCode(d, phone, phone);
  ASSERT_EQ(d.authorizations.size(), 1u);
  EXPECT_EQ(d.core.user(), 3u);

  TestDevice& again = NewDevice();
  api::ClientFrame reuse;  // the same code and hash once more
  reuse.mutable_sign_in()->set_phone(phone);
  reuse.mutable_sign_in()->set_phone_code_hash(Last(d, api::ServerFrame::kSentCode)->sent_code().phone_code_hash());
  reuse.mutable_sign_in()->set_code(c.sms.LastCode(phone));
  Send(again, reuse);
  EXPECT_EQ(LastCode(again), api::PHONE_CODE_EXPIRED);

  again.core.RequestCode(phone);
  c.Run();
  again.core.SubmitCode(c.sms.LastCode(phone), Phone());
  c.Run();
  ASSERT_EQ(again.authorizations.size(), 1u);
  TestDevice& up = NewDevice();
  up.core.RequestCode(phone);
  c.Run();
  api::ClientFrame sign_up;
  sign_up.mutable_sign_up()->set_phone(phone);
  sign_up.mutable_sign_up()->set_phone_code_hash(Last(up, api::ServerFrame::kSentCode)->sent_code().phone_code_hash());
  sign_up.mutable_sign_up()->set_code(c.sms.LastCode(phone));
  sign_up.mutable_sign_up()->set_first_name("Mallory");
  Send(up, sign_up);
  EXPECT_EQ(LastCode(up), api::PHONE_NUMBER_OCCUPIED);
}

TEST_F(AuthTest, WrongCodesWearACodeOutAndAResendReplacesIt) {
  TestDevice& d = NewDevice();
  d.core.RequestCode(kPhone);
  c.Run();
  const std::string code = c.sms.LastCode(kDigits);
  const std::string wrong = code == "00000" ? "00001" : "00000";
  for (uint32_t i = 0; i < AuthLimits().code_attempts; ++i) {
    d.core.SubmitCode(wrong, Phone());
    c.Run();
    EXPECT_EQ(LastCode(d), api::PHONE_CODE_INVALID);
  }
  d.core.SubmitCode(code, Phone());  // right, but too late
  c.Run();
  EXPECT_EQ(LastCode(d), api::PHONE_CODE_EXPIRED);

  d.core.RequestCode(kPhone);
  c.Run();
  const api::SentCode first = Last(d, api::ServerFrame::kSentCode)->sent_code();
  const std::string first_code = c.sms.LastCode(kDigits);
  d.core.RequestCode(kPhone);  // re-send: the first code is void
  c.Run();
  api::ClientFrame old;
  old.mutable_sign_in()->set_phone(kPhone);
  old.mutable_sign_in()->set_phone_code_hash(first.phone_code_hash());
  old.mutable_sign_in()->set_code(first_code);
  Send(d, old);
  EXPECT_EQ(LastCode(d), api::PHONE_CODE_EXPIRED);
}

TEST_F(AuthTest, ACodeExpiresOnTime) {
  TestDevice& d = NewDevice();
  d.core.RequestCode(kPhone);
  c.Run();
  EXPECT_EQ(Last(d, api::ServerFrame::kSentCode)->sent_code().timeout_s(), 180u);
  Wait(d, AuthLimits().code_ttl - 1);
  d.core.SubmitCode(c.sms.LastCode(kDigits), Phone());
  c.Run();
  EXPECT_EQ(LastCode(d), api::PHONE_NUMBER_UNOCCUPIED) << "still valid 1 us before it expires";

  TestDevice& late = NewDevice();
  late.core.RequestCode(kPhone);
  c.Run();
  Wait(late, AuthLimits().code_ttl);
  late.core.SubmitCode(c.sms.LastCode(kDigits), Phone());
  c.Run();
  EXPECT_EQ(LastCode(late), api::PHONE_CODE_EXPIRED);
}

TEST_F(AuthTest, TenThousandWrongCodesFromManyAddressesSignNobodyIn) {
  c.AddDevice(3, 1);  // a real account to attack
  const std::string phone = ProvisionedPhone(3);
  std::vector<TestDevice*> attackers;
  for (int i = 0; i < 25; ++i) attackers.push_back(&NewDevice(i % 2));
  size_t flood_waits = 0, checked = 0, sign_ins = 0;
  for (int guess = 0; guess < 10000; ++guess) {
    TestDevice& a = *attackers[guess % attackers.size()];
    const api::ServerFrame* sent = Last(a, api::ServerFrame::kSentCode);
    if (!sent || LastCode(a) == api::PHONE_CODE_EXPIRED) {
      a.core.RequestCode(phone);
      c.Run();
      sent = Last(a, api::ServerFrame::kSentCode);
    }
    api::ClientFrame f;
    f.mutable_sign_in()->set_phone(phone);
    f.mutable_sign_in()->set_phone_code_hash(sent ? sent->sent_code().phone_code_hash() : "none");
    char code[6];
    std::snprintf(code, sizeof code, "%05d", guess);
    f.mutable_sign_in()->set_code(code);
    Send(a, f);
    flood_waits += LastCode(a) == api::FLOOD_WAIT;
    checked += LastCode(a) == api::PHONE_CODE_INVALID;
    c.Advance(kSecond);
  }
  for (TestDevice* a : attackers) sign_ins += a->authorizations.size();
  EXPECT_EQ(sign_ins, 0u);
  EXPECT_GT(flood_waits, 9000u);
  EXPECT_LT(checked, 100u) << "only a few guesses are ever compared with a code";
  EXPECT_EQ(c.host(kAuth0).Stats().Get("auth.codes_accepted"), 0);
  std::printf("10,000 guesses: %zu FLOOD_WAIT, %zu compared with a code\n", flood_waits, checked);
}

TEST_F(AuthTest, BadInputGetsNamedErrorsThatDoNotTellWhetherANumberHasAnAccount) {
  TestDevice& d = NewDevice();
  auto send_code = [&](const std::string& phone) {
    api::ClientFrame f;
    f.mutable_send_code()->set_phone(phone);
    Send(d, f);
    return LastCode(d);
  };
  for (const std::string& bad : std::vector<std::string>{"", "+", "12345", "+1234567890123456", "+44 abc 1234",
                                                         "00447700900123", std::string(1000, '7')}) {
    EXPECT_EQ(send_code(bad), api::PHONE_NUMBER_INVALID) << bad;
  }
  auto sign_in = [&](const std::string& phone, const std::string& hash, const std::string& code) {
    api::ClientFrame f;
    f.mutable_sign_in()->set_phone(phone);
    f.mutable_sign_in()->set_phone_code_hash(hash);
    f.mutable_sign_in()->set_code(code);
    Send(d, f);
    return LastCode(d);
  };
  EXPECT_EQ(sign_in(kPhone, "h", ""), api::PHONE_CODE_EMPTY);
  EXPECT_EQ(sign_in(kPhone, "", "12345"), api::PHONE_CODE_HASH_EMPTY);
  EXPECT_EQ(sign_in(kPhone, "h", "12345"), api::PHONE_CODE_EXPIRED) << "no code was asked for";

  // A wrong code for a number with an account and for one without: the same answer.
  c.AddDevice(3, 1);
  for (const std::string& phone : {ProvisionedPhone(3), std::string(kDigits)}) {
    d.core.RequestCode(phone);
    c.Run();
    const std::string code = c.sms.LastCode(phone);
    d.core.SubmitCode(code == "11111" ? "22222" : "11111", Phone());
    c.Run();
    EXPECT_EQ(LastCode(d), api::PHONE_CODE_INVALID) << phone;
  }
  api::ClientFrame up;
  up.mutable_sign_up()->set_phone(kPhone);
  up.mutable_sign_up()->set_phone_code_hash("h");
  up.mutable_sign_up()->set_code("12345");
  Send(d, up);
  EXPECT_EQ(LastCode(d), api::FIRSTNAME_INVALID);
  for (const std::string& name :
       {std::string("   "), std::string("\x1b[31mred"), std::string("bad \xff utf-8"), std::string(65, 'n')}) {
    up.mutable_sign_up()->set_first_name(name);
    Send(d, up);
    EXPECT_EQ(LastCode(d), api::FIRSTNAME_INVALID) << name;
    EXPECT_TRUE(d.open) << "answered, not closed";
  }

  api::ClientFrame early;  // anything but sign-in before signing in
  early.mutable_get_authorizations();
  Send(d, early);
  EXPECT_EQ(LastCode(d), api::AUTH_KEY_UNREGISTERED);
  api::ClientFrame forged;
  forged.mutable_resume_session()->set_credential(std::string(48, 'x'));
  Send(d, forged);
  EXPECT_EQ(LastCode(d), api::AUTH_KEY_UNREGISTERED);
  api::ClientFrame password;
  password.mutable_check_password()->set_password("guess");
  Send(d, password);
  EXPECT_EQ(LastCode(d), api::PASSWORD_HASH_INVALID);
}

TEST_F(AuthTest, ATerminatedSessionIsDisconnectedAndRefusedOnEveryGateway) {
  TestDevice& phone = c.AddDevice(3, 1, 0);
  TestDevice& laptop = c.AddDevice(3, 2, 1);
  TestDevice& tablet = c.AddDevice(3, 3, 1);
  for (TestDevice* d : {&phone, &laptop, &tablet}) c.Connect(*d);
  c.Run();
  api::ClientFrame list;
  list.mutable_get_authorizations();
  Send(phone, list);
  const auto* sessions = Last(phone, api::ServerFrame::kAuthorizations);
  ASSERT_NE(sessions, nullptr);
  ASSERT_EQ(sessions->authorizations().sessions_size(), 3);
  EXPECT_TRUE(sessions->authorizations().sessions(0).current());
  EXPECT_FALSE(sessions->authorizations().sessions(1).current());

  const std::string stolen = laptop.core.session().credential();
  api::ClientFrame reset;
  reset.mutable_reset_authorization()->set_device_id(2);
  Send(phone, reset);
  ASSERT_NE(Last(phone, api::ServerFrame::kDone), nullptr);
  EXPECT_FALSE(laptop.open);
  EXPECT_EQ(LastCode(laptop), api::SESSION_REVOKED);
  EXPECT_TRUE(tablet.open);

  // Its credential is refused on either gateway.
  for (uint32_t gateway : {0u, 1u}) {
    TestDevice& thief = c.AddSignedOutDevice(gateway);
    c.Attach(thief);
    api::ClientFrame resume;
    resume.mutable_resume_session()->set_credential(stolen);
    c.SendRaw(thief, resume);
    c.Run();
    EXPECT_EQ(LastCode(thief), api::SESSION_REVOKED) << "gateway " << gateway;
  }
  c.Connect(laptop);  // the device itself: signed out now
  c.Run();
  EXPECT_EQ(laptop.core.state(), Device::State::kSignedOut);

  reset.mutable_reset_authorization()->set_device_id(2);
  Send(phone, reset);
  EXPECT_EQ(LastCode(phone), api::HASH_INVALID);
  reset.mutable_reset_authorization()->set_device_id(0);  // every other session
  Send(phone, reset);
  EXPECT_FALSE(tablet.open);
  EXPECT_TRUE(phone.open);
  Send(phone, list);
  EXPECT_EQ(Last(phone, api::ServerFrame::kAuthorizations)->authorizations().sessions_size(), 1);
}

TEST_F(AuthTest, TwoStepVerificationFromSettingThePasswordToSigningInWithIt) {
  TestDevice& phone = c.AddDevice(3, 1);
  c.Connect(phone);
  c.Run();
  auto update = [&](const std::string& current, const std::string& next) {
    api::ClientFrame f;
    f.mutable_update_password()->set_current(current);
    f.mutable_update_password()->set_new_password(next);
    f.mutable_update_password()->set_hint(next.empty() ? "" : "the usual");
    Send(phone, f);
  };
  update("", "correct horse");
  ASSERT_NE(Last(phone, api::ServerFrame::kDone), nullptr);
  api::ClientFrame get;
  get.mutable_get_password();
  Send(phone, get);
  EXPECT_TRUE(Last(phone, api::ServerFrame::kPasswordState)->password_state().has_password());
  EXPECT_EQ(Last(phone, api::ServerFrame::kPasswordState)->password_state().hint(), "the usual");
  // The store holds no password, only its Argon2id hash under a salt.
  Status status;
  const auto stored = c.substrate(AuthOfUser(Shape(2, 1, 1, 8), 3)).kv_.Get(UserKey(3), &status);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->find("correct horse"), std::string::npos);

  const size_t frames = phone.frames.size();
  update("wrong", "other");  // changing it needs the current one
  EXPECT_EQ(LastCode(phone), api::PASSWORD_HASH_INVALID);
  EXPECT_GT(phone.frames.size(), frames);

  TestDevice& laptop = NewDevice(1);
  SignInWithCode(laptop, ProvisionedPhone(3), ProvisionedPhone(3));
  EXPECT_EQ(LastCode(laptop), api::SESSION_PASSWORD_NEEDED);
  EXPECT_TRUE(laptop.authorizations.empty());
  laptop.core.SubmitPassword("Correct horse");
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::PASSWORD_HASH_INVALID);
  laptop.core.SubmitPassword("correct horse");
  c.Run();
  ASSERT_EQ(laptop.authorizations.size(), 1u);
  EXPECT_EQ(laptop.core.state(), Device::State::kReady);
  EXPECT_EQ(laptop.core.user(), 3u);

  update("correct horse", "");  // removed: sign-in asks for the code only
  ASSERT_EQ(LastCode(phone), api::PASSWORD_HASH_INVALID) << "no new error";
  TestDevice& tablet = NewDevice();
  SignInWithCode(tablet, ProvisionedPhone(3), ProvisionedPhone(3));
  EXPECT_EQ(tablet.authorizations.size(), 1u);
}

TEST_F(AuthTest, WrongPasswordsInARowGetFloodWait) {
  TestDevice& phone = c.AddDevice(3, 1);
  c.Connect(phone);
  c.Run();
  api::ClientFrame set;
  set.mutable_update_password()->set_new_password("secret");
  Send(phone, set);
  TestDevice& guesser = NewDevice();
  SignInWithCode(guesser, ProvisionedPhone(3), ProvisionedPhone(3));
  ASSERT_EQ(LastCode(guesser), api::SESSION_PASSWORD_NEEDED);
  for (uint32_t i = 0; i < AuthLimits().password_attempts; ++i) {
    guesser.core.SubmitPassword("guess " + std::to_string(i));
    c.Run();
    EXPECT_EQ(LastCode(guesser), api::PASSWORD_HASH_INVALID);
  }
  guesser.core.SubmitPassword("secret");  // right, but blocked now
  c.Run();
  EXPECT_EQ(LastCode(guesser), api::FLOOD_WAIT);
  EXPECT_GT(guesser.errors.back().retry_after_s(), 0u);
  EXPECT_TRUE(guesser.authorizations.empty());
}

TEST_F(AuthTest, TheCodeGoesThroughTheNextProviderWhenTheFirstFails) {
  c.sms.up = {false, true};
  TestDevice& d = NewDevice();
  d.core.RequestCode(kPhone);
  c.Run();
  c.Advance(AuthLimits().sms.first_backoff);  // the first provider is tried again, then the second
  ASSERT_NE(Last(d, api::ServerFrame::kSentCode), nullptr);
  ASSERT_EQ(c.sms.sent.size(), 1u);
  EXPECT_EQ(c.sms.sent[0].provider, 1u);
  EXPECT_EQ(c.sms.attempts, AuthLimits().sms.attempts_per_provider + 1);
  EXPECT_EQ(c.host(AuthOfPhone(Shape(2, 1, 1, 8), kDigits)).Stats().Get("outbound.sms.failovers"), 1);

  c.sms.up = {false, false};
  TestDevice& unlucky = NewDevice();
  unlucky.core.RequestCode(kPhone);
  c.Run();
  c.Advance(AuthLimits().sms.first_backoff);
  EXPECT_EQ(LastCode(unlucky), api::ERROR_NONE) << "the second provider gets its tries too";
  c.Advance(AuthLimits().sms.first_backoff);
  EXPECT_EQ(LastCode(unlucky), api::SEND_CODE_UNAVAILABLE);
}

// Found by a hostile tester: a provider slower than the gateway's request
// timeout left the client with TIMEOUT and no hash, while the code came
// later anyway. SendCode is answered within send_code_wait.
TEST_F(AuthTest, SendCodeIsAnsweredInTimeWhileAProviderHangs) {
  c.sms.silent = true;
  TestDevice& d = NewDevice();
  d.core.RequestCode(kPhone);
  c.Run();
  EXPECT_EQ(Last(d, api::ServerFrame::kSentCode), nullptr);
  c.Advance(AuthLimits().send_code_wait);
  EXPECT_NE(Last(d, api::ServerFrame::kSentCode), nullptr);
  EXPECT_LT(AuthLimits().send_code_wait, GatewayLimits().request_timeout);
  EXPECT_TRUE(d.errors.empty());
}

TEST_F(AuthTest, AccountsSessionsAndWaitingCodesSurviveARestart) {
  TestDevice& d = NewDevice();
  SignInWithCode(d, kPhone, kDigits);
  d.core.SignUp("Ann", "Lee");
  c.Run();
  ASSERT_EQ(d.core.state(), Device::State::kReady);
  TestDevice& second = NewDevice();
  second.core.RequestCode(kPhone);
  c.Run();
  c.Restart(kAuth0);
  second.core.SubmitCode(c.sms.LastCode(kDigits), Phone());
  c.Run();
  EXPECT_EQ(second.authorizations.size(), 1u) << "the code was stored";
  c.Disconnect(d);
  c.Connect(d);
  c.Run();
  EXPECT_EQ(d.core.state(), Device::State::kReady) << "the session was stored";
}

// The race a revocation must win: the laptop's resume passes auth just
// before the session is terminated. Auth's answer and its CloseSession
// reach the gateway in that order (one ordered link), so the gateway signs
// the laptop in and closes it at once.
TEST_F(AuthTest, AResumeCheckedJustBeforeItsSessionEndedIsClosedByItsGateway) {
  TestDevice& phone = c.AddDevice(3, 1);
  TestDevice& laptop = c.AddDevice(3, 2, 1);
  c.Connect(phone);
  c.Run();
  std::vector<Envelope> held;  // auth -> the laptop's gateway, in order
  c.drop = [&](const Envelope& e) {
    if (e.from.role() != role::kAuth || !SameAddress(e.to, MakeAddress(role::kGateway, 1))) return false;
    held.push_back(e);
    return true;
  };
  c.Connect(laptop);
  c.Run();
  ASSERT_EQ(held.size(), 1u) << "the resume's answer";
  api::ClientFrame reset;
  reset.mutable_reset_authorization()->set_device_id(2);
  Send(phone, reset);
  c.Run();
  ASSERT_EQ(held.size(), 2u) << "and the revocation, after it";
  c.drop = nullptr;
  for (Envelope& e : held) c.Inject(std::move(e));
  c.Run();
  EXPECT_EQ(LastCode(laptop), api::SESSION_REVOKED);
  EXPECT_NE(laptop.core.state(), Device::State::kReady);
  EXPECT_EQ(c.As<SyncService>(role::kSync, 0).online_devices(), 1u);
}

}  // namespace
}  // namespace msgbed::testing
