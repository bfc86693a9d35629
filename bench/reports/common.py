"""What every report shares: reading compare.sh's raw results, medians, and the number
format of the tables.

WORKDIR/results.tsv, one row per timed load (compare.sh's `record`):

    kind server shape round value messages cpu_ticks p99_us

  value: messages/s seen by the client (connections/s for tls_hs); for the memory kinds
  (mem, tls_mem) the RSS KiB before, with messages the RSS KiB with the idle connections
  open and p99_us their number.
WORKDIR/NAME_params.json: how a section's run was made (compare.sh's `params`: its
options, and when and under what load average it was measured).
"""
import json
import os
import statistics


def ticks_per_s():
    """Clock ticks per second, the unit of cpu_ticks (getconf CLK_TCK)."""
    return os.sysconf("SC_CLK_TCK")


def read_results(work, kinds=None):
    """The rows of WORKDIR/results.tsv (those of `kinds`, a predicate on the kind, when
    given) as dicts; cpu is in seconds."""
    ticks = ticks_per_s()
    rows = []
    path = os.path.join(work, "results.tsv")
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            kind, server, shape, rnd, value, messages, cpu, p99 = line.rstrip("\n").split("\t")
            if kinds and not kinds(kind):
                continue
            rows.append(dict(kind=kind, server=server, shape=shape, round=rnd, value=float(value),
                             messages=float(messages), cpu_ticks=float(cpu),
                             cpu=float(cpu) / ticks, p99=float(p99)))
    return rows


def read_params(work, name):
    """WORKDIR/NAME_params.json, or None when the run wrote none."""
    try:
        with open(os.path.join(work, f"{name}_params.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_jsonl(path):
    """One JSON object per line; [] when the file is missing."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def per_cpu(row):
    """Messages per server CPU-second; None for a run with no measurable CPU."""
    return row["messages"] / row["cpu"] if row["cpu"] > 0 else None


def per_cpu_served(row):
    """As per_cpu, and None for a run the client saw fail (no rate): redis-benchmark
    reports requests/s and sends exactly -n requests, whether they were served or not."""
    return per_cpu(row) if row["value"] > 0 else None


def med(rows, field, **match):
    """The median of `field` (a key, or a function of the row that may return None to
    leave the row out) over the rows whose keys equal `match`; 0.0 when there is none."""
    xs = []
    for r in rows:
        if all(r.get(k) == v for k, v in match.items()):
            x = field(r) if callable(field) else r.get(field)
            if x is not None:
                xs.append(x)
    return statistics.median(xs) if xs else 0.0


def ratio(a, b):
    return a / b if b else 0.0


def verdict(ok):
    return "met" if ok else "**missed**"


def fmt(x, small_digits=1):
    """A rate for a table: 1.23 M, 456 k, 789, or 12.3 below 100 (`small_digits`
    decimals there)."""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e4:
        return f"{x / 1e3:.0f} k"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.{small_digits}f}"


def rss_rows(rows, kind, servers):
    """(server, name, KiB before, KiB with the connections, connections) for each of
    `servers` ((server, name) pairs) with a memory row of `kind`."""
    for srv, name in servers:
        vals = [r for r in rows if r["kind"] == kind and r["server"] == srv]
        if vals:
            yield srv, name, vals[0]["value"], vals[0]["messages"], vals[0]["p99"]


RSS_HEADER = ["| server | RSS before (KiB) | RSS with connections (KiB) | KiB per connection |",
              "|---|---:|---:|---:|"]
