#!/usr/bin/env python3
"""The unpinned section of docs/benchmarks.md: echo and kv run again with no taskset, so
that every target is checked in a second placement (the scheduler's own).

usage: report_unpinned.py RESULTS.tsv TICKS_PER_S WORKDIR OUT.md

RESULTS.tsv rows of kinds echo_unpinned and kv_unpinned (compare.sh's record);
WORKDIR/unpinned_params.json says how the run was made. Rewrites only the section
between <!-- unpinned:begin --> and <!-- unpinned:end -->.
"""
import json
import os
import statistics
import sys

import report_sections as sections

ECHO = [("asio", "hand-written Asio (floor)"), ("coronet_raw", "coronet echo raw"),
        ("coronet_line", "coronet echo line"), ("coronet_length", "coronet echo length"),
        ("coronet_raw_uring", "coronet echo raw (io_uring)"),
        ("coronet_line_uring", "coronet echo line (io_uring)"),
        ("coronet_length_uring", "coronet echo length (io_uring)"), ("node", "Node.js net")]
SHAPES = [("64x1", "64 B x 1 conn"), ("64x100", "64 B x 100 conns"),
          ("16384x10", "16 KiB x 10 conns")]
KV = [("kv", "kv_server"), ("kv_uring", "kv_server (io_uring)")]
TESTS = ["ping_inline", "ping_mbulk", "set", "get", "incr"]


def load_rows(path, ticks):
    rows = []
    for line in open(path):
        kind, server, shape, rnd, value, messages, cpu, p99 = line.rstrip("\n").split("\t")
        if kind in ("echo_unpinned", "kv_unpinned"):
            cpu_s = float(cpu) / ticks
            rows.append(dict(kind=kind, server=server, shape=shape, rate=float(value),
                             per_cpu=float(messages) / cpu_s if cpu_s > 0 and float(value) > 0 else None))
    return rows


def section(rows, params):
    def med(kind, server, shape, key):
        v = [r[key] for r in rows if r["kind"] == kind and r["server"] == server
             and r["shape"] == shape and r[key] is not None]
        return statistics.median(v) if v else 0.0

    def ratio(a, b):
        return a / b if b else 0.0

    present = {r["server"] for r in rows}
    lines = ["## Unpinned: the same loads with no core placement", "",
             f"Measured on {params['when']} (load average {params['load']}) by `bench/compare.sh` "
             f"(`--unpinned-only` for this section alone): the echo and kv loads above, "
             f"{params['rounds']} rounds, with neither servers nor clients pinned (no `taskset`): "
             "the scheduler places them, as it would in production. Ratios are against the "
             "hand-written floor (echo) and redis-server (kv) of this same run.", "",
             "| shape | server | msg/s x Asio | msg/CPU-s x Asio |", "|---|---|---|---|"]
    echo_ratio = {}
    for shape, shape_name in SHAPES:
        base_rate, base_cpu = med("echo_unpinned", "asio", shape, "rate"), med("echo_unpinned", "asio", shape, "per_cpu")
        for server, name in ECHO:
            if server not in present or server == "asio":
                continue
            r = (ratio(med("echo_unpinned", server, shape, "rate"), base_rate),
                 ratio(med("echo_unpinned", server, shape, "per_cpu"), base_cpu))
            echo_ratio[(server, shape)] = r
            lines.append(f"| {shape_name} | {name} | {r[0]:.2f} | {r[1]:.2f} |")
    lines += ["", "| test | -P | server | req/s x redis | req/CPU-s x redis |", "|---|---|---|---|---|"]
    kv_ratio = {}
    for p in (1, 16):
        for t in TESTS:
            shape = f"{t}_P{p}"
            base_rate, base_cpu = med("kv_unpinned", "redis", shape, "rate"), med("kv_unpinned", "redis", shape, "per_cpu")
            for server, name in KV:
                if server not in present:
                    continue
                r = (ratio(med("kv_unpinned", server, shape, "rate"), base_rate),
                     ratio(med("kv_unpinned", server, shape, "per_cpu"), base_cpu))
                kv_ratio[(server, shape)] = r
                lines.append(f"| {t} | {p} | {name} | {r[0]:.2f} | {r[1]:.2f} |")
    lines += ["", "| target (issue 18), unpinned | this run | verdict |", "|---|---|---|"]

    def verdict(ok):
        return "met" if ok else "**missed**"

    for server, name in ECHO:
        if not server.startswith("coronet") or server not in present:
            continue
        worst = min(min(echo_ratio[(server, s)]) for s, _ in SHAPES)
        at64 = echo_ratio[(server, "64x100")][1]
        lines.append(f"| {name} >= 1.0x Asio, both figures, every shape | worst {worst:.3f} | {verdict(worst >= 1.0)} |")
        lines.append(f"| {name} >= 1.10x Asio msg/CPU-s at 64 B x 100 | {at64:.3f} | {verdict(at64 >= 1.10)} |")
    for server, name in KV:
        got = [min(v) for k, v in kv_ratio.items() if k[0] == server]
        if got:
            lines.append(f"| {name} >= 1.0x redis-server, both figures, every test | worst {min(got):.3f} | "
                         f"{verdict(min(got) >= 1.0)} |")
    return sections.wrap("unpinned", lines)


def main():
    results, ticks, work, out_md = sys.argv[1:5]
    rows = load_rows(results, float(ticks))
    if not rows:
        sys.exit("report_unpinned.py: no unpinned results in " + results)
    params = json.load(open(os.path.join(work, "unpinned_params.json")))
    block = section(rows, params)
    sections.publish(out_md, "unpinned", block)


if __name__ == "__main__":
    main()
