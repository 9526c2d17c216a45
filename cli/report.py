"""msgbed report: one HTML page with plots of a simulated run or a sweep.

Reads RESULT_DIR/summary.json and timeseries.csv (a run) or
RESULT_DIR/sweep.csv (a sweep) and writes RESULT_DIR/report.html with the
plots inline. Usage: python3 report.py RESULT_DIR
"""
import base64
import csv
import html
import io
import json
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("msgbed report: matplotlib is missing: install python3-matplotlib", file=sys.stderr)
    sys.exit(3)


def figure_html(fig, caption):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<figure><img src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}</figcaption></figure>'


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def number(cell):
    try:
        return float(cell)
    except (TypeError, ValueError):
        return float("nan")


def numeric(cells):
    """True when every cell is a number (a swept key of plain numbers)."""
    try:
        [float(c) for c in cells]
        return True
    except ValueError:
        return False


def latency_cdfs(summary):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for flow, hist in summary.get("latency_histograms", {}).items():
        buckets = hist["buckets"]
        total = sum(c for _, c in buckets)
        if total == 0:
            continue
        xs, ys, seen = [], [], 0
        for lower_us, count in buckets:
            seen += count
            xs.append(max(lower_us, 1) / 1e3)
            ys.append(seen / total)
        ax.step(xs, ys, where="post", label=flow)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log)")
    ax.set_ylabel("share of messages")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure_html(fig, "Latency CDFs (measured window)")


def over_time(header, rows, columns, ylabel, caption, prefix=False):
    t = [number(r[0]) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for i, name in enumerate(header):
        if (prefix and any(name.startswith(c) for c in columns)) or (not prefix and name in columns):
            ax.plot(t, [number(r[i]) for r in rows], label=name)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if len(ax.get_lines()) <= 12:
        ax.legend(fontsize="small")
    return figure_html(fig, caption)


def heat_map(header, rows):
    names = [n for n in header if n.startswith("util:") or n.startswith("cpu:")]
    if not names:
        return ""
    grid = [[number(r[header.index(n)]) for r in rows] for n in names]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.5))
    image = ax.imshow(grid, aspect="auto", vmin=0, vmax=1, cmap="inferno", interpolation="nearest",
                      extent=(0.5, len(rows) + 0.5, len(names) - 0.5, -0.5))
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize="small")
    ax.set_xlabel("simulated time (s)")
    fig.colorbar(image, ax=ax, label="utilisation")
    return figure_html(fig, "Utilisation per instance (util:) and host (cpu:), per simulated second")


def run_report(directory):
    with open(os.path.join(directory, "summary.json")) as f:
        summary = json.load(f)
    header, rows = read_csv(os.path.join(directory, "timeseries.csv"))
    name = summary["scenario"]["name"]
    lat = summary["latency_ms"]
    table = "".join(
        f"<tr><td>{html.escape(flow)}</td>" + "".join(f"<td>{p.get(q)}</td>" for q in ("count", "p50", "p90", "p99", "max")) + "</tr>"
        for flow, p in lat.items())
    slo = "".join(
        f"<li>{c['flow']} {c['quantile']} &le; {c['limit_ms']} ms: {c['measured_ms']} ms, {'met' if c['met'] else 'MISSED'}</li>"
        for c in summary.get("slo", {}).get("checks", []))
    parts = [
        f"<h1>{html.escape(name)}</h1>",
        f"<p>seed {summary['scenario']['seed']}, {summary['simulated_s']} s simulated; "
        f"{summary['deliveries']['delivered']} of {summary['deliveries']['expected']} deliveries; "
        f"invariants {'hold' if summary['invariants']['ok'] else 'BROKEN'}; "
        f"{'settled' if summary['at_end']['settled'] else 'UNSETTLED (work under way at the end)'}</p>",
        "<table><tr><th>latency ms</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>" + table + "</table>",
        f"<ul>{slo}</ul>" if slo else "",
        latency_cdfs(summary),
        over_time(header, rows, ["sent", "acked", "delivered"], "per simulated second", "Throughput"),
        over_time(header, rows, ["ack_p50_ms", "ack_p99_ms", "delivered_p50_ms", "delivered_p99_ms"], "ms",
                  "Latency of what finished in each second"),
        over_time(header, rows, ["queue:"], "messages", "Queue per instance (waiting or in flight to it)", prefix=True),
        heat_map(header, rows),
    ]
    return name, parts


def sweep_report(directory):
    header, rows = read_csv(os.path.join(directory, "sweep.csv"))
    swept = header[1:header.index("finished")]
    parts = [f"<h1>{html.escape(os.path.basename(os.path.normpath(directory)))}</h1>"]
    parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>" +
                 "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>")
    p99 = header.index("send_to_delivered_p99_ms")
    deliveries = header.index("delivered")
    for key in swept:
        k = header.index(key)
        if not numeric([r[k] for r in rows]):
            continue  # values with units or lists: the table shows them
        others = [s for s in swept if s != key]
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        groups = {}
        for r in rows:
            groups.setdefault(tuple(r[header.index(o)] for o in others), []).append(r)
        for label, group in sorted(groups.items()):
            group.sort(key=lambda r: number(r[k]))
            name = ", ".join(f"{o}={v}" for o, v in zip(others, label)) or "p99"
            axes[0].plot([number(r[k]) for r in group], [number(r[p99]) for r in group], marker="o", label=name)
            axes[1].plot([number(r[k]) for r in group], [number(r[deliveries]) for r in group], marker="o", label=name)
        axes[0].set_ylabel("send→delivered p99 (ms)")
        axes[1].set_ylabel("deliveries")
        for ax in axes:
            ax.set_xlabel(key)
            ax.grid(True, alpha=0.3)
        if len(groups) <= 10:
            axes[0].legend(fontsize="small")
        parts.append(figure_html(fig, f"Scaling with {key}"))
    return os.path.basename(os.path.normpath(directory)), parts


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULT_DIR")
    directory = sys.argv[1]
    try:
        if os.path.exists(os.path.join(directory, "sweep.csv")):
            title, parts = sweep_report(directory)
        elif os.path.exists(os.path.join(directory, "summary.json")):
            title, parts = run_report(directory)
        else:
            print(f"msgbed report: {directory}: neither a run's results (summary.json) nor a sweep's (sweep.csv)",
                  file=sys.stderr)
            sys.exit(2)
    except (OSError, ValueError, KeyError, IndexError, TypeError, csv.Error) as e:
        print(f"msgbed report: {directory}: damaged or incomplete results ({type(e).__name__}: {e}); "
              "rerun the scenario to write them again", file=sys.stderr)
        sys.exit(2)
    style = "body{font-family:sans-serif;max-width:1100px;margin:auto}td,th{padding:2px 8px;text-align:right}" \
            "table{border-collapse:collapse;margin:1em 0}tr:nth-child(even){background:#f3f3f3}figure{margin:1em 0}"
    out = os.path.join(directory, "report.html")
    with open(out, "w") as f:
        f.write(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
