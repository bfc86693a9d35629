#!/usr/bin/env python3
"""The WebSocket section of docs/benchmarks.md, from compare.sh's raw results.

usage: report_ws.py RESULTS.tsv TICKS_PER_S WORKDIR OUT.md

Rewrites only the section between <!-- ws:begin --> and <!-- ws:end --> (placed by
bench/report_sections.py when absent). RESULTS.tsv rows of kind ws_echo (compare.sh's
record): server shape round messages/s messages cpu_ticks p99_us. WORKDIR/ws_params.json
says how the run was made.
"""
import json
import os
import statistics
import sys

import report_sections as sections

SERVERS = [("coronet_ws", "coronet `echo_server --framing websocket`"),
           ("coronet_ws_uring", "coronet, io_uring build"),
           ("node_ws", "Node.js `ws` (`bench/node_ws_echo_server.js`)")]
SHAPES = [("64x100", "64 B x 100 conns"), ("16384x10", "16 KiB x 10 conns")]
TARGET = 2.0  # coronet against Node's ws, messages per server CPU-second (issue 19)


def load_rows(path, ticks):
    """The ws_echo rows; with compare.sh's user_ticks.tsv beside RESULTS.tsv, each row
    also has the microseconds per message spent in user space and in the kernel."""
    user = {}
    user_path = os.path.join(os.path.dirname(path), "user_ticks.tsv")
    if os.path.exists(user_path):
        for line in open(user_path):
            kind, server, shape, rnd, u = line.rstrip("\n").split("\t")
            user[(kind, server, shape, rnd)] = float(u)
    rows = []
    with open(path) as f:
        for line in f:
            kind, server, shape, rnd, value, messages, cpu, p99 = line.rstrip("\n").split("\t")
            if kind == "ws_echo":
                cpu_s, n = float(cpu) / ticks, float(messages)
                if float(value) <= 0 or cpu_s <= 0:
                    continue  # a failed run: no figure, rather than a zero in the medians
                row = dict(server=server, shape=shape, rate=float(value), per_cpu=n / cpu_s,
                           p99=float(p99))
                u = user.get((kind, server, shape, rnd))
                if u is not None and n > 0:
                    row["user_us"] = u / ticks / n * 1e6
                    row["kernel_us"] = (float(cpu) - u) / ticks / n * 1e6
                rows.append(row)
    return rows


fmt = sections.fmt


def section(rows, params):
    def med(server, shape, key):
        v = [r[key] for r in rows if r["server"] == server and r["shape"] == shape and key in r]
        return statistics.median(v) if v else 0.0

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
        node_rate, node_cpu = med("node_ws", shape, "rate"), med("node_ws", shape, "per_cpu")
        for server, name in SERVERS:
            if not any(r["server"] == server for r in rows):
                continue
            rate, per_cpu = med(server, shape, "rate"), med(server, shape, "per_cpu")
            r_rate = rate / node_rate if node_rate else 0.0
            r_cpu = per_cpu / node_cpu if node_cpu else 0.0
            if server == "coronet_ws":
                ratios[shape_name] = r_cpu
            lines.append(f"| {shape_name} | {name} | {fmt(rate)} | {r_rate:.2f} | {fmt(per_cpu)} | "
                         f"{r_cpu:.2f} | {med(server, shape, 'p99'):.0f} |")
    split = [r for r in rows if "user_us" in r]
    if split:
        lines += ["", "Where each server's CPU goes, per message (medians; user space and kernel "
                  "from utime and stime):", "",
                  "| shape | server | user us | kernel us | total us |", "|---|---|---|---|---|"]
        for shape, shape_name in SHAPES:
            for server, name in SERVERS:
                u, k = med(server, shape, "user_us"), med(server, shape, "kernel_us")
                if u or k:
                    lines.append(f"| {shape_name} | {name} | {u:.2f} | {k:.2f} | {u + k:.2f} |")
        node_total = med("node_ws", "64x100", "user_us") + med("node_ws", "64x100", "kernel_us")
        kernel = med("coronet_ws", "64x100", "kernel_us")
        if node_total and kernel:
            lines += ["", f"At 64 B x 100, a server that spent no CPU at all in user space but "
                      f"the kernel time coronet's socket calls take ({kernel:.2f} us per message) "
                      f"would reach {node_total / kernel:.2f}x Node.js per CPU-second: the "
                      "most any server on these system calls can reach in this shape."]
    lines += ["", "| target (issue 19) | this run | verdict |", "|---|---|---|"]
    for shape_name, r in ratios.items():
        verdict = "met" if r >= TARGET else "**missed**"
        lines.append(f"| coronet >= {TARGET:.0f}x Node.js `ws` on msg/CPU-s, {shape_name} | "
                     f"{r:.2f}x | {verdict} |")
    for text in sections.notes("ws"):
        lines += ["", text]
    return sections.wrap("ws", lines)


def main():
    results, ticks, work, out_md = sys.argv[1:5]
    rows = load_rows(results, float(ticks))
    if not rows:
        sys.exit("report_ws.py: no WebSocket results in " + results)
    params = json.load(open(os.path.join(work, "ws_params.json")))
    block = section(rows, params)
    sections.publish(out_md, "ws", block)


if __name__ == "__main__":
    main()
