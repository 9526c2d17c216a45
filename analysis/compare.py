#!/usr/bin/env python3
"""Compare simulated runs side by side.

Usage: analysis/compare.py results/a/summary.json results/b/summary.json ...

Prints one column per run: load, deliveries, latency percentiles and the
busiest host, so a change of topology or workload reads at a glance.
Standard library only.
"""
import json
import sys

ROWS = [
    ("messages sent", lambda s: s["messages"]["sent"]),
    ("acked", lambda s: s["messages"]["acked"]),
    ("deliveries", lambda s: s["deliveries"]["delivered"]),
    ("missing", lambda s: s["deliveries"]["missing"]),
    ("devices in sync", lambda s: f'{s["devices"]["in_sync_with_box"]}/{s["devices"]["total"]}'),
    ("send->ack p50 ms", lambda s: s["latency_ms"]["send_to_ack"]["p50"]),
    ("send->ack p99 ms", lambda s: s["latency_ms"]["send_to_ack"]["p99"]),
    ("delivered p50 ms", lambda s: s["latency_ms"]["send_to_delivered"]["p50"]),
    ("delivered p99 ms", lambda s: s["latency_ms"]["send_to_delivered"]["p99"]),
    ("catch-up p99 ms", lambda s: s["latency_ms"]["offline_catch_up"]["p99"]),
    ("busiest host", lambda s: busiest(s["cpu_utilisation"])),
    ("kafka records", lambda s: s["kafka"]["records"]),
]


def busiest(util):
    if not util:
        return "-"
    host = max(util, key=lambda h: util[h])
    return f"{host} {util[host] * 100:.1f}%"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"compare.py: {path}: {e}")


def main(paths):
    if not paths:
        sys.exit(__doc__)
    runs = [load(p) for p in paths]
    names = [f'{r["scenario"]["name"]} (seed {r["scenario"]["seed"]})' for r in runs]
    table = [("", names)] + [(label, [str(get(r)) for r in runs]) for label, get in ROWS]
    width0 = max(len(label) for label, _ in table)
    widths = [max(len(row[1][i]) for row in table) for i in range(len(runs))]
    for label, cells in table:
        print(label.ljust(width0), "  ".join(c.rjust(w) for c, w in zip(cells, widths)))


if __name__ == "__main__":
    main(sys.argv[1:])
