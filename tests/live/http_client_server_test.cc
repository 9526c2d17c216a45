// The HTTP client transport (HttpClientServer) on real loopback sockets,
// under a real InstanceHost whose core echoes each BotCall as JSON
// (http_echo.h). The server runs on its own thread; clients block with a
// bound on every wait, and nothing waits by sleeping.
#include "live/http_client_server.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/address.h"
#include "core/mem_blob_store.h"
#include "core/mem_kv_store.h"
#include "live/http_echo.h"
#include "live/link_auth.h"
#include "live/live_substrate.h"

namespace msgbed::live {
namespace {

using testing::EchoLog;
using testing::HttpResponse;
using testing::HttpTestClient;

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.max_http_body = 64 * 1024;
    server_ = std::make_unique<HttpClientServer>(io_, "botapi/0", &host_, config_, key_);
    substrate_.Attach(&host_, server_.get());
    host_.Start();
    const Status listening = server_->Listen({"127.0.0.1", 0}, &port_);
    ASSERT_TRUE(listening.ok()) << listening.message();
    thread_ = std::thread([this] {
      auto busy = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    if (!thread_.joinable()) return;
    OnIo([this] {
      server_.reset();
      host_.Stop();
    });
    io_.stop();
    thread_.join();
  }

  // Runs fn on the server's thread and waits for it.
  void OnIo(const std::function<void()>& fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // The echo of a 200 response (null if it is not one).
  static nlohmann::json Echo(const std::optional<HttpResponse>& r) {
    if (!r || r->status != 200) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // The conn id the core saw for the index-th connection opened.
  ConnId Conn(size_t index) {
    EXPECT_TRUE(log_->Wait([&] { return log_->opened.size() > index; }));
    std::lock_guard lock(log_->mu);
    return log_->opened.at(index).first;
  }

  ClientTransportConfig config_;
  const std::string key_ = OperatorKey(std::string(32, 'k'));
  std::shared_ptr<EchoLog> log_ = std::make_shared<EchoLog>();
  asio::io_context io_;
  LiveSubstrate substrate_{io_,     MakeAddress("botapi", 0),       nullptr,
                           nullptr, std::make_unique<MemKvStore>(), std::make_unique<MemBlobStore>(),
                           nullptr};
  InstanceHost host_{MakeAddress("botapi", 0), [this](Env* env) { return testing::MakeEchoCore(env, log_); },
                     &substrate_, 1};
  std::unique_ptr<HttpClientServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(HttpServer, AGetReachesTheCoreWithItsQueryAndTheAnswerIsTheResponse) {
  HttpTestClient c(port_);
  ASSERT_TRUE(c.connected());
  c.SendRequest("GET", "/bot1%3AT/getUpdates?offset=5&limit=%31");
  const auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers.at("content-type"), "application/json");
  EXPECT_EQ(r->headers.at("content-length"), std::to_string(r->body.size()));
  nlohmann::json e = Echo(r);
  EXPECT_EQ(e["method"], "GET");
  EXPECT_EQ(e["path"], "/bot1:T/getUpdates");
  EXPECT_EQ(e["params"], nlohmann::json({{"offset", "5"}, {"limit", "1"}}));
  EXPECT_EQ(e["request_id"], 1);
  EXPECT_EQ(e["operator"], false);
  EXPECT_EQ(e["conn"], Conn(0));
  std::lock_guard lock(log_->mu);
  EXPECT_EQ(log_->opened.at(0).second, "127.0.0.1") << "the peer's address, without its port";
}

TEST_F(HttpServer, JsonNumbersBoolsAndObjectsArriveAsJsonText) {
  HttpTestClient c(port_);
  c.SendRequest("POST", "/botT/sendMessage", "Content-Type: application/json\r\n",
                R"({"chat_id": 12, "text": "hi", "disable_notification": true,
                    "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}})");
  nlohmann::json e = Echo(c.Read());
  EXPECT_EQ(e["method"], "POST");
  EXPECT_EQ(e["params"]["chat_id"], "12");
  EXPECT_EQ(e["params"]["text"], "hi");
  EXPECT_EQ(e["params"]["disable_notification"], "true");
  EXPECT_EQ(e["params"]["reply_markup"], R"({"inline_keyboard":[[{"callback_data":"a","text":"A"}]]})");
}

TEST_F(HttpServer, FormBodiesOverrideTheQuery) {
  HttpTestClient c(port_);
  c.SendRequest("POST", "/botT/sendMessage?chat_id=1&parse_mode=HTML",
                "Content-Type: application/x-www-form-urlencoded\r\n", "chat_id=2&text=caf%C3%A9+au+lait");
  nlohmann::json e = Echo(c.Read());
  EXPECT_EQ(e["params"], nlohmann::json({{"chat_id", "2"}, {"parse_mode", "HTML"}, {"text", "café au lait"}}));
}

TEST_F(HttpServer, MultipartFieldsAreParamsAndFilesAreFiles) {
  const std::string file(5000, 'x');
  const std::string body =
      "--b0undary\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
      "--b0undary\r\nContent-Disposition: form-data; name=\"document\"; filename=\"notes.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\n" +
      file + "\r\n--b0undary--\r\n";
  HttpTestClient c(port_);
  c.SendRequest("POST", "/botT/sendDocument", "Content-Type: multipart/form-data; boundary=b0undary\r\n", body);
  nlohmann::json e = Echo(c.Read());
  EXPECT_EQ(e["params"], nlohmann::json({{"chat_id", "42"}}));
  EXPECT_EQ(e["files"],
            nlohmann::json::parse(
                R"([{"field":"document","filename":"notes.txt","content_type":"text/plain","size":5000}])"));
}

TEST_F(HttpServer, ABodyTheBotApiRefusesIsAnswered400WithoutTheCoreAndTheConnectionStays) {
  HttpTestClient c(port_);
  c.SendRequest("POST", "/botT/sendMessage", "Content-Type: application/json\r\n", "{\"chat_id\": ");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(r->body,
            R"x({"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON object (at byte 13)"})x");
  c.SendRequest("POST", "/botT/sendMessage", "Content-Type: text/plain\r\n", "hello");
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(nlohmann::json::parse(r->body)["description"], "Bad Request: unsupported Content-Type 'text/plain'");
  c.SendRequest("GET", "/botT/getMe");
  EXPECT_EQ(Echo(c.Read())["request_id"], 1) << "the refused requests never reached the core";
  EXPECT_EQ(log_->Calls(), 1u);
}

TEST_F(HttpServer, ABodyOverTheLimitIsRefused413FromItsHeadersAlone) {
  HttpTestClient c(port_);
  // Only the headers go out: the 413 must come without the body.
  c.Send(
      "POST /botT/sendDocument HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 10485760\r\n\r\n");
  const auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413u);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error_code"], 413);
  EXPECT_TRUE(c.WaitClosed());
  // A chunked body is bounded as it arrives.
  HttpTestClient chunked(port_);
  chunked.Send("POST /botT/sendDocument HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n");
  const auto r2 = chunked.Read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 413u);
  EXPECT_EQ(log_->Calls(), 0u);
}

TEST_F(HttpServer, AClientThatExpectsContinueIsToldToSendItsBody) {
  HttpTestClient c(port_);
  c.Send(
      "POST /botT/sendMessage HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n\r\n");
  const auto go_on = c.Read();
  ASSERT_TRUE(go_on);
  EXPECT_EQ(go_on->status, 100u);
  c.Send("text=a");
  EXPECT_EQ(Echo(c.Read())["params"]["text"], "a");
}

TEST_F(HttpServer, MalformedHttpAndOversizedHeadersAreRefusedAndClosed) {
  HttpTestClient bad(port_);
  bad.Send("NOT HTTP AT ALL\r\n\r\n");
  const auto r = bad.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_TRUE(bad.WaitClosed());
  HttpTestClient big(port_);
  big.SendRequest("GET", "/botT/getMe", "X-Padding: " + std::string(20000, 'p') + "\r\n");
  const auto r2 = big.Read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 431u);
  EXPECT_TRUE(big.WaitClosed());
}

TEST_F(HttpServer, RequestsOnOneConnectionAreAnsweredInOrderPipelinedOrNot) {
  HttpTestClient c(port_);
  c.SendRequest("GET", "/first");
  EXPECT_EQ(Echo(c.Read())["path"], "/first");
  c.SendRequest("GET", "/second");
  nlohmann::json second = Echo(c.Read());
  EXPECT_EQ(second["path"], "/second");
  EXPECT_EQ(second["request_id"], 2);
  // Two requests in one write: the second is read only after the first is answered.
  c.Send("GET /third HTTP/1.1\r\nHost: x\r\n\r\nGET /fourth?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Echo(c.Read())["path"], "/third");
  nlohmann::json fourth = Echo(c.Read());
  EXPECT_EQ(fourth["path"], "/fourth");
  EXPECT_EQ(fourth["request_id"], 4);
  EXPECT_EQ(log_->Calls(), 4u);
}

TEST_F(HttpServer, ConnectionCloseIsHonouredAfterTheResponse) {
  HttpTestClient c(port_);
  c.SendRequest("GET", "/last", "Connection: close\r\n");
  const auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers.at("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
  const ConnId conn = Conn(0);
  EXPECT_TRUE(log_->Wait([&] { return log_->closed == std::vector<ConnId>{conn}; }));
  HttpTestClient old(port_);
  old.Send("GET /old HTTP/1.0\r\n\r\n");
  EXPECT_EQ(Echo(old.Read())["path"], "/old");
  EXPECT_TRUE(old.WaitClosed()) << "HTTP/1.0 without keep-alive";
}

TEST_F(HttpServer, ALateAnswerReachesItsOwnConnection) {
  HttpTestClient a(port_);
  a.SendRequest("GET", "/hold");
  ASSERT_TRUE(log_->Wait([&] { return log_->paths.size() == 1; }));
  HttpTestClient b(port_);
  b.SendRequest("GET", "/release");
  nlohmann::json for_b = Echo(b.Read());
  nlohmann::json for_a = Echo(a.Read());
  EXPECT_EQ(for_a["path"], "/hold");
  EXPECT_EQ(for_a["conn"], Conn(0));
  EXPECT_EQ(for_b["path"], "/release");
  EXPECT_EQ(for_b["conn"], Conn(1));
  a.SendRequest("GET", "/again");
  EXPECT_EQ(Echo(a.Read())["request_id"], 2) << "the connection goes on after a late answer";
}

TEST_F(HttpServer, AnswersForNoPendingRequestOrNoConnectionAreIgnored) {
  HttpTestClient c(port_);
  c.SendRequest("GET", "/stale");
  const auto r = c.Read();
  EXPECT_EQ(Echo(r)["path"], "/stale") << (r ? r->body : "no response");
  c.SendRequest("GET", "/next");
  EXPECT_EQ(Echo(c.Read())["request_id"], 2);
}

TEST_F(HttpServer, RetryAfterIsSentWithA429) {
  HttpTestClient c(port_);
  c.SendRequest("GET", "/retry");
  const auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429u);
  EXPECT_EQ(r->headers.at("retry-after"), "7");
  c.SendRequest("GET", "/ok");
  const auto ok = c.Read();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->headers.count("retry-after"), 0u);
}

TEST_F(HttpServer, TheOperatorFlagNeedsTheRightBearerOnAnAdminPath) {
  const auto operator_flag = [this](const std::string& path, const std::string& headers) {
    HttpTestClient c(port_);
    c.SendRequest("POST", path, headers);
    return Echo(c.Read())["operator"];
  };
  EXPECT_EQ(operator_flag("/admin/createBot", "Authorization: Bearer " + key_ + "\r\n"), true);
  EXPECT_EQ(operator_flag("/admin/createBot", ""), false);
  EXPECT_EQ(operator_flag("/admin/createBot", "Authorization: Bearer " + OperatorKey(std::string(32, 'x')) + "\r\n"),
            false);
  EXPECT_EQ(operator_flag("/admin/createBot", "Authorization: bearer " + key_ + "\r\n"), false);
  EXPECT_EQ(operator_flag("/admin/createBot", "Authorization: Bearer " + key_ + "0\r\n"), false);
  EXPECT_EQ(operator_flag("/botT/getMe", "Authorization: Bearer " + key_ + "\r\n"), false);
  EXPECT_EQ(operator_flag("/administrator", "Authorization: Bearer " + key_ + "\r\n"), false);
}

TEST_F(HttpServer, TheCoreClosingAConnectionLetsThePendingResponseOutFirst) {
  HttpTestClient c(port_);
  c.SendRequest("GET", "/close");
  EXPECT_EQ(Echo(c.Read())["path"], "/close");
  EXPECT_TRUE(c.WaitClosed());
  const ConnId conn = Conn(0);
  EXPECT_TRUE(log_->Wait([&] { return std::count(log_->closed.begin(), log_->closed.end(), conn) == 1; }));
  HttpTestClient dropped(port_);
  dropped.SendRequest("GET", "/drop");
  EXPECT_FALSE(dropped.Read()) << "closed unanswered";
  const ConnId second = Conn(1);
  EXPECT_TRUE(log_->Wait([&] { return std::count(log_->closed.begin(), log_->closed.end(), second) == 1; }));
}

TEST_F(HttpServer, AClientThatHangsUpIsReportedClosedEvenWhileItsRequestWaits) {
  HttpTestClient idle(port_);
  const ConnId first = Conn(0);
  idle.Close();
  EXPECT_TRUE(log_->Wait([&] { return log_->closed == std::vector<ConnId>{first}; }));
  HttpTestClient waiting(port_);
  waiting.SendRequest("GET", "/hold");
  ASSERT_TRUE(log_->Wait([&] { return log_->paths.size() == 1; }));
  waiting.Close();
  const ConnId second = Conn(1);
  EXPECT_NE(second, first) << "ids are not reused";
  EXPECT_TRUE(log_->Wait([&] { return log_->closed.size() == 2 && log_->closed[1] == second; }));
  OnIo([this] { EXPECT_EQ(server_->connections(), 0u); });
}

TEST_F(HttpServer, DestroyingTheServerDropsItsConnectionsWithoutTellingTheCore) {
  HttpTestClient c(port_);
  c.SendRequest("GET", "/hold");
  ASSERT_TRUE(log_->Wait([&] { return log_->paths.size() == 1; }));
  OnIo([this] {  // as an injected crash does (process.cc)
    substrate_.Attach(&host_, nullptr);
    server_.reset();
  });
  EXPECT_TRUE(c.WaitClosed());
  OnIo([] {});  // what the close posted has run
  std::lock_guard lock(log_->mu);
  EXPECT_TRUE(log_->closed.empty()) << "a crashed core hears nothing";
}

// Short timeouts: each wait below ends by an event (a response, a close);
// the bounds are only for failing.
class HttpServerTimeouts : public HttpServer {
 protected:
  void SetUp() override {
    config_.frame_timeout = 500 * kMillisecond;
    config_.http_idle_timeout = 500 * kMillisecond;
    HttpServer::SetUp();
  }
};

TEST_F(HttpServerTimeouts, ARequestThatDoesNotArriveInTimeGets408AndAnIdleConnectionCloses) {
  HttpTestClient slow(port_);
  slow.Send("POST /botT/sendMessage HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  const auto r = slow.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408u);
  EXPECT_TRUE(slow.WaitClosed());
  HttpTestClient idle(port_);
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_EQ(log_->Calls(), 0u);
}

TEST_F(HttpServerTimeouts, NoTimeoutRunsWhileTheCoreHoldsARequest) {
  HttpTestClient a(port_);
  a.SendRequest("GET", "/hold");
  ASSERT_TRUE(log_->Wait([&] { return log_->paths.size() == 1; }));
  HttpTestClient idle(port_);
  ASSERT_TRUE(idle.WaitClosed()) << "an idle timeout has passed";
  HttpTestClient b(port_);
  b.SendRequest("GET", "/release");
  EXPECT_EQ(Echo(b.Read())["path"], "/release");
  EXPECT_EQ(Echo(a.Read())["path"], "/hold");
}

}  // namespace
}  // namespace msgbed::live
