#!/usr/bin/env bash
# The msgbed command line: exit codes, error messages, the result file and
# its determinism through the real binary. Usage: cli_test.sh MSGBED SRC_DIR
set -euo pipefail
msgbed=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$msgbed" --help | grep -q "run" || fail "--help lists no run"
"$msgbed" run --help | grep -q -- "--out" || fail "run --help lists no --out"

# A bad scenario: exit 2, and the message names file, line and key.
sed 's/partitions: 6/partitions: -6/' "$src/tests/sim/small.yaml" > "$tmp/bad.yaml"
set +e
"$msgbed" run "$tmp/bad.yaml" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "bad scenario exit code $rc, want 2"
grep -q "bad.yaml:20: key 'topology.kafka.partitions'" "$tmp/err" || fail "error message: $(cat "$tmp/err")"

# A bad deployment config: exit 2 as well.
printf 'instances:\n  gateway/0: {client: 127.0.0.1:0}\n' > "$tmp/bad-deploy.yaml"
set +e
"$msgbed" serve "$tmp/bad-deploy.yaml" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "bad config exit code $rc, want 2"
grep -q "bad-deploy.yaml:2: key 'instances.gateway/0.rpc'" "$tmp/err" || fail "config error: $(cat "$tmp/err")"

# --role naming nothing in the config: exit 2 before anything starts.
for role in echo messages/7 ''; do
  set +e
  "$msgbed" serve "$src/deploy/local.yaml" --role "$role" 2> "$tmp/err"; rc=$?
  set -e
  [ "$rc" = 2 ] || fail "serve --role '$role' exit code $rc, want 2"
done

# msgbed bot: argument errors and a config without a botapi instance exit 2
# before anything is reached.
expect_bot_error() {  # expected-text, then the arguments
  local want=$1; shift
  set +e
  "$msgbed" bot "$@" > /dev/null 2> "$tmp/err"; rc=$?
  set -e
  [ "$rc" = 2 ] || fail "bot $*: exit code $rc, want 2: $(cat "$tmp/err")"
  grep -q -- "$want" "$tmp/err" || fail "bot $*: $(cat "$tmp/err")"
}
expect_bot_error "A subcommand is required"
expect_bot_error "--config is required" create --username news_bot
expect_bot_error "--username is required" create --config "$src/deploy/local.yaml"
expect_bot_error "--username is required" show --config "$src/deploy/local.yaml"
expect_bot_error "--bot is required" revoke --config "$src/deploy/local.yaml"
expect_bot_error "expected a bot id" revoke --config "$src/deploy/local.yaml" --bot 0
grep -v "botapi/0" "$src/deploy/local.yaml" > "$tmp/no-bots.yaml"
expect_bot_error "msgbed bot: no botapi instance in $tmp/no-bots.yaml" \
  create --config "$tmp/no-bots.yaml" --username news_bot
expect_bot_error "bad-deploy.yaml:2: key 'instances.gateway/0.rpc'" show --config "$tmp/bad-deploy.yaml" --username a_bot
"$msgbed" bot create --help | grep -q -- "--reads-all-group-messages" || fail "bot create --help"

# TLS: a session goes to another machine over plain TCP only with
# --insecure; tls init writes once, then refuses to replace without --force.
set +e
"$msgbed" client --connect 192.0.2.1:7400 --phone "+44 7700 900123" --session "$tmp/x.session" > /dev/null 2> "$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "plain client to another machine: exit code $rc, want 2"
grep -q "is not this machine: give --ca" "$tmp/err" || fail "plain client: $(cat "$tmp/err")"
"$msgbed" tls init "$tmp/certs" > "$tmp/out" || fail "tls init: $(cat "$tmp/out")"
[ "$(stat -c %a "$tmp/certs/server.key")" = 600 ] || fail "server.key is not mode 600"
set +e
"$msgbed" tls init "$tmp/certs" > /dev/null 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "it exists (give --force" "$tmp/err" || fail "tls init twice: $rc $(cat "$tmp/err")"
"$msgbed" tls init "$tmp/certs" --force > /dev/null || fail "tls init --force"
set +e
"$msgbed" tls init "$tmp/certs2" --host "a,DNS:evil.com" > /dev/null 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "neither an IP address nor a DNS name" "$tmp/err" || fail "tls init --host: $(cat "$tmp/err")"

# reshape with no deployment on that data_dir: exit 1, and nothing is
# written there (found by a hostile tester: exit 0, and a new directory).
sed "s|data_dir: data/local|data_dir: $tmp/nobody|" "$src/deploy/local.yaml" > "$tmp/nobody.yaml"
set +e
"$msgbed" reshape "$tmp/nobody.yaml" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "reshape with nothing running: exit code $rc, want 1"
grep -q "no deployment keeps its data in" "$tmp/err" || fail "reshape error: $(cat "$tmp/err")"
[ ! -e "$tmp/nobody" ] || fail "reshape created the data directory of a deployment that does not exist"

# A run whose drain is too short for its load: exit 3 and "unsettled", not
# exit 1 and "missing" as if messages were lost (found by the simulator issue).
cp "$src/tests/sim/small.yaml" "$tmp/short.yaml"
printf 'costs: {messages.SendMessage: 20ms}\ninstances: {messages: {queue_limit: 3}}\n' >> "$tmp/short.yaml"
set +e
"$msgbed" run "$tmp/short.yaml" --out "$tmp/short" > "$tmp/out" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 3 ] || fail "short drain exit code $rc, want 3: $(cat "$tmp/out" "$tmp/err")"
grep -q "UNSETTLED" "$tmp/out" || fail "short drain not reported: $(cat "$tmp/out")"
grep -q "missing 0, not yet delivered" "$tmp/out" || fail "short drain counted as missing: $(cat "$tmp/out")"
grep -q "lengthen drain" "$tmp/err" || fail "no advice on a short drain: $(cat "$tmp/err")"

# A gateway connection cap in the way is pointed out (found writing the
# capacity-planning doc: 170,000 devices were refused and only counters said so).
cp "$src/tests/sim/small.yaml" "$tmp/cap.yaml"
printf 'gateway: {max_connections: 100}\n' >> "$tmp/cap.yaml"
set +e
"$msgbed" run "$tmp/cap.yaml" --out "$tmp/cap" > "$tmp/out" 2>&1
set -e
grep -q "WARNING    gateways refused [0-9]* connections over their cap" "$tmp/out" || fail "cap warning: $(cat "$tmp/out")"

# Devices still connecting when the load ends are pointed out: they are
# offered nothing, and a ramp longer than the run is usually a typo.
sed 's/connect_ramp: 500ms/connect_ramp: 60s/' "$src/tests/sim/small.yaml" > "$tmp/ramp.yaml"
set +e
"$msgbed" run "$tmp/ramp.yaml" --out "$tmp/ramp" > "$tmp/out" 2>&1
set -e
grep -q "WARNING    connect_ramp 60 s is longer than duration" "$tmp/out" || fail "ramp warning: $(cat "$tmp/out")"
python3 -c 'import json, sys; w = json.load(open(sys.argv[1]))["warnings"]; assert any("connect_ramp 60 s" in x for x in w), w' \
  "$(ls -d "$tmp"/ramp/*/)summary.json" || fail "no ramp warning in summary.json"

# A copy of a scenario that kept its name must not overwrite the original's
# results (found by the simulator issue): exit 2, naming both.
cp "$src/tests/sim/small.yaml" "$tmp/original.yaml"
cp "$src/tests/sim/small.yaml" "$tmp/copy.yaml"
"$msgbed" run -q "$tmp/original.yaml" --out "$tmp/same" || fail "original run failed"
"$msgbed" run -q "$tmp/original.yaml" --out "$tmp/same" || fail "a scenario cannot rerun into its own results"
set +e
"$msgbed" run -q "$tmp/copy.yaml" --out "$tmp/same" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "copied scenario exit code $rc, want 2"
grep -q "copy.yaml: key 'name': 'small' is also the name of .*original.yaml" "$tmp/err" || fail "copy: $(cat "$tmp/err")"
mv "$tmp/original.yaml" "$tmp/moved.yaml"
"$msgbed" run -q "$tmp/moved.yaml" --out "$tmp/same" || fail "the claim of a file that is gone should lapse"

# A workload that cannot fit in memory is refused up front with an
# estimate (it used to die of std::bad_alloc after 11 s).
sed 's/users: 150/users: 1000000000/' "$src/tests/sim/small.yaml" > "$tmp/huge.yaml"
set +e
"$msgbed" run -q "$tmp/huge.yaml" --out "$tmp/huge" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "huge workload exit code $rc, want 2"
grep -q "huge.yaml:23: key 'workload': this run needs an estimated .* GB of memory (3e+09 devices" "$tmp/err" \
  || fail "huge workload: $(cat "$tmp/err")"

# Latency objectives: a missed one is exit 4 and says so; met ones exit 0.
cp "$src/tests/sim/small.yaml" "$tmp/slo.yaml"
printf 'slo:\n  send_to_delivered: {p99: 10s}\n  send_to_ack: {p50: 1ms}\n' >> "$tmp/slo.yaml"
set +e
"$msgbed" run "$tmp/slo.yaml" --out "$tmp/slo" > "$tmp/out" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 4 ] || fail "missed SLO exit code $rc, want 4"
grep -q "SLO        send_to_ack p50 <= 1.000 ms: .* MISSED" "$tmp/out" || fail "SLO table: $(cat "$tmp/out")"
grep -q "send_to_delivered p99 <= 10000.000 ms: .*, met" "$tmp/out" || fail "SLO table: $(cat "$tmp/out")"
sed -i 's/p50: 1ms/p50: 10s/' "$tmp/slo.yaml"
"$msgbed" run -q "$tmp/slo.yaml" --out "$tmp/slo" || fail "met SLOs exit code $?"

# A sweep: one run per point in parallel processes, a CSV row per point,
# and each point's scenario replayable with msgbed run.
cp "$src/tests/sim/small.yaml" "$tmp/sweep.yaml"
printf 'sweep:\n  workload.messages_per_second: [100, 200, 300]\n' >> "$tmp/sweep.yaml"
"$msgbed" sweep "$tmp/sweep.yaml" --jobs 2 --out "$tmp/sweep" > "$tmp/out" || fail "sweep failed: $(cat "$tmp/out")"
[ "$(wc -l < "$tmp/sweep/small-sweep/sweep.csv")" = 4 ] || fail "sweep.csv: $(cat "$tmp/sweep/small-sweep/sweep.csv")"
grep -q "^small-3,300,true,true,true,true," "$tmp/sweep/small-sweep/sweep.csv" || fail "sweep row: $(cat "$tmp/sweep/small-sweep/sweep.csv")"
"$msgbed" run -q "$tmp/sweep/small-sweep/small-2.yaml" --out "$tmp/replay" || fail "a sweep point does not replay"
cmp "$tmp/replay/small-2/summary.json" "$tmp/sweep/small-sweep/small-2/summary.json" || fail "replay differs"
set +e
"$msgbed" run "$tmp/sweep.yaml" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "key 'sweep': a sweep runs with \`msgbed sweep\`" "$tmp/err" || fail "run of a sweep: $(cat "$tmp/err")"

# Reports: an HTML page with plots for a run and for a sweep; a directory
# that holds neither is refused.
"$msgbed" report "$tmp/sweep/small-sweep" > "$tmp/out" || fail "sweep report: $(cat "$tmp/out")"
grep -q "<img src=\"data:image/png;base64," "$tmp/sweep/small-sweep/report.html" || fail "sweep report has no plot"
"$msgbed" report "$tmp/sweep/small-sweep/small-1" > "$tmp/out" || fail "run report: $(cat "$tmp/out")"
[ "$(grep -o "<img" "$tmp/sweep/small-sweep/small-1/report.html" | wc -l)" = 5 ] || fail "run report plots"
set +e
"$msgbed" report "$tmp" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "report of a non-result directory: exit $rc, want 2"
mkdir -p "$tmp/damaged" && echo '{' > "$tmp/damaged/summary.json"
set +e
"$msgbed" report "$tmp/damaged" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "damaged or incomplete results" "$tmp/err" || fail "damaged results: exit $rc, $(cat "$tmp/err")"

# A copied sweep that kept its name is refused like a copied run.
cp "$tmp/sweep.yaml" "$tmp/sweep-copy.yaml"
set +e
"$msgbed" sweep "$tmp/sweep-copy.yaml" --out "$tmp/sweep" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "is also the name of .*sweep.yaml" "$tmp/err" || fail "copied sweep: exit $rc, $(cat "$tmp/err")"

# The embedded quickstart, twice: same bytes.
"$msgbed" run --out "$tmp/a" > "$tmp/out" || fail "quickstart run failed"
grep -q "missing 0" "$tmp/out" || fail "quickstart lost messages: $(cat "$tmp/out")"
"$msgbed" run -q --out "$tmp/b" || fail "second quickstart run failed"
cmp "$tmp/a/quickstart/summary.json" "$tmp/b/quickstart/summary.json" || fail "summary.json differs between runs"
# The analysis tools read it.
python3 "$src/analysis/compare.py" "$tmp/a/quickstart/summary.json" > "$tmp/compare" || fail "compare.py failed"
grep -q "devices in sync *4000/4000" "$tmp/compare" || fail "compare.py output: $(cat "$tmp/compare")"
# A small fault campaign: every fault kind (each role and the broker crashed
# and restarted, a lossy link, a partition, a full and a slow disk), two
# seeds, no invariant broken; a run replays from its file to the same bytes.
"$msgbed" campaign "$src/tests/sim/small.yaml" --seeds 2 --out "$tmp/camp" > "$tmp/camp.out" ||
  fail "campaign broke an invariant: $(cat "$tmp/camp.out")"
grep -q "18 runs, 0 broken" "$tmp/camp.out" || fail "campaign output: $(cat "$tmp/camp.out")"
for run in small-messages-2 small-link-2; do
  "$msgbed" run -q "$tmp/camp/small-campaign/$run.yaml" --out "$tmp/replay" || fail "replay of $run failed"
  cmp "$tmp/camp/small-campaign/$run/summary.json" "$tmp/replay/$run/summary.json" ||
    fail "campaign run $run does not replay to the same bytes"
done
# Found by a hostile tester: a campaign over a scenario that adds an
# instance (scale:) drew faults on it before it joined and stopped with a
# bad-input error on its own run file. Faults go to instances there from the start.
{ cat "$src/tests/sim/small.yaml"; printf 'scale: [{at: 3900ms, add: messages, on: gw-1}]\n'; } > "$tmp/grow.yaml"
"$msgbed" campaign "$tmp/grow.yaml" --seeds 3 --kinds messages disk-full --out "$tmp/camp" > "$tmp/camp.out" 2>&1 ||
  fail "campaign with scale: $(cat "$tmp/camp.out")"
grep -q "6 runs, 0 broken" "$tmp/camp.out" || fail "campaign with scale: output: $(cat "$tmp/camp.out")"
! grep -q "messages/3" "$tmp/camp.out" || fail "campaign faulted the joiner: $(cat "$tmp/camp.out")"
# Found by a hostile tester: disk faults went to instances that keep
# nothing on disk. With disks modelled, they go to instances on them.
"$msgbed" campaign "$src/scenarios/storage-tier.yaml" --seeds 2 --kinds disk-full --out "$tmp/camp" > "$tmp/camp.out" 2>&1 ||
  fail "campaign on the store tier: $(cat "$tmp/camp.out")"
[ "$(grep -c ': store/[0-9] disk full' "$tmp/camp.out")" = 2 ] || fail "disk faults off the disks: $(cat "$tmp/camp.out")"

set +e
"$msgbed" campaign "$src/tests/sim/small.yaml" --kinds bus --out "$tmp/camp" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "campaign with an unknown kind exit code $rc"
grep -q "kinds: no fault kind 'bus' for this scenario (known: auth, gateway, messages, sync, broker, link" "$tmp/err" || fail "campaign error: $(cat "$tmp/err")"
# A trace of a message the run never sent is an error, not an empty file.
set +e
"$msgbed" run -q "$src/tests/sim/small.yaml" --trace 99999999 --out "$tmp/trace" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "--trace past the last message: exit code $rc"
grep -q "the run sent only" "$tmp/err" || fail "--trace past the last message: $(cat "$tmp/err")"
[ ! -e "$tmp/trace/small/trace-message-99999999.puml" ] || fail "an empty trace was written"
# Found by a hostile tester: msgbed diagram dropped a host's disk without
# a word, and the diagram's scenario ran a different deployment.
{ cat "$src/tests/sim/small.yaml"; } | sed 's/    - {name: app-1, cores: 4, speed: 1Gf}/    - {name: app-1, cores: 4, speed: 1Gf, disk: {read: 100MBps, write: 10MBps}}/' > "$tmp/disk.yaml"
grep -q "disk: {read" "$tmp/disk.yaml" || fail "disk.yaml not made"
"$msgbed" diagram "$tmp/disk.yaml" -o "$tmp/disk.puml" 2> "$tmp/err" || fail "diagram with a disk: $(cat "$tmp/err")"
grep -q "host 'app-1' has a disk model, which a deployment diagram cannot hold" "$tmp/err" || fail "no disk note: $(cat "$tmp/err")"
"$msgbed" diagram "$src/tests/sim/small.yaml" -o "$tmp/plain.puml" 2> "$tmp/err"
[ ! -s "$tmp/err" ] || fail "a note without disks: $(cat "$tmp/err")"
echo "cli ok"
