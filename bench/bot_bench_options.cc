#include "bot_bench_options.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

namespace msgbed::live {

int ParseOptions(int argc, char** argv, Options* o) {
  CLI::App app{"Bot API server requests/s and latency on loopback"};
  app.add_option("--msgbed", o->msgbed, "The msgbed program (default: ../msgbed from this one)");
  app.add_option("--connections", o->connections, "Concurrent connections, one measurement each")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(1, 256));
  app.add_option("--requests", o->requests, "Requests per measurement, at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--duration", o->duration_s, "Seconds per measurement, at most")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--users", o->users, "Users provisioned; sendMessage spreads over them")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--think-ms", o->think_ms, "A random pause of up to this between wake-up samples (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  app.add_option("--wakeups", o->wakeups, "Long-poll wake-up samples")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--queue", o->queue, "Updates queued for the drain, at most (the fill also stops at 6 x --duration)")
      ->capture_default_str()
      ->check(CLI::Range(1, 99000));
  app.add_flag("--sync", o->sync, "fsync every storage write (storage.sync: true)");
  app.add_option("--phases", o->phases,
                 "Which measurements: getme, send (= chat: one user's chat, and users: spread over --users), wakeup, "
                 "drain")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::IsMember({"getme", "send", "chat", "users", "wakeup", "drain"}));
  app.add_option("--wrap", o->wrap,
                 "Run the server under this command, e.g. 'valgrind --tool=callgrind' (words split at spaces)");
  app.add_flag("--keep", o->keep, "Keep the deployment's directory (its log is serve.log)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  namespace fs = std::filesystem;
  if (o->msgbed.empty()) o->msgbed = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "msgbed").string();
  if (!fs::exists(o->msgbed)) {
    std::cerr << "error: no msgbed program at " << o->msgbed << " (--msgbed)\n";
    return 2;
  }
  return -1;
}

}  // namespace msgbed::live
