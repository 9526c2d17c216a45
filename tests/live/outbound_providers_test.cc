// The live SMS providers against a small HTTP receiver on loopback: a 2xx
// accepts, a 5xx, a silent receiver (timeout) or a refused connection
// fails the attempt; and a deployment whose first provider keeps failing
// sends its codes through the second, after the first's retries.
#include "live/outbound_providers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "live/live_fixture.h"
#include "live/raw_client.h"

namespace msgbed::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = live::asio::ip::tcp;

// Answers every POST with `status`, or (status 0) never answers. Records
// the bodies it got. Serves on its own thread.
class Receiver {
 public:
  explicit Receiver(unsigned status) : status_(status), acceptor_(io_, {live::asio::ip::make_address("127.0.0.1"), 0}) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  struct Exchange {
    explicit Exchange(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto x = std::make_shared<Exchange>(std::move(socket));
      http::async_read(x->socket, x->buffer, x->request, [this, x](beast::error_code ec, size_t) {
        if (ec) return;
        {
          std::lock_guard<std::mutex> lock(mu_);
          bodies_.push_back(x->request.body());
        }
        if (status_ == 0) return held_.push_back(x);  // silent: keep the connection open
        x->response = {static_cast<http::status>(status_), 11};
        x->response.body() = "{}";
        x->response.prepare_payload();
        http::async_write(x->socket, x->response, [x](beast::error_code, size_t) {});
      });
      Accept();
    });
  }

  const unsigned status_;
  live::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::shared_ptr<Exchange>> held_;
};

live::ProviderConfig HttpTo(uint16_t port, Micros timeout = 2 * kSecond) {
  live::ProviderConfig p;
  EXPECT_TRUE(live::ParseHttpUrl("http://127.0.0.1:" + std::to_string(port) + "/sms", &p));
  p.timeout = timeout;
  return p;
}

// One attempt through a provider of channel; its outcome.
Status Attempt(const live::ProviderConfig& p, const std::string& channel = kSmsChannel,
               const OutboundMessage& message = {"447700900123", "msgbed code: 12345"}) {
  live::asio::io_context io;
  live::OutboundProviders providers(io, {{channel, {p}}});
  std::optional<Status> result;
  providers.Deliver(channel, 0, message, [&](const Status& s) { result = s; });
  EXPECT_TRUE(RunUntil(io, [&] { return result.has_value(); }));
  return result.value_or(Status::IoError("no answer"));
}

TEST(OutboundProviders, A2xxAcceptsAndTheBodyIsJson) {
  Receiver ok(200);
  EXPECT_TRUE(Attempt(HttpTo(ok.port())).ok());
  ASSERT_EQ(ok.bodies().size(), 1u);
  EXPECT_EQ(ok.bodies()[0], R"({"text":"msgbed code: 12345","to":"+447700900123"})");
  // A push names its device token as it is.
  EXPECT_TRUE(Attempt(HttpTo(ok.port()), kPushChannel, {"tok-1", R"({"from":2})"}).ok());
  ASSERT_EQ(ok.bodies().size(), 2u);
  EXPECT_EQ(ok.bodies()[1], R"({"text":"{\"from\":2}","to":"tok-1"})");
}

TEST(OutboundProviders, A5xxASilentReceiverAndARefusedConnectionFail) {
  Receiver unavailable(503);
  const Status s = Attempt(HttpTo(unavailable.port()));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 503"), std::string::npos) << s.message();

  Receiver silent(0);
  const auto start = std::chrono::steady_clock::now();
  const Status t = Attempt(HttpTo(silent.port(), 300 * kMillisecond));
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(silent.bodies().size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "the timeout ends it";

  const uint16_t closed = FreePorts(1)[0];
  EXPECT_FALSE(Attempt(HttpTo(closed)).ok());
}

// The first provider answers 503: the auth core tries it again, then fails
// over to the log provider, whose file gets the code.
TEST(OutboundProviders, ADeploymentFailsOverToItsSecondProvider) {
  Receiver broken(503);
  TempDir dir("sms");
  const auto p = FreePorts(5);
  const auto at = [](uint16_t port) { return "127.0.0.1:" + std::to_string(port); };
  const std::string log = (dir.path() / "sms.log").string();
  const std::string yaml = "bus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " + dir.path().string() +
                           ", sync: false}\nauth: {sms_backoff: 10ms}\n"
                           "sms:\n  - http: {url: 'http://127.0.0.1:" +
                           std::to_string(broken.port()) + "/sms', timeout: 1s}\n  - log: {file: " + log +
                           "}\ninstances:\n  gateway/0: {client: " + at(p[0]) + ", rpc: " + at(p[1]) +
                           "}\n  messages/0: {rpc: " + at(p[2]) + "}\n  sync/0: {rpc: " + at(p[3]) +
                           "}\n  auth/0: {rpc: " + at(p[4]) + "}\n";
  std::unique_ptr<live::Process> server;
  ASSERT_TRUE(live::Process::Start(live::ParseConfig(yaml, "sms.yaml"), "", &server).ok());
  std::thread serving([&] { server->Run(); });

  RawClient client(p[0]);
  api::ClientFrame ask;
  ask.set_request_id(1);
  ask.mutable_send_code()->set_phone("+44 7700 900123");
  client.Send(ask);
  auto answer = client.NextFrame();
  api::ServerFrame f;
  const bool parsed = answer && f.ParseFromString(*answer);
  server->Stop();
  serving.join();
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(f.has_sent_code()) << f.DebugString();
  EXPECT_EQ(broken.bodies().size(), 2u) << "two tries of the first provider";
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("+447700900123 msgbed code: "), std::string::npos) << text.str();
}

}  // namespace
}  // namespace msgbed::testing
