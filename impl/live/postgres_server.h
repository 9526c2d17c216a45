// PostgresServer: a throwaway PostgreSQL server for tests and benches, never
// for msgbed itself. initdb into a fresh temporary directory, started on a
// free loopback port (its socket in that directory too) with one database,
// `msgbed`, owned by user `msgbed` (trust authentication); stopped
// (immediately) and removed with the object. initdb refuses to run as root:
// as root, the server's programs run as the `postgres` system user, which
// owns the directory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace msgbed::live {

class PostgresServer {
 public:
  // Started and accepting connections; throws std::runtime_error with the
  // failing step's output otherwise.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // libpq's conninfo for the msgbed database.
  std::string conninfo() const;

  void Stop();   // pg_ctl stop -m immediate: as a crash
  void Start();  // again, after Stop; ready when it returns
  // pg_ctl restart -m fast: every connection is ended; ready when it returns.
  void Restart();

 private:
  // Owns dir_, runs initdb, starts the server, creates the database.
  void Create();
  // Stops the server if it runs; removes dir_.
  void Remove();
  // Runs a server program (as `postgres` when root) to its end; throws with
  // its output unless it exits 0.
  void Run(const std::vector<std::string>& argv) const;
  void WaitReady() const;
  std::string ServerOptions() const;

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  uid_t uid_ = 0;  // of the server's owner; 0: this process's own
  gid_t gid_ = 0;
};

}  // namespace msgbed::live
