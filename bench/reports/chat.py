"""The chat fan-out section of docs/benchmarks.md, from compare.sh's chat runs.

    python3 -m reports chat WORKDIR OUT.md

Rewrites only the chat section of OUT.md (between the <!-- chat:begin --> and
<!-- chat:end --> markers; inserted before the hand-written notes when absent) and leaves
the rest of the file alone: what `compare.sh --chat-only` runs. A full run takes
section() into the whole file instead (reports.full).

WORKDIR/chat.jsonl: one `coronet-loadgen --mode chat --json` report per line, with
compare.sh's server, shape, round, roles (what each --server-pid was) and exit_ok added.
WORKDIR/chat_params.json says how the run was made. docs/benchmarks/notes-chat.md is
appended to the section verbatim.
"""
import os
import statistics

from . import sections
from .common import fmt, med, read_jsonl, read_params, verdict

BEGIN, END = sections.markers("chat")
SERVERS = [("chat_t1", "chat_server, threads 1"), ("chat_t2", "chat_server, threads 2"),
           ("node_chat", "Node.js net (`node_chat_server.js`)")]
SHAPES = [("100x5", "100 receivers x 5 senders"), ("1000x1", "1000 receivers x 1 sender")]
CLUSTER = [("cluster_1", "1 instance"), ("cluster_2", "2 instances")]


def section(work):
    """The chat section's lines, markers included; [] when the run measured no chat."""
    rows = read_jsonl(os.path.join(work, "chat.jsonl"))
    if not rows:
        return []
    params = read_params(work, "chat") or {}

    def runs(server, shape):
        return [r for r in rows if r.get("server") == server and r.get("shape") == shape]

    def m(server, shape, key):
        """The median of `key` over the runs that passed (a missing figure counts as 0)."""
        return med(rows, lambda r: r.get(key, 0) if r.get("ok") else None, server=server,
                   shape=shape)

    def failed(server, shape):
        return sum(1 for r in runs(server, shape) if not (r.get("ok") and r.get("exit_ok")))

    windows = {r["shape"]: r["window"] for r in rows if "window" in r and "shape" in r}
    md = [BEGIN, "## Chat fan-out", "",
          f"Measured on {params.get('when', '?')} (load average {params.get('load', '?')}) by",
          "`bench/compare.sh --chat-only` (about 3 minutes, 5 with the cluster; `--chat-rounds`,",
          "`--chat-duration`):",
          f"{params.get('rounds', '?')} round(s) of a {params.get('duration', '?')} s message phase per load, "
          f"{params.get('size', '?')} B texts,",
          "servers alternated round by round, each figure the median over the rounds"
          + ("" if params.get("chat_server", "build/release/examples/chat/chat_server")
             == "build/release/examples/chat/chat_server"
             else f" (chat_server: `{params['chat_server']}`)") + ". One load:",
          "",
          "```",
          "coronet-loadgen --mode chat --targets 127.0.0.1:PORT --receivers 100 --senders 5 \\",
          f"  --size {params.get('size', 64)} --duration {params.get('duration', 2)} --server-pid PID --json",
          "```",
          "",
          "- Every member (receivers and senders) joins in JSON mode at once; then each sender",
          "  says texts as fast as a window allows: message q leaves only once every member has",
          "  message q - K, so no member is more than K messages per sender behind and the",
          "  server's per-receiver limit (256 KiB) is never reached. K is what fits in half of",
          "  it: " + ", ".join(f"{windows[sk]} at {sname}" for sk, sname in SHAPES if sk in windows)
          + ".",
          "  Every member checks every delivery (count, per-sender order, content); a run with",
          "  any error counts as failed and is left out.",
          "- **deliveries/s**: message lines received by members in the message phase, every member",
          "  counted, the sender too (it gets its own message back, as everyone does: 105 or 1001",
          "  deliveries per message). **msg/s**: messages said.",
          "- **deliveries/CPU-s**: deliveries of the message phase and its drain divided by the",
          "  server's CPU time (user + system, all threads, `/proc/PID/stat`) over the same span.",
          "- Servers on core 0, the client on core 1; chat_server with 2 threads on both cores.",
          "- The join phase: from the first join sent to the moment every member has its welcome",
          "  and knows everyone; its deliveries are the welcomes and the `joined` events",
          "  (N + N(N-1)/2 for N members).",
          "",
          "### Message phase", "",
          "| shape | server | deliveries/s | msg/s | deliveries/CPU-s | x Node | p99 latency | failed runs |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    targets = []
    for sk, sname in SHAPES:
        node = m("node_chat", sk, "deliveries_per_cpu_s")
        for srv, name in SERVERS:
            if not runs(srv, sk):
                continue
            if not any(r.get("ok") for r in runs(srv, sk)):
                md.append(f"| {sname} | {name} | - | - | - | - | - | all {failed(srv, sk)} |")
                continue
            per_cpu = m(srv, sk, "deliveries_per_cpu_s")
            x = per_cpu / node if node else 0.0
            md.append(f"| {sname} | {name} | {fmt(m(srv, sk, 'deliveries_per_s'))} | "
                      f"{fmt(m(srv, sk, 'messages_per_s'))} | {fmt(per_cpu)} | {x:.1f} | "
                      f"{m(srv, sk, 'p99_us') / 1000:.0f} ms | {failed(srv, sk)} |")
            if srv == "chat_t1":
                targets.append((sname, x))
    md += ["", "### Join phase (all members join at once)", "",
           "| shape | server | join time | deliveries | deliveries/s | server CPU | announced twice |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for sk, sname in SHAPES:
        for srv, name in SERVERS:
            if not runs(srv, sk):
                continue
            md.append(f"| {sname} | {name} | {m(srv, sk, 'join_s') * 1000:.0f} ms | "
                      f"{fmt(m(srv, sk, 'join_deliveries'))} | "
                      f"{fmt(m(srv, sk, 'join_deliveries_per_s'))} | "
                      f"{m(srv, sk, 'join_server_cpu_s'):.2f} s | "
                      f"{m(srv, sk, 'join_duplicates'):.0f} |")
    md += ["", "### Target (issue 18)", "", "| target | measured in this run | |", "|---|---|---|"]
    for sname, x in targets:
        md.append(f"| chat_server (threads 1) >= 2x Node.js in deliveries per CPU-second, "
                  f"{sname} | {x:.1f}x | {verdict(x >= 2)} |")
    md.append("")

    md += ["### Cluster: chat_server instances sharing one room through redis-server", ""]
    if any(r.get("server", "").startswith("cluster_") for r in rows):
        md += ["Members spread round-robin over the instances (`--targets A,B`); every process",
               "pinned to core 0. deliveries/CPU-s divides by the CPU of every process listed.", "",
               "| shape | setup | deliveries/s | deliveries/CPU-s | CPU in the message phase | join time | failed runs |",
               "|---|---|---:|---:|---|---:|---:|"]
        for sk, sname in SHAPES:
            for srv, name in CLUSTER:
                rs = [r for r in runs(srv, sk) if r.get("ok")]
                if not runs(srv, sk):
                    continue
                cpu = []
                if rs:
                    roles = rs[0].get("roles", [])
                    for i, role in enumerate(roles):
                        xs = [r["server_cpu"][i]["messages_cpu_s"] for r in rs
                              if len(r.get("server_cpu", [])) > i]
                        cpu.append(f"{role} {statistics.median(xs):.2f} s" if xs else role)
                if not rs:
                    md.append(f"| {sname} | {name} | - | - | - | - | all {failed(srv, sk)} |")
                    continue
                md.append(f"| {sname} | {name} | {fmt(m(srv, sk, 'deliveries_per_s'))} | "
                          f"{fmt(m(srv, sk, 'deliveries_per_cpu_s'))} | {', '.join(cpu)} | "
                          f"{m(srv, sk, 'join_s') * 1000:.0f} ms | {failed(srv, sk)} |")
    else:
        md += ["Not measured in this run: the chat_server built had no `--redis` option (the",
               "script runs this part only when `chat_server --help` mentions it)."]
    md.append("")

    for text in sections.notes("chat"):
        md += [text, ""]
    md.append(END)
    return md


def main(work, out_md):
    md = section(work)
    if not md:
        raise SystemExit("reports chat: no chat results in " + work)
    sections.publish(out_md, "chat", "\n".join(md))
