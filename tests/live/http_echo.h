// Helpers for tests of the HTTP client transport (HttpClientServer): a
// core that answers each BotCall with what it received as JSON, a role
// that registers it with HTTP clients, and a blocking HTTP client that
// speaks raw bytes with a bound on every wait.
//
// The echo core's answer: {"conn", "request_id", "method", "path",
// "params": {...}, "files": [{"field", "filename", "content_type",
// "size"}], "operator"}. Some paths act:
//   /hold     not answered until a /release arrives (on any connection)
//   /release  answers the held requests, then itself
//   /close    answered, then the connection closed by the core
//   /drop     the connection closed by the core, unanswered
//   /stale    answers for a request id not pending and for a connection
//             that does not exist first (both ignored), then the real one
//   /retry    answered 429 with retry_after_s 7
#pragma once

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/service.h"
#include "roles/registry.h"

namespace msgbed::testing {

// What the echo cores saw; shared with the test thread.
struct EchoLog {
  std::mutex mu;
  std::condition_variable changed;                     // notified after every change
  std::vector<std::pair<ConnId, std::string>> opened;  // (conn, source)
  std::vector<ConnId> closed;
  std::vector<std::string> paths;  // of every BotCall, in arrival order

  // Waits until pred (run with mu held) holds; false after bound.
  bool Wait(const std::function<bool()>& pred, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, bound, pred);
  }
  bool WasClosed(ConnId conn) {
    std::lock_guard lock(mu);
    return std::find(closed.begin(), closed.end(), conn) != closed.end();
  }
  size_t Calls() {
    std::lock_guard lock(mu);
    return paths.size();
  }
};

std::unique_ptr<Service> MakeEchoCore(Env* env, std::shared_ptr<EchoLog> log);

// Registers role "httpecho" (optional, HTTP clients, an echo core writing
// to EchoRoleLog()) in the global registry, once.
inline constexpr const char* kEchoRole = "httpecho";
void RegisterEchoRole();
std::shared_ptr<EchoLog> EchoRoleLog();

// A response as the test client read it.
struct HttpResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

// One TCP connection to 127.0.0.1:port on its own io_context. Every wait
// is bounded, so a server that never answers fails the test instead of
// hanging it.
class HttpTestClient {
 public:
  explicit HttpTestClient(uint16_t port);
  ~HttpTestClient();
  bool connected() const { return connected_; }

  void Send(const std::string& bytes);
  // A whole request: method, target, extra header lines ("Name: value\r\n"),
  // body (Content-Length added when there is one).
  void SendRequest(const std::string& method, const std::string& target, const std::string& headers = "",
                   const std::string& body = "");
  // The next response; nullopt if the connection ended or `bound` passed.
  std::optional<HttpResponse> Read(std::chrono::milliseconds bound = std::chrono::seconds(10));
  // True when the server closes the connection within bound (what it
  // still sends is skipped).
  bool WaitClosed(std::chrono::milliseconds bound = std::chrono::seconds(10));
  void Close();

 private:
  // Runs io_ until done or bound; cancels what is left on a timeout.
  bool RunFor(std::chrono::milliseconds bound, const bool& done);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;  // received, not yet parsed
  bool connected_ = false;
};

}  // namespace msgbed::testing
