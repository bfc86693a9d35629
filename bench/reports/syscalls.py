"""The system-call section of docs/benchmarks.md, from compare.sh's counted loads.

    python3 -m reports syscalls WORKDIR OUT.md

WORKDIR/syscalls.jsonl: one object per counted load (bench/comparisons/syscall_counts.py's
figures per message, with kind, server and shape); WORKDIR/syscalls_params.json: how the
run was made. Rewrites only the section between <!-- syscalls:begin --> and
<!-- syscalls:end -->; docs/benchmarks/notes-syscalls.md closes it.
"""
import os

from . import sections
from .common import read_jsonl, read_params

NAMES = {
    "asio": "hand-written Asio (floor)", "coronet_raw": "coronet echo raw",
    "coronet_line": "coronet echo line", "coronet_length": "coronet echo length",
    "node": "Node.js net", "kv": "coronet kv_server", "redis": "redis-server",
    "coronet_ws": "coronet WebSocket echo", "node_ws": "Node.js ws",
    "sc_tls_asio_ssl": "hand-written asio::ssl (floor)", "sc_tls_coronet_raw": "coronet echo raw",
    "sc_tls_coronet_line": "coronet echo line", "sc_tls_node_tls": "Node.js tls",
    "chat_t1": "chat_server (threads 1)", "node_chat": "Node.js net (node_chat_server.js)",
}
SHAPES = {"64x1": "64 B x 1 conn", "64x100": "64 B x 100 conns", "16384x10": "16 KiB x 10 conns",
          "100x5": "100 receivers x 5 senders", "1000x1": "1000 receivers x 1 sender"}
KINDS = [("echo", "Echo pingpong (coronet-loadgen --mode pingpong)", "message"),
         ("kv", "kv_server against redis-server (redis-benchmark -c 50)", "request"),
         ("ws", "WebSocket echo (coronet-loadgen --mode ws)", "message"),
         ("tls", "TLS echo pingpong (ECDSA P-256, coronet-loadgen --tls-ca)", "message"),
         ("chat", "Chat fan-out (coronet-loadgen --mode chat; per delivery, joins included)",
          "delivery")]


def num(x):
    """Two decimals; three below 0.1, where a fan-out's calls per delivery sit."""
    return f"{x:.3f}" if 0 < x < 0.1 else f"{x:.2f}"


def name(server):
    if server.endswith("_uring"):
        return NAMES.get(server[:-len("_uring")], server) + " (io_uring build)"
    return NAMES.get(server, server)


def section(rows, params):
    lines = [
        "## System calls per message",
        "",
        f"Counted on {params['when']} (load average {params['load']}) by `bench/compare.sh` "
        f"(`--syscalls-only` for this section alone): after the timed rounds, one "
        f"{params['duration']} s load per server and shape (the kv loads: a fixed number of "
        "requests) under `perf stat -p SERVER_PID` with the tracepoints "
        "`raw_syscalls:sys_enter` (all) and `syscalls:sys_enter_*` (by kind); EAGAIN counts "
        "the read exits that returned it (a read that found the socket drained). Each count "
        "is divided by the messages of that load. Reads: read, readv, recvfrom, recvmsg; "
        "writes: write, writev, sendto, sendmsg; waits: epoll_wait, epoll_pwait, "
        "io_uring_enter; other: everything else (epoll_ctl, futex, ...). CPU is the "
        "server's task-clock per message under perf, which costs it a little: the timed "
        "figures above come from runs without it.",
    ]
    for kind, title, unit in KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        if not mine:
            continue
        lines += ["", f"### {title}", "",
                  f"| shape | server | calls/{unit} | reads | of them EAGAIN | writes | waits | "
                  f"other | CPU us/{unit} |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in mine:
            shape = SHAPES.get(r["shape"], r["shape"].replace("_P", " -P "))
            counts = " | ".join(num(r[k]) for k in ("total", "reads", "eagain_reads", "writes",
                                                     "waits", "other"))
            lines.append(f"| {shape} | {name(r['server'])} | {counts} | {r['cpu_us']:.2f} |")
    for text in sections.notes("syscalls"):
        lines += ["", text]
    return sections.wrap("syscalls", lines)


def main(work, out_md):
    rows = read_jsonl(os.path.join(work, "syscalls.jsonl"))
    params = read_params(work, "syscalls")
    if not rows or not params:
        raise SystemExit("reports syscalls: no counted loads in " + work)
    sections.publish(out_md, "syscalls", section(rows, params))
