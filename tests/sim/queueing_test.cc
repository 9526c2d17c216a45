// A simulated node as a queue: a service with c workers on a host with a
// core for each, Poisson arrivals, a fixed or exponential service time.
// Those are the M/D/1, M/M/1 and M/M/c queues, whose sojourn times (wait
// plus service) are known; the node must reproduce them. SimGrid runs in
// a forked child, one engine per process.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <numeric>
#include <simgrid/s4u.hpp>

#include "core/rng.h"
#include "node.h"
#include "scenario.h"
#include "service_time.h"
#include "world.h"

namespace msgbed::sim {
namespace {

namespace s4u = simgrid::s4u;

constexpr double kService = 1e-3;  // mean seconds of work per request
constexpr int kCores = 4;          // of host h1

// Runs body(world, hosts) in a forked child with a SimGrid engine and two
// hosts h1 (kCores cores of 1 Gflop/s) and h2 (one core), on one fabric;
// returns what body returned.
std::vector<double> InChild(size_t n, const std::function<std::vector<double>(World&, std::vector<Placement>&)>& body) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::cout.flush();  // else the child prints what is buffered again
  const pid_t pid = ::fork();
  if (pid == 0) {
    int argc = 2;
    char a0[] = "queueing_test", a1[] = "--log=root.thresh:critical";
    char* argv[] = {a0, a1, nullptr};
    s4u::Engine e(&argc, argv);
    const Scenario sc = ParseScenario(
        "name: q\ntopology:\n  link: {bandwidth: 10Gbps, latency: 50us}\n"
        "  hosts: [{name: h1, cores: 1, speed: 1Gf}, {name: h2, cores: 1, speed: 1Gf}]\n"
        "  services: {gateway: [h1], messages: [h1], sync: [h1], auth: [h1]}\n  kafka: {brokers: [h1]}\n",
        "q.yaml");
    World w(sc);
    auto* zone = s4u::create_full_zone("q");
    std::vector<HostCpu> cpus = {HostCpu(kCores, kReferenceFlops), HostCpu(1, kReferenceFlops)};
    std::vector<Placement> at;
    for (int h = 0; h < 2; ++h) {
      const std::string name = "h" + std::to_string(h + 1);
      at.push_back(Placement{zone->create_host(name, 1e9), &cpus[h], *w.graph.Find(name)});
    }
    zone->seal();
    std::vector<double> out = body(w, at);
    ::write(fds[1], out.data(), out.size() * sizeof(double));
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<double> out(n);
  size_t got = 0;
  for (ssize_t r; got < n * sizeof(double) &&
                  (r = ::read(fds[0], reinterpret_cast<char*>(out.data()) + got, n * sizeof(double) - got)) > 0;) {
    got += r;
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(got, n * sizeof(double));
  return out;
}

// A queue to simulate: arrivals per second, workers, the service time.
struct Queue {
  double lambda;
  int workers;
  ServiceTime service;
  size_t requests;
};

// The arrivals and service times of q, the same for the node and the ideal
// queue: (arrival, work) pairs.
std::vector<std::pair<double, double>> Arrivals(const Queue& q) {
  Rng gaps(1), work(2);
  std::vector<std::pair<double, double>> out;
  double t = 0;
  for (size_t i = 0; i < q.requests; ++i) {
    t += gaps.Exponential(q.lambda);
    out.emplace_back(t, q.service.Sample(work));
  }
  return out;
}

// Sojourn times in seconds, sorted: a source and a sink on h2, the server
// with q.workers workers on h1.
std::vector<double> Sojourns(const Queue& q) {
  return InChild(q.requests, [&q](World& w, std::vector<Placement>& at) {
    Node source(&w, "source", at[1]), server(&w, "server", at[0]), sink(&w, "sink", at[1]);
    server.SetWorkers(q.workers);
    std::vector<double> sojourn;
    const auto arrivals = Arrivals(q);
    for (const auto& [t, work] : arrivals) {
      source.Post(t, 0, [&, t, work] {
        source.Transmit(server, "request", 0, work,
                        [&, t] { server.Transmit(sink, "answer", 0, 0, [&, t] { sojourn.push_back(w.Now() - t); }); });
      });
    }
    // Two crossings of the fabric (two hops of 50 us each) are not the queue's.
    s4u::Actor::create("scheduler", at[0].host, [&w, end = arrivals.back().first + 10] { w.sched.Run(end); });
    s4u::Engine::get_instance()->run();
    for (double& s : sojourn) s -= 4 * 50e-6;
    std::sort(sojourn.begin(), sojourn.end());
    return sojourn;
  });
}

// The same arrivals through an ideal FIFO queue with q.workers servers (the
// Kiefer-Wolfowitz recursion): each request takes the server that frees up
// first, no earlier than it arrives.
std::vector<double> IdealSojourns(const Queue& q) {
  std::vector<double> free_at(q.workers, 0.0), out;
  for (const auto& [t, work] : Arrivals(q)) {
    auto server = std::min_element(free_at.begin(), free_at.end());
    *server = std::max(t, *server) + work;
    out.push_back(*server - t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

double Quantile(const std::vector<double>& sorted, double q) {
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))];
}

double Mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

// The M/M/c sojourn time T = Wq + S: Wq is 0 unless all c servers are busy
// (Erlang's C), then exponential at rate c mu - lambda; S is exponential at
// mu. Gives its mean and P(T > t).
struct MMc {
  double lambda, mu;
  int c;
  double ErlangC() const {
    const double a = lambda / mu, rho = a / c;
    double term = 1, sum = 0;  // a^k / k!
    for (int k = 0; k < c; ++k) {
      sum += term;
      term *= a / (k + 1);
    }
    const double last = term / (1 - rho);
    return last / (sum + last);
  }
  double Mean() const { return ErlangC() / (c * mu - lambda) + 1 / mu; }
  double Tail(double t) const {
    const double theta = c * mu - lambda, C = ErlangC();
    const double both = (theta * std::exp(-mu * t) - mu * std::exp(-theta * t)) / (theta - mu);
    return (1 - C) * std::exp(-mu * t) + C * both;
  }
  double Quantile(double q) const {  // bisection on the tail
    double lo = 0, hi = 1;
    while (Tail(hi) > 1 - q) hi *= 2;
    for (int i = 0; i < 100; ++i) (Tail((lo + hi) / 2) > 1 - q ? lo : hi) = (lo + hi) / 2;
    return lo;
  }
};

void ExpectWithin5Percent(const std::vector<double>& s, double mean, const std::vector<std::pair<double, double>>& qs,
                          const std::string& what) {
  EXPECT_NEAR(Mean(s), mean, 0.05 * mean) << what << ": mean";
  std::cout << what << ", sojourn ms (theory): mean " << Mean(s) * 1e3 << " (" << mean * 1e3 << ")";
  for (const auto& [q, theory] : qs) {
    EXPECT_NEAR(Quantile(s, q), theory, 0.05 * theory) << what << ": quantile " << q;
    std::cout << ", p" << q * 100 << " " << Quantile(s, q) * 1e3 << " (" << theory * 1e3 << ")";
  }
  std::cout << "\n";
}

std::vector<std::pair<double, double>> Quantiles(const MMc& m) {
  return {{0.5, m.Quantile(0.5)}, {0.9, m.Quantile(0.9)}, {0.99, m.Quantile(0.99)}};
}

// Request by request, the node is the ideal FIFO queue, at any load, with
// one worker or four, fixed or exponential service. Found by the simulator
// issue: a node released every item's output when its whole batch was
// done, so each request also waited for those queued behind it (p90 and
// p99 about 20 % too high at 90 % load); with several workers, outputs
// leaving out of booking order queued on the link behind each other.
TEST(Queueing, EveryRequestWaitsExactlyForTheWorkAheadOfIt) {
  for (int c : {1, 4}) {
    for (double load : {0.5, 0.9}) {
      for (const ServiceTime& service : {ServiceTime(kService), ServiceTime::Exponential(kService)}) {
        const Queue q{load * c / kService, c, service, 100000};
        const std::vector<double> sim = Sojourns(q);
        const std::vector<double> ideal = IdealSojourns(q);
        ASSERT_EQ(sim.size(), ideal.size());
        for (double p : {0.5, 0.9, 0.99, 0.999}) {
          EXPECT_NEAR(Quantile(sim, p), Quantile(ideal, p), 1e-6)
              << c << " workers, load " << load << ", fixed " << service.fixed() << ", quantile " << p;
        }
      }
    }
  }
}

// The node against the formulas directly, at half load, where 200,000
// requests pin the quantiles well inside 5 %.
TEST(Queueing, ANodeWithExponentialServiceIsAnMMcQueue) {
  for (int c : {1, 4}) {
    const MMc theory{0.5 * c / kService, 1 / kService, c};
    const std::vector<double> s = Sojourns({theory.lambda, c, ServiceTime::Exponential(kService), 200000});
    ExpectWithin5Percent(s, theory.Mean(), Quantiles(theory), "node as M/M/" + std::to_string(c) + " at load 0.5");
  }
}

// The ideal queue the node reproduces exactly (above) against the formulas
// at 50 % and 90 % load: M/D/1, M/M/1 and M/M/4. At 90 % load successive
// sojourns are so correlated that a 5 % bound needs millions of requests,
// too many to simulate in a unit test; the recursion takes a second.
TEST(Queueing, TheQueueTheNodeReproducesMatchesQueueingTheory) {
  constexpr size_t kMany = 4000000;
  for (double load : {0.5, 0.9}) {
    // M/D/1: mean by Pollaczek-Khinchine; quantiles of the exact M/D/1
    // distribution at 90 % load.
    std::vector<std::pair<double, double>> qs;
    if (load > 0.6) qs = {{0.5, 4.03e-3}, {0.9, 11.69e-3}, {0.99, 22.38e-3}};
    ExpectWithin5Percent(IdealSojourns({load / kService, 1, kService, kMany}), kService * (1 + load / (2 * (1 - load))),
                         qs, "M/D/1 at load " + std::to_string(load));
    for (int c : {1, 4}) {
      const MMc theory{load * c / kService, 1 / kService, c};
      ExpectWithin5Percent(IdealSojourns({theory.lambda, c, ServiceTime::Exponential(kService), kMany}), theory.Mean(),
                           Quantiles(theory), "M/M/" + std::to_string(c) + " at load " + std::to_string(load));
    }
  }
}

// Found by the simulator issue: a busy node's output, due to leave when
// its work is done, booked the link at once, so a message another node
// sent earlier in simulated time (but later in call order) waited behind
// it. Links must serve messages in simulated-time order.
TEST(Queueing, ALinkServesMessagesInSimulatedTimeOrder) {
  const std::vector<double> arrived = InChild(2, [](World& w, std::vector<Placement>& at) {
    Node busy(&w, "busy", at[0]), quick(&w, "quick", at[0]), sink(&w, "sink", at[1]);
    std::vector<double> when(2);
    busy.Post(0, 1.0, [&] { busy.Transmit(sink, "late", 100, 0, [&] { when[0] = w.Now(); }); });
    quick.Post(0.5, 0, [&] { quick.Transmit(sink, "early", 100, 0, [&] { when[1] = w.Now(); }); });
    s4u::Actor::create("scheduler", at[0].host, [&w] { w.sched.Run(5); });
    s4u::Engine::get_instance()->run();
    return when;
  });
  EXPECT_NEAR(arrived[1], 0.5, 1e-3) << "the early message crosses idle links at once";
  EXPECT_NEAR(arrived[0], 1.0, 1e-3) << "the late one leaves when its second of work is done";
}

}  // namespace
}  // namespace msgbed::sim
