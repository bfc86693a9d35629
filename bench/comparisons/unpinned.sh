# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's unpinned section (sourced): the echo and kv loads again with
# neither servers nor clients pinned (no taskset), the scheduler placing them, so that no
# target depends on one placement's timing. Report: bench/reports/unpinned.py.

# run_unpinned: the echo and kv rounds unpinned, and unpinned_params.json.
run_unpinned() {
  saved_server_pin=("${pin_server[@]}")
  saved_client_pin=("${pin_client[@]}")
  pin_server=()
  pin_client=()
  run_echo echo_unpinned "$unpinned_rounds"
  run_kv kv_unpinned "$unpinned_rounds"
  pin_server=("${saved_server_pin[@]}")
  pin_client=("${saved_client_pin[@]}")
  params "$work/unpinned_params.json" rounds "$unpinned_rounds" duration "$duration"
}
