#include "live/postgres_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "live/free_ports.h"

extern char** environ;

namespace msgbed::live {

namespace {

constexpr auto kReadyDeadline = std::chrono::seconds(60);

std::string Bin(const std::string& program) { return std::string(MSGBED_PG_BIN) + "/" + program; }

std::string Slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

PostgresServer::PostgresServer() {
  std::string templ = (std::filesystem::temp_directory_path() / "msgbed-pg-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
  dir_ = templ;
  try {
    Create();
  } catch (const std::exception&) {
    Remove();
    throw;
  }
}

PostgresServer::~PostgresServer() { Remove(); }

void PostgresServer::Create() {
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("running as root, and there is no postgres user to run the server");
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    if (::chown(dir_.c_str(), uid_, gid_) != 0) throw std::runtime_error("cannot chown " + dir_.string());
  }
  port_ = FreePorts(1)[0];
  Run({Bin("initdb"), "-D", (dir_ / "data").string(), "-U", "msgbed", "-A", "trust", "-E", "UTF8", "--locale=C",
       "--no-sync"});
  Start();
  PGconn* c = PQconnectdb(("host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=msgbed").c_str());
  PGresult* r = PQexec(c, "CREATE DATABASE msgbed");
  const bool created = PQresultStatus(r) == PGRES_COMMAND_OK;
  const std::string why = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!created) throw std::runtime_error("CREATE DATABASE msgbed: " + why);
}

void PostgresServer::Remove() {
  try {
    Stop();
  } catch (const std::exception&) {  // not running
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=msgbed user=msgbed";
}

std::string PostgresServer::ServerOptions() const {
  return "-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -k " + dir_.string();
}

void PostgresServer::Start() {
  Run({Bin("pg_ctl"), "-D", (dir_ / "data").string(), "-l", (dir_ / "server.log").string(), "-o", ServerOptions(), "-W",
       "start"});
  WaitReady();
}

void PostgresServer::Stop() { Run({Bin("pg_ctl"), "-D", (dir_ / "data").string(), "-m", "immediate", "stop"}); }

void PostgresServer::Restart() {
  Run({Bin("pg_ctl"), "-D", (dir_ / "data").string(), "-l", (dir_ / "server.log").string(), "-o", ServerOptions(), "-m",
       "fast", "-W", "restart"});
  WaitReady();
}

void PostgresServer::WaitReady() const {
  const std::string info = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=msgbed";
  const auto end = std::chrono::steady_clock::now() + kReadyDeadline;
  while (PQping(info.c_str()) != PQPING_OK) {
    if (std::chrono::steady_clock::now() > end) {
      throw std::runtime_error("postgres did not accept connections on port " + std::to_string(port_) + ":\n" +
                               Slurp(dir_ / "server.log"));
    }
    // PQping returns at once while nothing listens: pace the polling.
    ::usleep(20'000);
  }
}

void PostgresServer::Run(const std::vector<std::string>& argv) const {
  std::vector<std::string> full;
  if (uid_ != 0) full = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (std::string& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string log = (dir_ / "command.log").string();
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &files, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  int status = 0;
  if (spawned != 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(argv.front() + " " + argv.back() + " failed:\n" + Slurp(log));
  }
}

}  // namespace msgbed::live
