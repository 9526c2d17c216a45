# Shared by the shell tests that run deployments on loopback (sourced):
# a scratch directory, the processes started (stopped newest first at exit,
# each gone before the next, as brokers outlive the services using them),
# failure with the tail of every log, and waits that poll a condition with
# a deadline rather than sleep for a guessed time.
tmp=$(mktemp -d)
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2> /dev/null || true
    wait "${pids[i]}" 2> /dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.log; do echo "--- $f" >&2; tail -8 "$f" >&2; done
  exit 1
}
# Polls `test` (a command) every 0.1 s for up to 20 s.
await() {
  for _ in $(seq 200); do
    if eval "$1"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for: $1"
}
# N free loopback ports, chosen by the kernel, on one line.
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])' "$1"
}
