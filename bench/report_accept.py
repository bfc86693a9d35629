"""Writes the accepting section of docs/benchmarks.md (between <!-- accept:begin --> and
<!-- accept:end -->; bench/report_sections.py places it when absent) from
bench/accept_rate.sh's table; called by bench/compare.sh.

    python3 bench/report_accept.py TABLE_FILE ROUNDS DURATION docs/benchmarks.md
"""
import sys
import time

import report_sections as sections

BEGIN, END = sections.markers("accept")

table_file, rounds, duration, doc = sys.argv[1:5]
table = open(table_file).read().strip()
when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
load = " ".join(open("/proc/loadavg").read().split()[:3])
section = f"""{BEGIN}
## Accepting: one acceptor against one listener per worker (`reuse_port`)

Measured on {when} (load average {load}) by `bench/compare.sh --accept-only`, which
runs `bench/accept_rate.sh --rounds {rounds} --duration {duration}`: `echo_server
--framing raw --threads 2`, without and with `--reuse-port`, alternated round by round;
the client is `coronet-loadgen --mode handshake --connections 20` over plain TCP (each
connection: connect, one 64 B echo, close).

{table}

What `reuse_port` removes is the hand-over of every accepted descriptor from worker 0
to another thread (a post and a second socket registration). On this machine both
servers and the one-threaded client share two cores, and the client's
connect-echo-close loop is the limit, so the two come out within noise of each other;
on a machine with more cores than this one, where worker 0's single accept loop becomes
the bottleneck, is where it is expected to matter.
{END}"""

sections.write(doc, "accept", section)
