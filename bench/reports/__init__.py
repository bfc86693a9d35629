"""docs/benchmarks.md from bench/compare.sh's raw results: one module per section.

    PYTHONPATH=bench python3 -m reports SECTION WORKDIR [OUT.md]

SECTION is one of
  full      the whole file (echo, kv, memory, microbenchmarks, targets; the TLS and chat
            sections when the run measured them, else the ones in OUT.md) and the chart's
            gnuplot script (reports.full, reports.chart)
  tls, chat, accept, unpinned, ws, syscalls
            that section alone, rewritten in place (reports.sections)
WORKDIR is the run's directory (compare.sh prints it: /tmp/coronet-bench.XXXXXX);
OUT.md defaults to docs/benchmarks.md. What the files in WORKDIR hold: reports.common.
The hand-written notes that explain the figures are in docs/benchmarks/ (notes.md,
notes-KIND.md); each report appends them verbatim.
"""
