// msgbed: one executable, one subcommand per job.
#include <CLI/CLI.hpp>
#include <limits>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"msgbed: a simulator and testbed for Telegram-like messenger infrastructure"};
  app.require_subcommand(1);

  msgbed::cli::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Simulate a scenario; writes <out>/<name>/summary.json and prints a table");
  run_cmd->add_option("scenario", run.scenario, "Scenario YAML (default: the embedded quickstart)")
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--out", run.out_dir, "Results directory")->capture_default_str();
  run_cmd->add_flag("-q,--quiet", run.quiet, "Write the summary file only");
  run_cmd->add_option(
      "--trace", run.trace,
      "Trace one message: N (the N-th sent), cross-box (the first from the warm-up on whose sender's and peer's "
      "boxes are on different messages instances) or cross-dc (... in different datacenters). Writes "
      "<out>/<name>/trace-message-N.puml or trace-cross-box.puml / trace-cross-dc.puml: a sequence diagram of every "
      "hop with simulated times, hosts and datacenters, queue waits and work");
  run_cmd->footer(
      "Exit status: 0 every invariant held and the run settled; 1 an invariant broke or a delivery is missing; "
      "2 bad input; 3 nothing broke but the run stopped with work under way (lengthen drain); 4 all that held, "
      "but an objective of the scenario's slo: was missed.");

  msgbed::cli::DiagramOptions diagram;
  auto* diagram_cmd =
      app.add_subcommand("diagram", "Write a scenario's topology as a PlantUML deployment diagram (readable back)");
  diagram_cmd->add_option("scenario", diagram.scenario, "Scenario YAML (default: the embedded quickstart)")
      ->check(CLI::ExistingFile);
  diagram_cmd->add_option("-o,--output", diagram.output, "Output .puml file (default: stdout)");
  diagram_cmd->footer(
      "Exit status: 0 written; 1 the output file could not be written; 2 bad input. Disks are not part of a "
      "deployment diagram: a scenario that uses the diagram gives them with topology.disk (a note says so).");

  msgbed::cli::CampaignOptions campaign;
  auto* campaign_cmd = app.add_subcommand(
      "campaign",
      "Seeded fault campaign: for each seed and fault kind, the scenario with one fault of that kind at a random "
      "time (an instance of a role or a broker crashed and restarted, a lossy link, a partition, a full or slow "
      "disk); checks every run's invariants. Writes <out>/<name>-campaign/ (a replayable "
      "scenario file per run, campaign.json); exits 1 if any run broke an invariant");
  campaign_cmd->add_option("scenario", campaign.scenario, "Base scenario YAML (default: the embedded quickstart)")
      ->check(CLI::ExistingFile);
  campaign_cmd->add_option("--seeds", campaign.seeds, "Seeds 1..N")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  campaign_cmd
      ->add_option("--kinds", campaign.kinds,
                   "Fault kinds: a role's name, broker, link, partition, disk-full, disk-slow (default: all)")
      ->delimiter(',');
  campaign_cmd->add_option("--max-downtime", campaign.max_downtime_s, "Longest a fault lasts, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0))
      ->check(CLI::Validator(
          [](std::string& v) { return v.find_first_of("nN") == std::string::npos ? "" : "not a number"; }, "NUMBER"));
  campaign_cmd->add_option("--out", campaign.out_dir, "Results directory")->capture_default_str();

  msgbed::cli::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the live services on real sockets");
  serve_cmd->add_option("config", serve.config, "Deployment YAML, e.g. deploy/local.yaml")->required();
  serve_cmd
      ->add_option("--role", serve.role,
                   "Run only these instances: a role (e.g. messages), one instance (gateway/0), or 'bus' "
                   "(the mock Kafka cluster). Default: everything")
      ->check(CLI::Validator([](std::string& v) { return v.empty() ? "must not be empty" : ""; }, "NONEMPTY"));

  msgbed::cli::SweepOptions sweep;
  auto* sweep_cmd = app.add_subcommand(
      "sweep",
      "Run a scenario once per point of its sweep: section (lists or {from, to, step} of scenario keys, e.g. "
      "workload.messages_per_second: [1000, 2000]), in parallel processes; writes <out>/<name>-sweep/ (a scenario "
      "file and results per point, sweep.csv). Exits 1 if a point broke an invariant or did not finish");
  sweep_cmd->add_option("scenario", sweep.scenario, "Scenario YAML with a sweep: section")
      ->required()
      ->check(CLI::ExistingFile);
  sweep_cmd->add_option("--jobs", sweep.jobs, "Runs at once (default: one per core)")->check(CLI::Range(1, 256));
  sweep_cmd->add_option("--out", sweep.out_dir, "Results directory")->capture_default_str();

  std::string report_dir;
  auto* report_cmd = app.add_subcommand(
      "report",
      "Write RESULT_DIR/report.html: latency CDFs, throughput, latency and queues over time and a utilisation heat "
      "map of a run (results/<name>), or the table and scaling plots of a sweep (results/<name>-sweep). Needs "
      "python3-matplotlib");
  report_cmd->add_option("result_dir", report_dir, "A run's or a sweep's result directory")->required();

  msgbed::cli::FaultOptions fault;
  auto* fault_cmd = app.add_subcommand(
      "fault",
      "Inject a fault into a running live deployment (on this machine): the same kinds as a scenario's faults, "
      "with instances for endpoints and no `at` (it starts now). E.g.\n"
      "  msgbed fault deploy/local.yaml '{for: 30s, link: [sync/0, gateway/0], drop: 0.3, jitter: 20ms}'\n"
      "  msgbed fault deploy/local.yaml '{for: 30s, partition: [[messages/0], [gateway/0, sync/0]]}'\n"
      "  msgbed fault deploy/local.yaml '{for: 30s, disk: messages/0, full: true}'\n"
      "  msgbed fault deploy/local.yaml '{for: 10s, crash: gateway/0}'   (or broker/N of a mock bus)\n"
      "Without a fault: lists those in effect. docs/faults.md has the details");
  fault_cmd->add_option("config", fault.config, "Deployment YAML of the running deployment")->required();
  fault_cmd->add_option("fault", fault.fault, "One fault, as YAML (a flow map)");
  fault_cmd->add_flag("--clear", fault.clear, "End every fault in effect")->excludes(fault_cmd->get_option("fault"));

  std::string reshape_config;
  auto* reshape_cmd = app.add_subcommand(
      "reshape",
      "Add messages instances to (or remove the highest from) a running live deployment: list them in the config, "
      "start the new instance's process (`msgbed serve CONFIG --role messages/N`; a process serving all messages "
      "instances starts it itself), then run this. Every process reaches the new instance and routes by the new "
      "count; the boxes placement gives the new instance move to it, and nothing is lost. Other changes to the "
      "config are refused. docs/deploy.md, \"Adding a messages instance\"");
  reshape_cmd->add_option("config", reshape_config, "The edited deployment YAML")->required();

  msgbed::cli::ClientOptions client;
  auto* client_cmd = app.add_subcommand(
      "client",
      "Terminal client: sign in by phone (a code by SMS; the log provider of deploy/local.yaml writes it to "
      "data/local/sms.log) or with a kept session, and chat: @<user> <text>, #<group> <text>, !<channel> <text>, "
      "/file @<user> <path>, /save <id> <path>, /sessions, /terminate <device>, /password <current|-> <new|-> [email], "
      "/push [token], secret chats (/secret <user>, /accept <chat>, /s <chat> <text>, /timer <chat> <s>, "
      "/fingerprint <chat>, /discard <chat>), /quit (type an unknown "
      "line for the full list)");
  client_cmd->add_option("--connect", client.connect, "Gateway host:port")->capture_default_str();
  client_cmd->add_option("--phone", client.phone, "Phone number to sign in with, e.g. +44 7700 900123");
  client_cmd->add_option("--ca", client.ca,
                         "TLS: the CA certificate (PEM) the gateway's must be signed by; without it, plain TCP");
  client_cmd->add_flag("--insecure", client.insecure,
                       "Allow plain TCP to a gateway on another machine (the session goes in clear text)");
  client_cmd->add_option("--session", client.session,
                         "Session file: resumed if it holds a session, written at sign-in "
                         "(default: msgbed-<phone digits>.session)");

  msgbed::cli::ProvisionOptions provision;
  auto* provision_cmd = app.add_subcommand(
      "provision",
      "Give users 1..N of a stopped live deployment accounts and sessions, written straight into its auth stores "
      "(for load tests; real users sign up by phone). Writes <out>/user-<u>-device-<d>.session for `msgbed client "
      "--session`");
  provision_cmd->add_option("config", provision.config, "Deployment YAML")->required()->check(CLI::ExistingFile);
  provision_cmd->add_option("--users", provision.users, "Users 1..N")->required()->check(CLI::Range(1, 10000000));
  provision_cmd->add_option("--devices", provision.devices, "Sessions per user")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  provision_cmd->add_option("--out", provision.out, "Directory for the session files")->required();

  msgbed::cli::BotOptions bot;
  auto* bot_cmd = app.add_subcommand(
      "bot",
      "Operate the Bot API server of a running live deployment (botapi/0's client address in the config), with the "
      "operator's key derived from the deployment secret: create a bot (prints its token), revoke a bot's token "
      "(prints the new one), show a bot");
  bot_cmd->require_subcommand(1);
  auto* bot_create = bot_cmd->add_subcommand("create", "Create a bot; prints its id, username and token");
  auto* bot_revoke = bot_cmd->add_subcommand("revoke", "Revoke a bot's token; prints the new token");
  auto* bot_show = bot_cmd->add_subcommand("show", "Show the bot with a username: its id and username");
  for (auto* sub : {bot_create, bot_revoke, bot_show}) {
    sub->add_option("--config", bot.config, "Deployment YAML of the running deployment")
        ->required()
        ->check(CLI::ExistingFile);
    sub->footer(
        "Exit status: 0 done; 1 refused by the server, or the server or the deployment secret not found; 2 "
        "bad arguments or config");
  }
  for (auto* sub : {bot_create, bot_show}) {
    sub->add_option("--username", bot.username, "The bot's username (ending in 'bot')")->required();
  }
  bot_create->add_option("--name", bot.name, "The bot's first name, as users see it (default: the username)");
  bot_create->add_flag("--reads-all-group-messages", bot.reads_all_group_messages,
                       "The bot gets every message of its groups, not only commands and replies to it");
  bot_revoke->add_option("--bot", bot.bot, "The bot's id")
      ->required()
      ->check(CLI::Validator(
          [](std::string& v) {
            const bool digits = !v.empty() && v.size() <= 19 && v.find_first_not_of("0123456789") == std::string::npos;
            return digits && v.find_first_not_of('0') != std::string::npos ? ""
                                                                           : "expected a bot id (a positive integer)";
          },
          "ID"));

  msgbed::cli::TlsInitOptions tls_init;
  auto* tls_cmd = app.add_subcommand("tls", "TLS certificates for device connections (docs/deploy.md, \"TLS\")");
  tls_cmd->require_subcommand(1);
  auto* tls_init_cmd = tls_cmd->add_subcommand(
      "init", "Write a development CA and a server certificate it signed: DIR/ca.pem, ca.key, server.pem, server.key");
  tls_init_cmd->add_option("dir", tls_init.dir, "Directory to write them to")->required();
  tls_init_cmd->add_option("--host", tls_init.hosts, "Names and addresses the server certificate is for")
      ->capture_default_str();
  tls_init_cmd->add_option("--days", tls_init.days, "Days the certificates are valid, 1 to 3650")
      ->capture_default_str();
  tls_init_cmd->add_flag("--force", tls_init.force, "Replace certificates and keys already in DIR");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*run_cmd) return msgbed::cli::Run(run);
  if (*diagram_cmd) return msgbed::cli::Diagram(diagram);
  if (*serve_cmd) return msgbed::cli::Serve(serve);
  if (*campaign_cmd) return msgbed::cli::Campaign(campaign);
  if (*sweep_cmd) return msgbed::cli::Sweep(sweep);
  if (*report_cmd) return msgbed::cli::Report(report_dir);
  if (*fault_cmd) {
    fault.fault_given = fault_cmd->count("fault") > 0;
    return msgbed::cli::Fault(fault);
  }
  if (*provision_cmd) return msgbed::cli::Provision(provision);
  if (*reshape_cmd) return msgbed::cli::Reshape(reshape_config);
  if (*tls_cmd) return msgbed::cli::TlsInit(tls_init);
  if (*bot_cmd) {
    bot.action = *bot_create ? "create" : *bot_revoke ? "revoke" : "show";
    return msgbed::cli::Bot(bot);
  }
  return msgbed::cli::Client(client);
}
