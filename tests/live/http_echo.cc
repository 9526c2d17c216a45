#include "live/http_echo.h"

#include <boost/beast/http.hpp>
#include <mutex>
#include <nlohmann/json.hpp>

namespace msgbed::testing {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

class EchoCore final : public Service {
 public:
  EchoCore(Env* env, std::shared_ptr<EchoLog> log) : env_(env), log_(std::move(log)) {}

  void Register(Handlers&) override {}

  void OnClientOpened(ConnId conn, std::string_view source) override {
    std::lock_guard lock(log_->mu);
    log_->opened.emplace_back(conn, std::string(source));
    log_->changed.notify_all();
  }
  void OnClientClosed(ConnId conn) override {
    std::lock_guard lock(log_->mu);
    log_->closed.push_back(conn);
    log_->changed.notify_all();
  }
  void OnClientFrame(ConnId conn, const api::ClientFrame& frame) override {
    if (!frame.has_bot_call()) return;
    const std::string& path = frame.bot_call().path();
    {
      std::lock_guard lock(log_->mu);
      log_->paths.push_back(path);
      log_->changed.notify_all();
    }
    api::ServerFrame answer = Echo(conn, frame);
    if (path == "/hold") {
      held_.emplace_back(conn, std::move(answer));
      return;
    }
    if (path == "/drop") return env_->Clients()->CloseClient(conn, "dropped by the test core");
    if (path == "/release") {
      for (auto& h : held_) env_->Clients()->SendToClient(h.first, std::move(h.second));
      held_.clear();
    }
    if (path == "/stale") {
      api::ServerFrame wrong = answer;
      wrong.set_request_id(answer.request_id() + 100);
      wrong.mutable_bot_answer()->set_body("wrong request id");
      env_->Clients()->SendToClient(conn, wrong);
      env_->Clients()->SendToClient(conn + 1000000, answer);
    }
    if (path == "/retry") {
      answer.mutable_bot_answer()->set_status(429);
      answer.mutable_bot_answer()->set_retry_after_s(7);
    }
    env_->Clients()->SendToClient(conn, std::move(answer));
    if (path == "/close") env_->Clients()->CloseClient(conn, "closed by the test core");
  }

 private:
  static api::ServerFrame Echo(ConnId conn, const api::ClientFrame& frame) {
    const api::BotCall& call = frame.bot_call();
    nlohmann::json echo = {{"conn", conn},
                           {"request_id", frame.request_id()},
                           {"method", call.http_method()},
                           {"path", call.path()},
                           {"operator", call.operator_()},
                           {"params", nlohmann::json::object()},
                           {"files", nlohmann::json::array()}};
    for (const auto& p : call.params()) echo["params"][p.first] = p.second;
    for (const auto& f : call.files()) {
      echo["files"].push_back({{"field", f.field()},
                               {"filename", f.filename()},
                               {"content_type", f.content_type()},
                               {"size", f.bytes().size()}});
    }
    api::ServerFrame out;
    out.set_request_id(frame.request_id());
    api::BotAnswer* a = out.mutable_bot_answer();
    a->set_status(200);
    a->set_content_type("application/json");
    a->set_body(echo.dump());
    return out;
  }

  Env* env_;
  std::shared_ptr<EchoLog> log_;
  std::vector<std::pair<ConnId, api::ServerFrame>> held_;
};

}  // namespace

std::unique_ptr<Service> MakeEchoCore(Env* env, std::shared_ptr<EchoLog> log) {
  return std::make_unique<EchoCore>(env, std::move(log));
}

std::shared_ptr<EchoLog> EchoRoleLog() {
  static const auto log = std::make_shared<EchoLog>();
  return log;
}

void RegisterEchoRole() {
  static std::once_flag once;
  std::call_once(once, [] {
    RoleSpec spec;
    spec.name = kEchoRole;
    spec.summary = "echoes HTTP requests (tests only)";
    spec.make = [](Env* env, const ClusterShape&, const RoleSettings&) { return MakeEchoCore(env, EchoRoleLog()); };
    spec.other_costs = {{"reply", 0}, {"client_frame", 0}};
    spec.has_clients = true;
    spec.client_protocol = RoleSpec::ClientProtocol::kHttp;
    RoleRegistry::Global().Add(std::move(spec));
  });
}

HttpTestClient::HttpTestClient(uint16_t port) {
  error_code ec;
  socket_.connect({asio::ip::address_v4::loopback(), port}, ec);
  connected_ = !ec;
}

HttpTestClient::~HttpTestClient() { Close(); }

void HttpTestClient::Close() {
  error_code ignored;
  socket_.close(ignored);
}

bool HttpTestClient::RunFor(std::chrono::milliseconds bound, const bool& done) {
  io_.restart();
  const auto end = std::chrono::steady_clock::now() + bound;
  while (!done && io_.run_one_until(end) > 0) {
  }
  if (done) return true;
  error_code ignored;
  socket_.cancel(ignored);  // the handler runs with operation_aborted, then nothing is pending
  io_.restart();
  io_.run();
  return false;
}

void HttpTestClient::Send(const std::string& bytes) {
  bool done = false;
  asio::async_write(socket_, asio::buffer(bytes), [&done](error_code, size_t) { done = true; });
  RunFor(std::chrono::seconds(10), done);
}

void HttpTestClient::SendRequest(const std::string& method, const std::string& target, const std::string& headers,
                                 const std::string& body) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  Send(request + "\r\n" + body);
}

std::optional<HttpResponse> HttpTestClient::Read(std::chrono::milliseconds bound) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  bool done = false;
  error_code ec;
  http::async_read(socket_, buffer_, parser, [&](error_code e, size_t) {
    ec = e;
    done = true;
  });
  if (!RunFor(bound, done) || ec) return std::nullopt;
  HttpResponse out;
  out.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    std::string name(field.name_string().data(), field.name_string().size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value().data(), field.value().size());
  }
  out.body = parser.get().body();
  return out;
}

bool HttpTestClient::WaitClosed(std::chrono::milliseconds bound) {
  const auto end = std::chrono::steady_clock::now() + bound;
  buffer_.clear();
  for (;;) {
    bool done = false;
    error_code ec;
    char scratch[4096];
    socket_.async_read_some(asio::buffer(scratch), [&](error_code e, size_t) {
      ec = e;
      done = true;
    });
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !RunFor(left, done)) return false;
    if (ec) return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
}

}  // namespace msgbed::testing
