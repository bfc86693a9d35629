# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's microbenchmark highlights (sourced): line and RESP decoding and the
# loopback ratio from coronet_bench (bench/micro/), and the run's parameters for
# bench/reports/full.py, which writes the whole of docs/benchmarks.md from them.

# run_micro: coronet_bench's highlights into micro.json, and main_params.json.
run_micro() {
  echo "== microbenchmarks (line decode, loopback ratio) ==" >&2
  "${pin_client[@]}" "$bin/bench/coronet_bench" --benchmark_min_time=0.3 \
    --benchmark_filter='decode/line/64$|decode/resp/64$|loopback/ratio' \
    --benchmark_format=json >"$work/micro.json" 2>/dev/null || echo '{}' >"$work/micro.json"
  params "$work/main_params.json" rounds "$rounds" duration "$duration" kv_rounds "$kv_rounds" \
    idle_connections "$idle_connections"
}
