// The light transport (sim/network.h) against SimGrid's own network model:
// the same two-link path, the same messages, as SimGrid Comms under CM02
// with unit factors (textbook latency and bandwidth). SimGrid runs in a
// forked child, one engine per process.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <simgrid/s4u.hpp>

#include "network.h"

namespace msgbed::sim {
namespace {

namespace s4u = simgrid::s4u;

struct Case {
  LinkSpec from, to;
  std::vector<size_t> sizes;  // messages sent together at t = 0, in this order
};

// Completion time of each message as SimGrid computes it.
std::vector<double> SimGridTimes(const Case& c) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    int argc = 6;
    char a0[] = "transport_test", a1[] = "--log=root.thresh:critical", a2[] = "--cfg=network/model:CM02",
         a3[] = "--cfg=network/latency-factor:1", a4[] = "--cfg=network/bandwidth-factor:1",
         a5[] = "--cfg=network/crosstraffic:0";
    char* argv[] = {a0, a1, a2, a3, a4, a5, nullptr};
    s4u::Engine e(&argc, argv);
    auto* zone = s4u::create_full_zone("net");
    auto* a = zone->create_host("a", 1e9);
    auto* b = zone->create_host("b", 1e9);
    auto* up = zone->create_link("up", c.from.bandwidth)->set_latency(c.from.latency)->seal();
    auto* down = zone->create_link("down", c.to.bandwidth)->set_latency(c.to.latency)->seal();
    zone->add_route(a->get_netpoint(), b->get_netpoint(), nullptr, nullptr,
                    {s4u::LinkInRoute(up), s4u::LinkInRoute(down)}, false);
    zone->seal();
    std::vector<double> done(c.sizes.size());
    for (size_t i = 0; i < c.sizes.size(); ++i) {
      s4u::Actor::create("send" + std::to_string(i), a, [&, i] {
        s4u::Comm::sendto(a, b, static_cast<uint64_t>(c.sizes[i]));
        done[i] = s4u::Engine::get_clock();
      });
    }
    e.run();
    ::write(fds[1], done.data(), done.size() * sizeof(double));
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<double> done(c.sizes.size());
  const ssize_t n = ::read(fds[0], done.data(), done.size() * sizeof(double));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(n, static_cast<ssize_t>(done.size() * sizeof(double)));
  return done;
}

// a -- fabric -- b, the links as in the SimGrid platform above.
std::vector<double> LightTimes(const Case& c) {
  TopologyGraph g;
  const auto f = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kFabric, "fabric"));
  const auto a = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kHost, "a"));
  const auto b = g.AddVertex(TopoVertex::Of(TopoVertex::Kind::kHost, "b"));
  g.AddEdge(a, f, TopoEdge{c.from});
  g.AddEdge(f, b, TopoEdge{c.to});
  Network net(&g);
  std::vector<double> done;
  for (size_t bytes : c.sizes) done.push_back(net.Arrival(a, b, bytes, 0, 0));
  return done;
}

const LinkSpec kDatacenter{1.25e9, 50e-6};  // 10 Gbps, 50 us
const LinkSpec kAccess{1.25e7, 30e-3};      // 100 Mbps, 30 ms

TEST(LightTransport, OneMessageTakesWhatASimGridCommTakes) {
  for (const Case& c : {Case{kDatacenter, kDatacenter, {200}}, Case{kDatacenter, kAccess, {1500}},
                        Case{kAccess, kDatacenter, {64 * 1024}}, Case{kDatacenter, kAccess, {10'000'000}}}) {
    const double simgrid = SimGridTimes(c)[0];
    const double light = LightTimes(c)[0];
    EXPECT_NEAR(light, simgrid, 1e-9 + simgrid * 1e-6) << c.sizes[0] << " bytes";
  }
}

// Messages sent together share the link in SimGrid and queue in the light
// transport: the batch finishes at the same time, the first ones earlier.
TEST(LightTransport, ABatchFinishesWhenSimGridsSharingWouldFinishIt) {
  const Case c{kDatacenter, kAccess, {1000, 1000, 1000, 1000}};
  const std::vector<double> simgrid = SimGridTimes(c);
  const std::vector<double> light = LightTimes(c);
  EXPECT_NEAR(light.back(), simgrid.back(), 1e-9 + simgrid.back() * 1e-6);
  EXPECT_LT(light.front(), simgrid.front());
  for (size_t i = 1; i < light.size(); ++i) EXPECT_GT(light[i], light[i - 1]) << "FIFO order";
}

}  // namespace
}  // namespace msgbed::sim

namespace msgbed::sim {
namespace {

// A link serves messages in the order they leave, whatever the order they
// were booked in (a busy node books its outputs ahead; with several workers
// they leave out of booking order): each takes the first gap it fits in.
TEST(LinkSchedule, AMessageTakesTheFirstGapItFitsInAtOrAfterItLeaves) {
  LinkSchedule link(LinkSpec{1000, 0});  // 1000 B/s: 100 bytes take 0.1 s
  auto near = [](std::pair<double, double> got, double begin, double end) {
    return std::abs(got.first - begin) < 1e-9 && std::abs(got.second - end) < 1e-9;
  };
  EXPECT_TRUE(near(link.Pass(1.0, 100, 0, 0), 1.0, 1.1)) << "booked ahead";
  EXPECT_TRUE(near(link.Pass(0.5, 100, 0, 0), 0.5, 0.6)) << "leaves before it, fits before it";
  EXPECT_TRUE(near(link.Pass(0.95, 100, 0, 0), 1.1, 1.2)) << "does not fit before it: queued behind";
  EXPECT_TRUE(near(link.Pass(1.05, 100, 0, 0), 1.2, 1.3)) << "leaves while it is out: queued behind";
  EXPECT_TRUE(near(link.Pass(0.6, 100, 0, 0), 0.6, 0.7)) << "the gap between is still free";
  EXPECT_TRUE(near(link.Pass(0.6, 100, 0.9, 0), 0.7, 0.9)) << "cut through: ends no earlier than upstream";
  EXPECT_TRUE(near(link.Pass(2.0, 100, 0, 1.5), 2.0, 2.1)) << "what is over is forgotten";
}

}  // namespace
}  // namespace msgbed::sim
