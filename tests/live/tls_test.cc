// TLS on device connections (live/tls.h): a gateway with clients.tls
// serves TLS 1.3; a client trusting its CA chats through it; a client
// trusting another CA, a certificate that has expired, and a plain client
// on the TLS port each fail, with a reason that says why; a key that is
// not the certificate's keeps the gateway from starting.
#include "live/tls.h"

#include "live_fixture.h"

namespace msgbed::testing {
namespace {

// Development certificates, written once for the whole binary.
struct Certificates {
  TempDir good{"tls-good"}, other{"tls-other"}, expired{"tls-expired"}, elsewhere{"tls-elsewhere"};
  Certificates() {
    const std::vector<std::string> hosts = {"127.0.0.1", "localhost"};
    EXPECT_TRUE(live::WriteDevCertificates(good.path().string(), hosts, 30).ok());
    EXPECT_TRUE(live::WriteDevCertificates(other.path().string(), hosts, 30).ok());
    EXPECT_TRUE(live::WriteDevCertificates(elsewhere.path().string(), {"example.com"}, 30).ok());
    // Valid for ten days, twenty days ago.
    EXPECT_TRUE(live::WriteDevCertificates(expired.path().string(), hosts, 10, -20).ok());
  }
};
Certificates& Certs() {
  static Certificates c;
  return c;
}

std::string TlsYaml(const TempDir& d) {
  return "clients: {tls: {cert: " + (d.path() / "server.pem").string() +
         ", key: " + (d.path() / "server.key").string() + "}}";
}

std::shared_ptr<live::ssl::context> TrustIn(const TempDir& d) {
  std::shared_ptr<live::ssl::context> ctx;
  EXPECT_TRUE(live::ClientTlsContext((d.path() / "ca.pem").string(), &ctx).ok());
  return ctx;
}

class TlsTest : public Split {
 protected:
  explicit TlsTest(const TempDir& certs = Certs().good, const std::string& more = "")
      : Split(TlsYaml(certs) + "\n" + more) {}

  // A device of user that connects with tls (null: plain TCP).
  std::unique_ptr<live::DeviceConnection> Device(uint64_t user, Seen* seen, std::shared_ptr<live::ssl::context> tls) {
    auto c = std::make_unique<live::DeviceConnection>(io_, deploy_.Session(user, 1), seen);
    if (tls) c->UseTls(std::move(tls));
    c->Connect("127.0.0.1", deploy_.client_port(), [seen](const std::string& why) { seen->closed = why; });
    return c;
  }
};

TEST_F(TlsTest, DevicesTrustingTheCaChatOverTls) {
  Seen alice, bob;
  auto a = Device(1, &alice, TrustIn(Certs().good));
  auto b = Device(2, &bob, TrustIn(Certs().good));
  ASSERT_TRUE(Run([&] { return alice.synced > 0 && bob.synced > 0; })) << alice.closed << " / " << bob.closed;
  a->device().SendText(2, "over tls", 77);
  ASSERT_TRUE(Run([&] { return !bob.delivered.empty(); }));
  EXPECT_EQ(bob.delivered[0].first, 77u);
}

TEST_F(TlsTest, AClientTrustingAnotherCaIsRefusedAndSaysWhy) {
  Seen seen;
  auto c = Device(1, &seen, TrustIn(Certs().other));
  ASSERT_TRUE(Run([&] { return !seen.closed.empty(); }));
  EXPECT_NE(seen.closed.find("certificate was refused"), std::string::npos) << seen.closed;
  EXPECT_TRUE(seen.frames.empty());
}

TEST_F(TlsTest, APlainClientOnTheTlsPortGetsNothingThrough) {
  Seen seen;
  auto c = Device(1, &seen, nullptr);
  ASSERT_TRUE(Run([&] { return !seen.closed.empty(); }));
  EXPECT_TRUE(seen.frames.empty()) << seen.frames[0].ShortDebugString();
  EXPECT_EQ(seen.synced, 0);
  EXPECT_NE(seen.closed.find("if its port is TLS, connect with its CA"), std::string::npos) << seen.closed;
}

class ExpiredTlsTest : public TlsTest {
 protected:
  ExpiredTlsTest() : TlsTest(Certs().expired) {}
};

TEST_F(ExpiredTlsTest, AnExpiredCertificateIsRefused) {
  Seen seen;
  auto c = Device(1, &seen, TrustIn(Certs().expired));
  ASSERT_TRUE(Run([&] { return !seen.closed.empty(); }));
  EXPECT_NE(seen.closed.find("certificate was refused"), std::string::npos) << seen.closed;
  EXPECT_NE(seen.closed.find("expired"), std::string::npos) << seen.closed;
}

class ElsewhereTlsTest : public TlsTest {
 protected:
  ElsewhereTlsTest() : TlsTest(Certs().elsewhere) {}
};

// Found by review: a certificate for another name was refused with
// "unspecified certificate verification error".
TEST_F(ElsewhereTlsTest, ACertificateForAnotherHostIsRefusedAsAMismatch) {
  Seen seen;
  auto c = Device(1, &seen, TrustIn(Certs().elsewhere));
  ASSERT_TRUE(Run([&] { return !seen.closed.empty(); }));
  EXPECT_NE(seen.closed.find("mismatch"), std::string::npos) << seen.closed;
}

std::string LinkTlsYaml(const TempDir& d) {
  const auto f = [&](const char* name) { return (d.path() / name).string(); };
  return "security: {tls: {cert: " + f("server.pem") + ", key: " + f("server.key") + ", ca: " + f("ca.pem") + "}}";
}

// Every process presents the deployment's certificate on its links and
// takes only peers that have one: devices on TLS, services on mutual TLS.
class MutualTlsTest : public TlsTest {
 protected:
  MutualTlsTest() : TlsTest(Certs().good, LinkTlsYaml(Certs().good)) {}

  // Whether a link to messages/0's rpc port made with tls (null: plain)
  // hears the accepting side's first frame (its challenge).
  bool Heard(std::shared_ptr<live::ssl::context> tls) {
    bool heard = false, closed = false;
    std::shared_ptr<live::FramedConnection> conn;
    auto socket = std::make_shared<live::tcp::socket>(io_);
    socket->connect({live::asio::ip::make_address("127.0.0.1"), deploy_.rpc_port("messages")});
    auto start = [&](std::shared_ptr<live::FramedConnection> c) {
      conn = std::move(c);
      conn->Start([&](std::string_view) { heard = true; }, [&](const std::string&) { closed = true; });
    };
    if (!tls) {
      start(std::make_shared<live::FramedConnection>(std::move(*socket)));
    } else {
      live::ConnectTls(
          std::move(*socket), *tls, "127.0.0.1",
          [&](std::unique_ptr<live::TlsStream> s) { start(std::make_shared<live::FramedConnection>(std::move(s))); },
          [&](const std::string&) { closed = true; });
    }
    EXPECT_TRUE(Run([&] { return heard || closed; }));
    if (conn) conn->Close("test done");
    return heard;
  }
  std::shared_ptr<live::ssl::context> Presenting(const TempDir& d) {
    std::shared_ptr<live::ssl::context> accepting, connecting;
    const auto f = [&](const char* name) { return (d.path() / name).string(); };
    EXPECT_TRUE(live::LinkTlsContexts({f("server.pem"), f("server.key"), f("ca.pem")}, &accepting, &connecting).ok());
    return connecting;
  }
};

TEST_F(MutualTlsTest, ServicesLinkOverMutualTlsAndAStrangerIsRefused) {
  Seen alice, bob;
  auto a = Device(1, &alice, TrustIn(Certs().good));
  auto b = Device(2, &bob, TrustIn(Certs().good));
  ASSERT_TRUE(Run([&] { return alice.synced > 0 && bob.synced > 0; })) << alice.closed << " / " << bob.closed;
  a->device().SendText(2, "gateway to messages to sync, all on TLS", 78);
  ASSERT_TRUE(Run([&] { return !bob.delivered.empty(); }));
  // The deployment's certificate gets the challenge; a certificate of
  // another CA, and plain TCP, get nothing.
  EXPECT_TRUE(Heard(Presenting(Certs().good)));
  EXPECT_FALSE(Heard(Presenting(Certs().other)));
  EXPECT_FALSE(Heard(nullptr));
}

TEST(TlsContext, TheGatewayWarnsOfACertificateNoClientWillTake) {
  std::shared_ptr<live::ssl::context> ctx;
  const auto& expired = Certs().expired.path();
  ASSERT_TRUE(
      live::ServerTlsContext({(expired / "server.pem").string(), (expired / "server.key").string()}, &ctx).ok());
  auto warnings = live::CertificateWarnings(*ctx);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("expired"), std::string::npos);
  const auto& good = Certs().good.path();
  ASSERT_TRUE(live::ServerTlsContext({(good / "ca.pem").string(), (good / "ca.key").string()}, &ctx).ok());
  warnings = live::CertificateWarnings(*ctx);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("a CA's"), std::string::npos);
  ASSERT_TRUE(live::ServerTlsContext({(good / "server.pem").string(), (good / "server.key").string()}, &ctx).ok());
  EXPECT_TRUE(live::CertificateWarnings(*ctx).empty());
}

// Found by review: tls init replaced a CA already handed out, wrote through
// symbolic links, and let a comma in --host add names.
TEST(TlsInit, NeverReplacesOrFollowsLinksUnlessForcedAndRefusesOddNames) {
  TempDir dir("tls-init");
  const std::string d = dir.path().string();
  ASSERT_TRUE(live::WriteDevCertificates(d, {"localhost"}, 1).ok());
  Status s = live::WriteDevCertificates(d, {"localhost"}, 1);
  EXPECT_NE(s.message().find("it exists (give --force"), std::string::npos) << s.message();
  EXPECT_TRUE(live::WriteDevCertificates(d, {"localhost"}, 1, 0, /*overwrite=*/true).ok());
  TempDir linked("tls-link");
  std::filesystem::create_symlink(dir.path() / "victim", linked.path() / "ca.key");
  EXPECT_FALSE(live::WriteDevCertificates(linked.path().string(), {"localhost"}, 1).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "victim"));
  for (const char* bad : {"foo,DNS:evil.com", "a b", "", "300.1.1.1", "-x", "a..b", "ünï.com"}) {
    EXPECT_NE(live::BadHostName(bad), "") << bad;
  }
  for (const char* good : {"127.0.0.1", "::1", "localhost", "gw-1.example.com"}) EXPECT_EQ(live::BadHostName(good), "");
}

TEST(TlsContext, AMissingFileOrAKeyNotTheCertificatesIsRefusedByName) {
  std::shared_ptr<live::ssl::context> ctx;
  const auto& good = Certs().good.path();
  const auto& other = Certs().other.path();
  Status s = live::ServerTlsContext({(good / "server.pem").string(), (other / "server.key").string()}, &ctx);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not the private key of the certificate"), std::string::npos) << s.message();
  s = live::ServerTlsContext({(good / "nope.pem").string(), (good / "server.key").string()}, &ctx);
  EXPECT_NE(s.message().find("cannot read"), std::string::npos) << s.message();
  s = live::ServerTlsContext({(good / "server.key").string(), (good / "server.key").string()}, &ctx);
  EXPECT_NE(s.message().find("holds no PEM certificate"), std::string::npos) << s.message();
  EXPECT_TRUE(live::ServerTlsContext({(good / "server.pem").string(), (good / "server.key").string()}, &ctx).ok());
  EXPECT_FALSE(live::ClientTlsContext((good / "missing.pem").string(), &ctx).ok());
}

}  // namespace
}  // namespace msgbed::testing
