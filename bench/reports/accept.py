"""The accepting section of docs/benchmarks.md (between <!-- accept:begin --> and
<!-- accept:end -->), from bench/comparisons/accept_rate.sh's table.

    python3 -m reports accept WORKDIR OUT.md

WORKDIR/accept.md: the table accept_rate.sh printed; WORKDIR/accept_params.json: its
rounds and duration, and when and under what load it ran.
"""
import os

from . import sections
from .common import read_params

BEGIN, END = sections.markers("accept")


def section(table, params):
    return f"""{BEGIN}
## Accepting: one acceptor against one listener per worker (`reuse_port`)

Measured on {params['when']} (load average {params['load']}) by `bench/compare.sh --accept-only`, which
runs `bench/comparisons/accept_rate.sh --rounds {params['rounds']} --duration {params['duration']}`: `echo_server
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


def main(work, out_md):
    params = read_params(work, "accept")
    table_path = os.path.join(work, "accept.md")
    if not params or not os.path.exists(table_path):
        raise SystemExit("reports accept: no accepting results in " + work)
    table = open(table_path).read().strip()
    sections.write(out_md, "accept", section(table, params))
