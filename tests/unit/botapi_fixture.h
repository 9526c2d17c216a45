// The Bot API server's test fixture: a unit-test cluster with users 1
// and 2 signed in, a Bot API server and a media store, and one bot made by
// the operator; requests as its HTTP runtime would hand them over.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/ask.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {

using Json = nlohmann::json;

inline ClusterShape BotShape(uint32_t botapi = 1) {
  ClusterShape shape = Shape(1, 2, 1, 4);
  shape.instances[role::kBotApi] = botapi;
  shape.instances[role::kMedia] = 1;
  return shape;
}

struct BotApi : ::testing::Test {
  explicit BotApi(uint32_t botapi = 1) : c(BotShape(botapi)) {}

  TestCluster c;
  TestDevice* alice = nullptr;  // user 1
  TestDevice* bob = nullptr;    // user 2
  std::string token;
  uint64_t bot = 0;
  ConnId next_conn = 1;

  void SetUp() override {
    alice = &c.AddDevice(1, 1);
    bob = &c.AddDevice(2, 1);
    c.Connect(*alice);
    c.Connect(*bob);
    c.Run();
    const Json created = Ok(Call("/admin/createBot", {{"username", "echo_bot"}, {"first_name", "Echo"}}, true));
    token = created["token"];
    bot = created["id"];
  }

  // Sends one request on a fresh connection of botapi/index; returns that
  // connection (its answers: c.BotAnswers(index, conn)).
  ConnId Start(const std::string& path, std::map<std::string, std::string> params = {}, bool op = false,
               uint32_t index = 0, std::vector<api::BotFile> files = {}) {
    api::BotCall call;
    for (auto& f : files) *call.add_files() = std::move(f);
    call.set_http_method("POST");
    call.set_path(path);
    call.set_operator_(op);
    for (auto& [k, v] : params) (*call.mutable_params())[k] = v;
    const ConnId conn = next_conn++;
    c.BotRequest(index, conn, std::move(call));
    return conn;
  }
  // ... and runs the cluster; the one answer.
  api::BotAnswer Call(const std::string& path, std::map<std::string, std::string> params = {}, bool op = false,
                      uint32_t index = 0, std::vector<api::BotFile> files = {}) {
    const ConnId conn = Start(path, std::move(params), op, index, std::move(files));
    c.Run();
    auto& answers = c.BotAnswers(index, conn);
    EXPECT_EQ(answers.size(), 1u) << path;
    return answers.empty() ? api::BotAnswer{} : answers.back();
  }
  std::string Method(const std::string& name) const { return "/bot" + token + "/" + name; }
  // The user writes /start to the bot (a bot may write only to users who
  // wrote first), and the bot reads and confirms it.
  void Started(TestDevice& d, uint64_t random_id) {
    ASSERT_TRUE(Ask(d, TextTo(bot, "/start", random_id)).has_sent_message());
    const Json got = Updates({{"timeout", "1"}});
    ASSERT_FALSE(got.empty());
    Updates({{"offset", std::to_string(got.back()["update_id"].get<uint64_t>() + 1)}});
  }
  static api::ClientFrame TextTo(uint64_t peer, const std::string& text, uint64_t random_id) {
    api::ClientFrame f;
    f.mutable_send_message()->set_peer_user(peer);
    f.mutable_send_message()->set_text(text);
    f.mutable_send_message()->set_random_id(random_id);
    return f;
  }
  static Json Body(const api::BotAnswer& a) { return Json::parse(a.body()); }
  static Json Ok(const api::BotAnswer& a) {
    EXPECT_EQ(a.status(), 200u) << a.body();
    const Json body = Body(a);
    EXPECT_TRUE(body["ok"].get<bool>());
    return body["result"];
  }
  Json Updates(std::map<std::string, std::string> params = {}) { return Ok(Call(Method("getUpdates"), params)); }
  api::ServerFrame Ask(TestDevice& d, api::ClientFrame frame) { return testing::Ask(c, d, std::move(frame)); }
};

}  // namespace msgbed::testing
