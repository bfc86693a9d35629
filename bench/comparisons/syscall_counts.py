#!/usr/bin/env python3
"""System calls per message from `perf stat -x,` output, grouped by kind.

    perf stat -x, -e "$(python3 bench/comparisons/syscall_counts.py --events)" -p PID -- LOAD... 2>perf.csv
    python3 bench/comparisons/syscall_counts.py perf.csv MESSAGES            # one JSON object

The kinds: reads (read, readv, recvfrom, recvmsg), of them the reads that found nothing
(EAGAIN: a speculative read on a drained socket), writes (write, writev, sendto,
sendmsg), waits (epoll_wait, epoll_pwait, epoll_pwait2, io_uring_enter), and other
(every other system call: epoll_ctl, futex, accept4, ...; the total from
raw_syscalls:sys_enter less the rest). Also the process's CPU time (task-clock) per
message. Used by bench/compare.sh (bench/comparisons/syscalls.sh).
"""
import json
import os
import sys

READS = ("read", "readv", "recvfrom", "recvmsg")
WRITES = ("write", "writev", "sendto", "sendmsg")
WAITS = ("epoll_wait", "epoll_pwait", "epoll_pwait2", "io_uring_enter")
EAGAIN = -11


def exists(tracepoint):
    """Whether this kernel has the syscalls tracepoint (epoll_pwait2 came in 5.11, and
    perf refuses a whole event list for one unknown name). When the tracing directory
    cannot be read, every name is assumed to exist."""
    for root in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        base = os.path.join(root, "events", "syscalls")
        if os.path.isdir(base):
            return os.path.isdir(os.path.join(base, tracepoint))
    return True


def events():
    """The -e argument: the counters this kernel has."""
    ev = ["task-clock", "raw_syscalls:sys_enter"]
    ev += [f"syscalls:sys_enter_{c}" for c in READS + WRITES + WAITS if exists(f"sys_enter_{c}")]
    return ",".join(ev)


def eagain_events():
    """Extra -e/--filter pairs: the read exits that returned EAGAIN."""
    args = []
    for c in READS:
        if exists(f"sys_exit_{c}"):
            args += ["-e", f"syscalls:sys_exit_{c}", "--filter", f"ret == {EAGAIN}"]
    return args


def parse(path):
    counts = {}
    for line in open(path):
        f = line.strip().split(",")
        if len(f) < 3:
            continue
        try:
            value = float(f[0])
        except ValueError:  # "<not counted>", "<not supported>"
            continue
        counts[f[2]] = counts.get(f[2], 0.0) + value
    return counts


def per_message(counts, messages):
    def total(prefix, names):
        return sum(counts.get(f"syscalls:{prefix}_{n}", 0.0) for n in names)

    reads, writes, waits = total("sys_enter", READS), total("sys_enter", WRITES), total("sys_enter", WAITS)
    eagain = total("sys_exit", READS)
    every = counts.get("raw_syscalls:sys_enter", reads + writes + waits)
    m = max(messages, 1.0)
    return {
        "messages": messages,
        "reads": reads / m,
        "eagain_reads": eagain / m,
        "writes": writes / m,
        "waits": waits / m,
        "other": max(every - reads - writes - waits, 0.0) / m,
        "total": every / m,
        "cpu_us": counts.get("task-clock", 0.0) * 1000.0 / m,  # task-clock is in ms
    }


def main():
    if sys.argv[1:] == ["--events"]:
        print(events())
        return
    if sys.argv[1:] == ["--eagain-events"]:
        print("\n".join(eagain_events()))
        return
    path, messages = sys.argv[1], float(sys.argv[2])
    print(json.dumps(per_message(parse(path), messages)))


if __name__ == "__main__":
    main()
