#!/usr/bin/env bash
# Every diagram msgbed ships or writes renders with PlantUML without error:
# the sources under diagrams/src, a scenario's topology written by
# `msgbed diagram`, and a message trace from `msgbed run --trace`.
# Usage: render_diagrams.sh MSGBED SRC_DIR
set -euo pipefail
msgbed=$1
src=$2
command -v plantuml > /dev/null || { echo "FAIL: plantuml missing: run scripts/install-deps.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in" "$tmp/out"
cp "$src"/diagrams/src/*/*.puml "$tmp/in/"
"$msgbed" diagram "$src/scenarios/two-datacenters.yaml" -o "$tmp/in/written-two-datacenters.puml"
"$msgbed" diagram -o "$tmp/in/written-quickstart.puml"
"$msgbed" run -q --trace 300 --out "$tmp/run" "$src/tests/sim/small.yaml"
cp "$tmp/run/small/trace-message-300.puml" "$tmp/in/trace.puml"

status=0
for f in "$tmp"/in/*.puml; do
  name=$(basename "$f" .puml)
  mkdir -p "$tmp/out/$name"
  if ! plantuml -tsvg -failfast2 -o "$tmp/out/$name" "$f" > "$tmp/log" 2>&1; then
    echo "FAIL: $name: $(cat "$tmp/log")" >&2
    status=1
    continue
  fi
  svg=$(ls "$tmp/out/$name"/*.svg 2> /dev/null | head -1)
  if [ -z "$svg" ] || grep -qiE "syntax error|cannot find graphviz|dot executable" "$svg"; then
    echo "FAIL: $name rendered an error image" >&2
    status=1
  fi
done
[ $status = 0 ] && echo "rendered $(ls "$tmp"/in/*.puml | wc -l) diagrams"
exit $status
