// A live process serves a role with HTTP clients through HttpClientServer
// (process.cc picks the transport by RoleSpec::client_protocol), derives
// the operator's key from the deployment secret it creates, and HttpCall
// (what `msgbed bot` uses) reaches it with that key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "live/free_ports.h"
#include "live/http_call.h"
#include "live/http_echo.h"
#include "live/link_auth.h"
#include "live/live_fixture.h"
#include "live/process.h"

namespace msgbed::live {
namespace {

class HttpProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RegisterEchoRole();
    const std::string yaml =
        "partitions: 2\nbus: {mode: mock, mock_brokers: 1, session_timeout: 3s}\n"
        "storage: {data_dir: " +
        dir_.path().string() +
        ", sync: false}\ninstances:\n"
        "  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
        "  messages/0: {rpc: 127.0.0.1:0}\n  sync/0: {rpc: 127.0.0.1:0}\n"
        "  auth/0: {rpc: 127.0.0.1:0}\n"
        "  httpecho/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n";
    config_ = ParseConfig(yaml, "http.yaml");
    const Status s = Process::Start(config_, "", &process_);
    ASSERT_TRUE(s.ok()) << s.message();
    thread_ = std::thread([this] { process_->Run(); });
  }
  void TearDown() override {
    if (process_) process_->Stop();
    if (thread_.joinable()) thread_.join();
    process_.reset();
  }

  testing::TempDir dir_{"http-process"};
  LiveConfig config_;
  std::unique_ptr<Process> process_;
  std::thread thread_;
};

TEST_F(HttpProcess, AnHttpRoleIsServedOverHttpAndTheSecretsOperatorKeyMarksTheOperator) {
  const uint16_t http_port = process_->client_port(testing::kEchoRole, 0);
  ASSERT_NE(http_port, 0);
  EXPECT_NE(process_->client_port("gateway", 0), 0) << "the gateway keeps its framed transport";
  std::string secret;
  const Status loaded = LoadSecret(config_.SecretFile(), false, &secret);
  ASSERT_TRUE(loaded.ok()) << "the process made the secret at its default path: " << loaded.message();

  HttpCallRequest create;
  create.method = "POST";
  create.path = "/admin/createBot";
  create.params = {{"username", "echo_bot"}, {"first_name", "Écho & co"}};
  create.bearer = OperatorKey(secret);
  HttpCallReply reply;
  const Status called = HttpCall({"127.0.0.1", http_port}, create, &reply);
  ASSERT_TRUE(called.ok()) << called.message();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.content_type, "application/json");
  const nlohmann::json echo = nlohmann::json::parse(reply.body);
  EXPECT_EQ(echo["operator"], true);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["params"], nlohmann::json({{"username", "echo_bot"}, {"first_name", "Écho & co"}}));

  HttpCallRequest find;
  find.path = "/admin/findBot";
  find.params = {{"username", "echo_bot"}};
  find.bearer = OperatorKey(std::string(32, 'z'));
  ASSERT_TRUE(HttpCall({"127.0.0.1", http_port}, find, &reply).ok());
  const nlohmann::json found = nlohmann::json::parse(reply.body);
  EXPECT_EQ(found["operator"], false) << "another secret's key";
  EXPECT_EQ(found["method"], "GET");
  EXPECT_EQ(found["params"]["username"], "echo_bot");
}

TEST(HttpCall, NamesTheAddressItCouldNotReach) {
  const uint16_t nobody = FreePorts(1).at(0);
  HttpCallReply reply;
  const Status s = HttpCall({"127.0.0.1", nobody}, HttpCallRequest{}, &reply);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot connect 127.0.0.1:" + std::to_string(nobody)), std::string::npos) << s.message();
}

}  // namespace
}  // namespace msgbed::live
