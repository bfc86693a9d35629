"""The WebSocket section of docs/benchmarks.md, from compare.sh's WebSocket runs.

    python3 -m reports ws WORKDIR OUT.md

Rewrites only the section between <!-- ws:begin --> and <!-- ws:end --> (placed by
reports.sections when absent). WORKDIR/results.tsv rows of kind ws_echo (reports.common),
with WORKDIR/user_ticks.tsv (compare.sh's user-space share of each run's CPU) when there;
WORKDIR/ws_params.json says how the run was made.
"""
import os

from . import sections
from .common import fmt, med, read_params, read_results, ticks_per_s, verdict

SERVERS = [("coronet_ws", "coronet `echo_server --framing websocket`"),
           ("coronet_ws_uring", "coronet, io_uring build"),
           ("node_ws", "Node.js `ws` (`bench/comparisons/node_ws_echo_server.js`)")]
SHAPES = [("64x100", "64 B x 100 conns"), ("16384x10", "16 KiB x 10 conns")]
TARGET = 2.0  # coronet against Node's ws, messages per server CPU-second (issue 19)


def load_rows(work):
    """The ws_echo rows that have a figure (a failed run has none, rather than a zero in
    the medians); with WORKDIR/user_ticks.tsv, each also has the microseconds per message
    spent in user space and in the kernel."""
    user = {}
    user_path = os.path.join(work, "user_ticks.tsv")
    if os.path.exists(user_path):
        for line in open(user_path):
            kind, server, shape, rnd, u = line.rstrip("\n").split("\t")
            user[(kind, server, shape, rnd)] = float(u)
    ticks = ticks_per_s()
    rows = []
    for r in read_results(work, lambda kind: kind == "ws_echo"):
        if r["value"] <= 0 or r["cpu"] <= 0:
            continue
        n = r["messages"]
        row = dict(server=r["server"], shape=r["shape"], rate=r["value"], per_cpu=n / r["cpu"],
                   p99=r["p99"])
        u = user.get((r["kind"], r["server"], r["shape"], r["round"]))
        if u is not None and n > 0:
            row["user_us"] = u / ticks / n * 1e6
            row["kernel_us"] = (r["cpu_ticks"] - u) / ticks / n * 1e6
        rows.append(row)
    return rows


def section(rows, params):
    def m(server, shape, key):
        return med(rows, key, server=server, shape=shape)

    lines = [
        "## WebSocket echo (RFC 6455)",
        "",
        f"Measured on {params['when']} (load average {params['load']}) by `bench/compare.sh` "
        f"(`--ws-only` for this section alone): {params['rounds']} rounds of "
        f"{params['duration']} s per server and shape, servers alternated round by round, "
        "each on one thread pinned to core 0; the client is `coronet-loadgen --mode ws` on "
        "core 1 (plain Asio, masking every frame as a browser does, checking every echo). "
        "Medians; messages per CPU-second divide the messages of a run by the server's "
        "utime+stime over it.",
        "",
        "| shape | server | msg/s | x Node | msg/CPU-s | x Node | p99 us |",
        "|---|---|---|---|---|---|---|",
    ]
    ratios = {}
    for shape, shape_name in SHAPES:
        node_rate, node_cpu = m("node_ws", shape, "rate"), m("node_ws", shape, "per_cpu")
        for server, name in SERVERS:
            if not any(r["server"] == server for r in rows):
                continue
            rate, per_cpu = m(server, shape, "rate"), m(server, shape, "per_cpu")
            r_rate = rate / node_rate if node_rate else 0.0
            r_cpu = per_cpu / node_cpu if node_cpu else 0.0
            if server == "coronet_ws":
                ratios[shape_name] = r_cpu
            lines.append(f"| {shape_name} | {name} | {fmt(rate)} | {r_rate:.2f} | {fmt(per_cpu)} | "
                         f"{r_cpu:.2f} | {m(server, shape, 'p99'):.0f} |")
    split = [r for r in rows if "user_us" in r]
    if split:
        lines += ["", "Where each server's CPU goes, per message (medians; user space and kernel "
                  "from utime and stime):", "",
                  "| shape | server | user us | kernel us | total us |", "|---|---|---|---|---|"]
        for shape, shape_name in SHAPES:
            for server, name in SERVERS:
                u, k = m(server, shape, "user_us"), m(server, shape, "kernel_us")
                if u or k:
                    lines.append(f"| {shape_name} | {name} | {u:.2f} | {k:.2f} | {u + k:.2f} |")
        node_total = m("node_ws", "64x100", "user_us") + m("node_ws", "64x100", "kernel_us")
        kernel = m("coronet_ws", "64x100", "kernel_us")
        if node_total and kernel:
            lines += ["", f"At 64 B x 100, a server that spent no CPU at all in user space but "
                      f"the kernel time coronet's socket calls take ({kernel:.2f} us per message) "
                      f"would reach {node_total / kernel:.2f}x Node.js per CPU-second: the "
                      "most any server on these system calls can reach in this shape."]
    lines += ["", "| target (issue 19) | this run | verdict |", "|---|---|---|"]
    for shape_name, r in ratios.items():
        lines.append(f"| coronet >= {TARGET:.0f}x Node.js `ws` on msg/CPU-s, {shape_name} | "
                     f"{r:.2f}x | {verdict(r >= TARGET)} |")
    for text in sections.notes("ws"):
        lines += ["", text]
    return sections.wrap("ws", lines)


def main(work, out_md):
    rows = load_rows(work)
    params = read_params(work, "ws")
    if not rows or not params:
        raise SystemExit("reports ws: no WebSocket results in " + work)
    sections.publish(out_md, "ws", section(rows, params))
