// The fixture of the auth service's tests (auth_test.cc,
// auth_recovery_test.cc): a cluster of two gateways, one messages, one
// sync and eight auth instances, with cheap password hashing, and helpers
// to sign in by code.
#pragma once

#include <gtest/gtest.h>

#include "auth/auth_service.h"
#include "auth/placement.h"
#include "auth/provision.h"
#include "unit/test_cluster.h"

namespace msgbed::testing::auth_fixture {

inline const char kPhone[] = "+44 7700 900123";
inline const char kDigits[] = "447700900123";
inline const Address kAuth0 = MakeAddress(role::kAuth, 0);

// Cheap password hashing: the tests check the logic, not Argon2id's cost.
inline std::map<std::string, RoleSettings> CheapPasswords() {
  return {
      {role::kAuth, {{"password_ops", double(MinPasswordOps())}, {"password_memory", double(MinPasswordMemory())}}}};
}

inline api::ClientInfo Phone() {
  api::ClientInfo info;
  info.set_device_model("Pixel 9");
  info.set_platform("android");
  info.set_app_version("1.0");
  return info;
}

inline api::ErrorCode LastCode(const TestDevice& d) {
  return d.errors.empty() ? api::ERROR_NONE : d.errors.back().code();
}

// The last frame d received with body case `which`, or nullptr.
inline const api::ServerFrame* Last(const TestDevice& d, api::ServerFrame::BodyCase which) {
  for (auto it = d.frames.rbegin(); it != d.frames.rend(); ++it) {
    if (it->body_case() == which) return &*it;
  }
  return nullptr;
}

struct AuthTest : ::testing::Test {
  TestCluster c{Shape(2, 1, 1, 8), RoleRegistry::Global(), CheapPasswords()};

  // A connected device without a session.
  TestDevice& NewDevice(uint32_t gateway = 0) {
    TestDevice& d = c.AddSignedOutDevice(gateway);
    c.Connect(d);
    c.Run();
    EXPECT_EQ(d.core.state(), Device::State::kSignedOut);
    return d;
  }
  // Asks a code for phone on d and submits the one the SMS brought.
  void SignInWithCode(TestDevice& d, const std::string& phone, const std::string& digits) {
    d.core.RequestCode(phone);
    c.Run();
    d.core.SubmitCode(c.sms.LastCode(digits), Phone());
    c.Run();
  }
  // Lets time pass while d, not signed in, keeps its connection with pings.
  void Wait(TestDevice& d, Micros duration) {
    for (Micros left = duration; left > 0; left -= 10 * kSecond) {
      c.Advance(std::min(left, 10 * kSecond));
      d.core.Ping();
      c.Run();
    }
    ASSERT_TRUE(d.open);
  }
  void Send(TestDevice& d, api::ClientFrame frame) {
    c.SendRaw(d, std::move(frame));
    c.Run();
  }
};

}  // namespace msgbed::testing::auth_fixture
