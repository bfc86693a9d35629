"""The TLS section of docs/benchmarks.md, from compare.sh's TLS runs.

    python3 -m reports tls WORKDIR OUT.md

Rewrites only the TLS section of OUT.md (between the <!-- tls:begin --> and
<!-- tls:end --> markers; inserted before the hand-written notes when absent) and leaves
the rest of the file alone: what `compare.sh --tls-only` runs. A full run takes section()
into the whole file instead (reports.full).

WORKDIR/results.tsv rows (reports.common) of kinds
  tls_echo: value = messages/s seen by the client; messages = messages in the run
  tls_hs:   value = connections/s (connect, handshake, one block echoed, close)
  tls_mem:  value = RSS KiB before; messages = RSS KiB with the idle connections open
WORKDIR/tls_params.json says how the run was made; WORKDIR/tls_agreed_SERVER what TLS
each server agreed on. docs/benchmarks/notes-tls.md is appended to the section verbatim.
"""
import os

from . import sections
from .common import fmt, med, per_cpu, ratio, read_params, read_results, rss_rows, verdict, \
    RSS_HEADER

BEGIN, END = sections.markers("tls")
SERVERS = [("asio_ssl", "hand-written asio::ssl (floor)"), ("coronet_raw", "coronet echo raw"),
           ("coronet_line", "coronet echo line"), ("node_tls", "Node.js tls")]
SHAPES = [("64x100", "64 B x 100 conns"), ("16384x10", "16 KiB x 10 conns")]
CORONET = ("coronet_raw", "coronet_line")


def section(work):
    """The TLS section's lines, markers included; [] when the run measured no TLS."""
    rows = read_results(work, lambda kind: kind.startswith("tls_"))
    params = read_params(work, "tls")
    if not rows or not params:
        return []

    def m(kind, server, shape, field):
        return med(rows, per_cpu if field == "per_cpu" else field, kind=kind, server=server,
                   shape=shape)

    agreed = {}
    for srv, _ in SERVERS:
        p = os.path.join(work, f"tls_agreed_{srv}")
        if os.path.exists(p):
            agreed[srv] = open(p).read().strip()
    agreed_all = sorted(set(v for v in agreed.values() if v))

    md = [BEGIN, f"## TLS ({params['cert_type']} certificates)", "",
          f"Measured on {params['when']} by `bench/compare.sh --tls-only --rounds {params['rounds']}`",
          "(about 8 minutes for 20 rounds; `--no-build` reuses `build/release`; a full run of",
          "`bench/compare.sh` measures this section too) on the machine described under",
          "\"Reading these figures: the machine\" below, whose load average was",
          f"{params['load']} at the end of the run: {params['rounds']} round(s) of {params['duration']} s per load,",
          "each figure the median over the rounds, servers alternated round by round. Every",
          f"connection agreed on {', '.join(agreed_all) if agreed_all else 'TLS (not recorded)'}.",
          "",
          "How each figure is measured (as above, unless said):",
          "",
          "- Servers: coronet's `echo_server --framing raw|line --tls-cert server.pem --tls-key",
          "  server.key`, the hand-written asio::ssl callback server",
          "  (`bench/floors/asio_ssl_echo_server.cpp`, the floor: `asio_echo_server` on",
          "  `asio::ssl::stream`) and Node's `tls` (`bench/comparisons/node_tls_echo_server.js`,",
          "  `socket.pipe(socket)`). Certificates from",
          f"  `scripts/make-cert.sh` in the run's temporary directory: {params['cert_type']}, a chain",
          "  of one certificate under a local CA. One worker thread pinned to core 0, the client",
          "  on core 1.",
          "- The client is `coronet-loadgen --tls-ca ca.pem`: asio::ssl, not coronet's TLS,",
          "  verifying the chain and the name 127.0.0.1, as any client must.",
          "- **msg/s**, **msg/CPU-s**: `--mode pingpong`, exactly as for plain TCP above (every",
          "  byte echoed is checked); the connections and their handshakes are made before the",
          "  clock starts.",
          f"- **handshakes/s**: `--mode handshake`, {params['hs_connections']} clients at once, each repeatedly",
          "  connecting, completing a full handshake (a fresh session each time: no resumption),",
          "  sending one 64 B block, reading its echo and closing. **handshakes/CPU-s** divides",
          "  those connections by the server's CPU time, as msg/CPU-s does. The client verifies",
          "  two ECDSA signatures per handshake to the server's one, so handshakes/s is bound by",
          "  the client's core; handshakes/CPU-s is the server's cost.",
          f"- **RSS per idle TLS connection**: as above, with {params['idle_connections']} connections each past",
          "  its handshake (`--mode idle --tls-ca`), held by another process.",
          ""]

    # ---- echo ---------------------------------------------------------------------------
    md += ["### TLS echo: pingpong", "",
           "| shape | server | msg/s | x floor | x Node | msg/CPU-s | x floor | x Node | p99 us |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    echo = {}
    for sk, sname in SHAPES:
        base = (m("tls_echo", "asio_ssl", sk, "value"), m("tls_echo", "asio_ssl", sk, "per_cpu"))
        node = (m("tls_echo", "node_tls", sk, "value"), m("tls_echo", "node_tls", sk, "per_cpu"))
        for srv, name in SERVERS:
            rate, cpu = m("tls_echo", srv, sk, "value"), m("tls_echo", srv, sk, "per_cpu")
            echo[(srv, sk)] = (ratio(rate, base[0]), ratio(cpu, base[1]),
                               ratio(rate, node[0]), ratio(cpu, node[1]))
            md.append(f"| {sname} | {name} | {fmt(rate)} | {ratio(rate, base[0]):.2f} | "
                      f"{ratio(rate, node[0]):.2f} | {fmt(cpu)} | {ratio(cpu, base[1]):.2f} | "
                      f"{ratio(cpu, node[1]):.2f} | {m('tls_echo', srv, sk, 'p99'):.0f} |")
    md.append("")

    # ---- handshakes ---------------------------------------------------------------------
    md += [f"### TLS handshakes ({params['cert_type']}, full handshakes)", "",
           "| server | handshakes/s | x floor | x Node | handshakes/CPU-s | x floor | x Node | p99 cycle ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    hs = {}
    base = (m("tls_hs", "asio_ssl", "handshake", "value"), m("tls_hs", "asio_ssl", "handshake", "per_cpu"))
    node = (m("tls_hs", "node_tls", "handshake", "value"), m("tls_hs", "node_tls", "handshake", "per_cpu"))
    for srv, name in SERVERS:
        rate, cpu = m("tls_hs", srv, "handshake", "value"), m("tls_hs", srv, "handshake", "per_cpu")
        hs[srv] = (ratio(rate, base[0]), ratio(cpu, base[1]), rate, cpu)
        md.append(f"| {name} | {fmt(rate)} | {ratio(rate, base[0]):.2f} | {ratio(rate, node[0]):.2f} | "
                  f"{fmt(cpu)} | {ratio(cpu, base[1]):.2f} | {ratio(cpu, node[1]):.2f} | "
                  f"{m('tls_hs', srv, 'handshake', 'p99') / 1000:.1f} |")
    md.append("")

    # ---- memory -------------------------------------------------------------------------
    md += [f"### Memory: RSS per idle TLS connection ({params['idle_connections']} connections)",
           ""] + RSS_HEADER
    mem = {}
    for srv, name, before, after, n in rss_rows(rows, "tls_mem", SERVERS):
        mem[srv] = (after - before) / n if n else 0.0
        md.append(f"| {name.replace(' (floor)', '')} | {before:.0f} | {after:.0f} | {mem[srv]:.2f} |")
    md.append("")

    # ---- targets ------------------------------------------------------------------------
    md += ["### Targets (TLS issue)", "", "| target | measured in this run | |", "|---|---|---|"]
    for srv in CORONET:
        label = srv.replace("_", " ")
        worst_rate = min(echo[(srv, s)][0] for s, _ in SHAPES)
        worst_cpu = min(echo[(srv, s)][1] for s, _ in SHAPES)
        md.append(f"| {label} >= 0.95x the asio::ssl floor, msg/s and msg/CPU-s, every shape | "
                  f"worst msg/s ratio {worst_rate:.3f}, worst msg/CPU-s ratio {worst_cpu:.3f} | "
                  f"{verdict(min(worst_rate, worst_cpu) >= 0.95)} |")
    for srv in CORONET:
        label = srv.replace("_", " ")
        worst = min(echo[(srv, s)][3] for s, _ in SHAPES)
        md.append(f"| {label} >= 1.25x Node.js tls on msg/CPU-s, every shape | worst ratio {worst:.3f} | "
                  f"{verdict(worst >= 1.25)} |")
    for srv in CORONET:
        label = srv.replace("_", " ")
        md.append(f"| {label} handshakes/s >= 1.0x the floor | {hs[srv][0]:.3f} (handshakes/CPU-s: "
                  f"{hs[srv][1]:.3f}) | {verdict(hs[srv][0] >= 1.0)} |")
    for srv in CORONET:
        if srv in mem and "node_tls" in mem:
            md.append(f"| RSS per idle TLS connection below Node.js tls ({srv.replace('_', ' ')}) | "
                      f"{mem[srv]:.2f} KiB against {mem['node_tls']:.2f} KiB | "
                      f"{verdict(mem[srv] < mem['node_tls'])} |")
    md.append("")

    for text in sections.notes("tls"):
        md += [text, ""]
    md.append(END)
    return md


def main(work, out_md):
    md = section(work)
    if not md:
        raise SystemExit("reports tls: no TLS results in " + work)
    sections.publish(out_md, "tls", "\n".join(md))
