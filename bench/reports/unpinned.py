"""The unpinned section of docs/benchmarks.md: echo and kv run again with no taskset, so
that every target is checked in a second placement (the scheduler's own).

    python3 -m reports unpinned WORKDIR OUT.md

WORKDIR/results.tsv rows of kinds echo_unpinned and kv_unpinned (reports.common);
WORKDIR/unpinned_params.json says how the run was made. Rewrites only the section
between <!-- unpinned:begin --> and <!-- unpinned:end -->.
"""
from . import sections
from .common import med, per_cpu_served, ratio, read_params, read_results, verdict

ECHO = [("asio", "hand-written Asio (floor)"), ("coronet_raw", "coronet echo raw"),
        ("coronet_line", "coronet echo line"), ("coronet_length", "coronet echo length"),
        ("coronet_raw_uring", "coronet echo raw (io_uring)"),
        ("coronet_line_uring", "coronet echo line (io_uring)"),
        ("coronet_length_uring", "coronet echo length (io_uring)"), ("node", "Node.js net")]
SHAPES = [("64x1", "64 B x 1 conn"), ("64x100", "64 B x 100 conns"),
          ("16384x10", "16 KiB x 10 conns")]
KV = [("kv", "kv_server"), ("kv_uring", "kv_server (io_uring)")]
TESTS = ["ping_inline", "ping_mbulk", "set", "get", "incr"]


def section(rows, params):
    def m(kind, server, shape, key):
        return med(rows, per_cpu_served if key == "per_cpu" else "value", kind=kind,
                   server=server, shape=shape)

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
        base_rate, base_cpu = m("echo_unpinned", "asio", shape, "value"), m("echo_unpinned", "asio", shape, "per_cpu")
        for server, name in ECHO:
            if server not in present or server == "asio":
                continue
            r = (ratio(m("echo_unpinned", server, shape, "value"), base_rate),
                 ratio(m("echo_unpinned", server, shape, "per_cpu"), base_cpu))
            echo_ratio[(server, shape)] = r
            lines.append(f"| {shape_name} | {name} | {r[0]:.2f} | {r[1]:.2f} |")
    lines += ["", "| test | -P | server | req/s x redis | req/CPU-s x redis |", "|---|---|---|---|---|"]
    kv_ratio = {}
    for p in (1, 16):
        for t in TESTS:
            shape = f"{t}_P{p}"
            base_rate, base_cpu = m("kv_unpinned", "redis", shape, "value"), m("kv_unpinned", "redis", shape, "per_cpu")
            for server, name in KV:
                if server not in present:
                    continue
                r = (ratio(m("kv_unpinned", server, shape, "value"), base_rate),
                     ratio(m("kv_unpinned", server, shape, "per_cpu"), base_cpu))
                kv_ratio[(server, shape)] = r
                lines.append(f"| {t} | {p} | {name} | {r[0]:.2f} | {r[1]:.2f} |")
    lines += ["", "| target (issue 18), unpinned | this run | verdict |", "|---|---|---|"]

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


def main(work, out_md):
    rows = read_results(work, lambda kind: kind in ("echo_unpinned", "kv_unpinned"))
    params = read_params(work, "unpinned")
    if not rows or not params:
        raise SystemExit("reports unpinned: no unpinned results in " + work)
    sections.publish(out_md, "unpinned", section(rows, params))
