# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's accepting section (sourced): echo_server with two worker threads,
# one acceptor dealing connections round robin against one listener per worker
# (--reuse-port), by accept_rate.sh. Report: bench/reports/accept.py.

# run_accept: accept_rate.sh's rounds, and the accepting section of docs/benchmarks.md.
run_accept() {
  echo "== accepting: one acceptor vs one listener per worker (reuse_port) ==" >&2
  bench/comparisons/accept_rate.sh --no-build --rounds "$accept_rounds" \
    --duration "$accept_duration" >"$work/accept.md"
  params "$work/accept_params.json" rounds "$accept_rounds" duration "$accept_duration"
  cat "$work/accept.md"
  report accept
  echo "compare.sh: wrote the accepting section of docs/benchmarks.md" >&2
}
