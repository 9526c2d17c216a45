#!/usr/bin/env bash
# A bot written for Telegram runs unmodified against msgbed: a deployment in
# one process on loopback with a Bot API server (botapi/0), a bot made by
# the operator command, the python-telegram-bot echo bot of docs/bots.md
# pointed at it by its base URL, and a terminal client whose user chats
# with it. Then the Bot API's errors as a plain HTTP client sees them.
# Waits poll for a condition with a deadline. Usage: bot_framework_test.sh MSGBED SOURCE_DIR
set -euo pipefail
msgbed=$1
src=$2
py=/usr/bin/python3  # Debian's, where python3-python-telegram-bot is
source "$(dirname "$0")/script_helpers.sh"

read -r p1 p2 p3 p4 p5 p6 p7 < <(free_ports 7)
cat > "$tmp/deploy.yaml" << EOC
partitions: 4
bus: {mode: mock, mock_brokers: 1}
storage: {data_dir: $tmp/data, sync: false}
instances:
  gateway/0: {client: 127.0.0.1:$p1, rpc: 127.0.0.1:$p3}
  messages/0: {rpc: 127.0.0.1:$p4}
  sync/0: {rpc: 127.0.0.1:$p5}
  auth/0: {rpc: 127.0.0.1:$p6}
  botapi/0: {client: 127.0.0.1:$p2, rpc: 127.0.0.1:$p7}
EOC
"$msgbed" provision "$tmp/deploy.yaml" --users 1 --out "$tmp/sessions" > "$tmp/provision.log" 2>&1 ||
  fail "provision: $(cat "$tmp/provision.log")"
"$msgbed" serve "$tmp/deploy.yaml" > "$tmp/serve.log" 2>&1 &
pids+=($!)
await "grep -q 'serving botapi/0' $tmp/serve.log"

"$msgbed" bot create --config "$tmp/deploy.yaml" --username echo_bot --name Echo > "$tmp/create.log" 2>&1 ||
  fail "bot create: $(cat "$tmp/create.log")"
token=$(grep -o 'token: [0-9]*:[A-Za-z0-9_-]*' "$tmp/create.log" | cut -d' ' -f2)
bot=${token%%:*}
[ -n "$bot" ] || fail "no token in: $(cat "$tmp/create.log")"

"$py" "$src/tests/bots/echo_bot.py" "$token" "http://127.0.0.1:$p2" > "$tmp/bot.log" 2>&1 &
pids+=($!)
await "grep -q 'bot @echo_bot ($bot) polling' $tmp/bot.log"

mkfifo "$tmp/alice.in"
"$msgbed" client --connect 127.0.0.1:$p1 --session "$tmp/sessions/user-1-device-1.session" \
  < "$tmp/alice.in" > "$tmp/alice.log" 2>&1 &
pids+=($!)
exec 3> "$tmp/alice.in"
await "grep -q 'up to date' $tmp/alice.log"
echo "@$bot /start" >&3
await "grep -q 'from $bot\] hello, I echo' $tmp/alice.log"
await "grep -q 'buttons: \[1 Ping\]' $tmp/alice.log"
id=$(grep -o 'hello, I echo   (id [0-9]*' "$tmp/alice.log" | grep -o '[0-9]*$')
echo "/press $id 1" >&3
await "grep -q 'the bot answered: pong to ' $tmp/alice.log"
echo "@$bot are you there?" >&3
await "grep -q 'from $bot\] echo: are you there?' $tmp/alice.log"

# The errors, as any HTTP client sees them.
"$py" - "http://127.0.0.1:$p2" "$token" << 'EOP' || fail "HTTP errors"
import json, sys, urllib.request, urllib.error
root, token = sys.argv[1], sys.argv[2]
def call(path, body=None, ctype="application/json"):
    req = urllib.request.Request(root + path, data=body, headers={"Content-Type": ctype} if body else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
bot_id = token.split(":")[0]
checks = [
    (call(f"/bot{bot_id}:wrong/getMe"), 401),
    (call(f"/bot{token}/noSuchMethod"), 404),
    (call(f"/bot{token}/sendMessage", b"{not json"), 400),
    (call(f"/bot{token}/sendMessage", b"chat_id=1&text="), 400),
    (call(f"/bot{token}/getMe"), 200),
]
for (status, body), want in checks:
    assert status == want, (status, want, body)
    assert body["ok"] == (want == 200), body
    if want != 200:
        assert body["error_code"] == want and body["description"], body
print("http errors ok")
EOP
echo "bot_framework_test: ok"
