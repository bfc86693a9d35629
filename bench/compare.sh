#!/usr/bin/env bash
# Side-by-side benchmarks: coronet against the servers users would pick
# instead, in one run, alternating servers round by round so that the noise of this
# small shared machine hits every server alike.
#
#   bench/compare.sh            # full run (every section), about 30 minutes
#   bench/compare.sh --rounds 6 --kv-rounds 3   # the same, fewer rounds: about 21 minutes
#   bench/compare.sh --quick    # about 3 minutes: one round, short loads
#   bench/compare.sh --rounds 5 --kv-rounds 3 --duration 4 --no-build
#   bench/compare.sh --tls-only # only the TLS section, about 4 minutes
#   bench/compare.sh --no-tls   # everything but the TLS section
#   bench/compare.sh --chat-only  # only the chat fan-out section, about 3 minutes
#   bench/compare.sh --no-chat  # everything but the chat section
#   bench/compare.sh --accept-only  # only accepting: one acceptor vs reuse_port, 1 minute
#   bench/compare.sh --no-accept    # everything but that
#   bench/compare.sh --ws-only      # only the WebSocket echo against Node's ws, 2 minutes
#   bench/compare.sh --no-ws        # everything but that
#   bench/compare.sh --syscalls-only  # only system calls per message, about 2 minutes
#   bench/compare.sh --no-syscalls  # everything but that
#   bench/compare.sh --no-uring     # without the io_uring build's servers
#   bench/compare.sh --unpinned-only  # only echo and kv with nothing pinned, 6 minutes
#   bench/compare.sh --no-unpinned  # everything but that
#   bench/compare.sh --chat-only --no-build --chat-server OTHER/build/release/examples/chat/chat_server
#
# Writes docs/benchmarks.md (tables: medians and ratios) and docs/benchmarks.png (chart),
# and prints the tables. --tls-only rewrites only the TLS section of docs/benchmarks.md
# (between its <!-- tls:begin --> and <!-- tls:end --> markers) and leaves the rest and
# the chart alone; --chat-only likewise the chat section (<!-- chat:begin --> ...) and
# --accept-only the accepting section (<!-- accept:begin --> ...), --ws-only the
# WebSocket section and --syscalls-only the system-call section; every section keeps its
# place (bench/reports/sections.py). Everything listens on 127.0.0.1 only, every load is
# bounded in time or count, and every server started here is stopped on exit (trap).
# The raw figures stay in the run's directory (/tmp/coronet-bench.XXXXXX, printed at the
# end); the tables can be made again from them: PYTHONPATH=bench python3 -m reports
# SECTION DIR (bench/reports/).
#
# How figures are taken:
#  - servers run pinned to core 0 with one worker thread each, clients pinned to core 1
#    (taskset), so neither steals the other's CPU;
#  - messages/s is what the client saw (coronet-loadgen, redis-benchmark);
#  - messages per server CPU-second divides the messages of a run by the server
#    process's utime+stime (all threads) over that run, from /proc/PID/stat; on two
#    cores the client is often the bottleneck, and this figure is not hurt by it;
#  - each figure is the median over the rounds; ratios are medians of this run only.
#    Many short echo rounds (10 x 1.5 s) rather than a few long ones: the machine's
#    load comes in phases of tens of seconds, and fine interleaving spreads them over
#    every server alike.
#
# The io_uring build (CMake preset release-uring, CORONET_IO_URING; built here unless
# --no-uring): its echo_server (raw, line, length) and kv_server run beside the epoll
# build's in the echo, kv, WebSocket and system-call sections, as coronet_*_uring and
# kv_uring, so that both back ends are measured in the same run.
#
# One file per section in bench/comparisons/, each saying how its figures are taken:
# echo.sh (echo pingpong and memory), kv.sh and micro.sh (which, with the targets, make
# the "main" sections that --tls-only and the like leave out), tls.sh, chat.sh,
# unpinned.sh, ws.sh, syscalls.sh and accept.sh. common.sh holds what they share:
# starting and stopping servers, one timed load, recording a figure. This file reads the
# options, builds, and runs the sections and then their reports, in order.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=10        # echo rounds
duration=1.5     # seconds per echo load
kv_rounds=5
redis_requests=100000     # per redis-benchmark test, -P 1 (x8 with -P 16)
idle_connections=10000
tls_idle_connections=5000
tls_hs_connections=10    # handshake mode: clients cycling at once
main=1                   # the TCP echo, kv, memory and micro sections
tls=1                    # the TLS section
chat=1                   # the chat fan-out section
accept=1                 # one acceptor against reuse_port (bench/comparisons/accept_rate.sh)
accept_rounds=5
accept_duration=3
ws=1                     # the WebSocket echo section
syscalls=1               # system calls per message (perf)
syscall_duration=2       # seconds per counted load
uring=1                  # also the io_uring build's servers
unpinned=1               # echo and kv again with no taskset (bench/reports/unpinned.py)
unpinned_rounds=5
chat_rounds=3
chat_duration=2          # seconds of the message phase per chat load
chat_size=64             # text bytes
chat_server=""           # default: this tree's build
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1; kv_rounds=1; chat_rounds=1; unpinned_rounds=1; duration=1.5
      syscall_duration=1; redis_requests=50000; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --kv-rounds) kv_rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --chat-rounds) chat_rounds="$2"; shift 2 ;;
    --chat-duration) chat_duration="$2"; shift 2 ;;
    --chat-server) chat_server="$2"; shift 2 ;;  # another build's chat_server
    --tls-only) main=0; tls=1; chat=0; accept=0; ws=0; syscalls=0; unpinned=0; shift ;;
    --no-tls) tls=0; shift ;;
    --chat-only) main=0; tls=0; chat=1; accept=0; ws=0; syscalls=0; unpinned=0; shift ;;
    --no-chat) chat=0; shift ;;
    --accept-only) main=0; tls=0; chat=0; accept=1; ws=0; syscalls=0; unpinned=0; shift ;;
    --no-accept) accept=0; shift ;;
    --ws-only) main=0; tls=0; chat=0; accept=0; ws=1; syscalls=0; unpinned=0; shift ;;
    --no-ws) ws=0; shift ;;
    --syscalls-only) main=0; tls=0; chat=0; accept=0; ws=0; syscalls=1; unpinned=0; shift ;;
    --no-syscalls) syscalls=0; shift ;;
    --no-uring) uring=0; shift ;;
    --unpinned-only) main=0; tls=0; chat=0; accept=0; ws=0; syscalls=0; unpinned=1; shift ;;
    --no-unpinned) unpinned=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | cut -c3-; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$main" = 0 ] && [ "$tls" = 0 ] && [ "$chat" = 0 ] && [ "$accept" = 0 ] && [ "$ws" = 0 ] &&
  [ "$syscalls" = 0 ] && [ "$unpinned" = 0 ]; then
  echo "compare.sh: these options leave nothing to run" >&2
  exit 2
fi

extra_packages=()
if [ "$main" = 1 ]; then extra_packages+=(gnuplot-nox); fi
if [ "$syscalls" = 1 ]; then extra_packages+=(linux-perf); fi
scripts/setup.sh "${extra_packages[@]}"
command -v node >/dev/null || { echo "compare.sh: node is needed for the Node.js baseline" >&2; exit 1; }
node_modules="$PWD/build/npm/node_modules"  # Node's ws, installed there by setup.sh

bin=build/release
# Only the echo, kv, WebSocket, system-call and unpinned sections run io_uring servers.
need_uring=0
if [ "$uring" = 1 ] && { [ "$main" = 1 ] || [ "$ws" = 1 ] || [ "$syscalls" = 1 ] || [ "$unpinned" = 1 ]; }; then
  need_uring=1
fi
if [ "$build" = 1 ]; then
  targets=(coronet-loadgen)
  if [ "$main" = 1 ] || [ "$tls" = 1 ] || [ "$accept" = 1 ] || [ "$ws" = 1 ] || [ "$syscalls" = 1 ]; then
    targets+=(echo_server)
  fi
  if [ "$main" = 1 ]; then targets+=(kv_server asio_echo_server coronet_bench); fi
  if [ "$unpinned" = 1 ]; then targets+=(echo_server kv_server asio_echo_server); fi
  if [ "$syscalls" = 1 ]; then targets+=(kv_server asio_echo_server asio_ssl_echo_server chat_server); fi
  if [ "$tls" = 1 ]; then targets+=(asio_ssl_echo_server); fi
  if [ "$chat" = 1 ]; then targets+=(chat_server); fi
  cmake --preset release -B "$bin" >/dev/null
  cmake --build "$bin" -j2 --target "${targets[@]}" >&2
  if [ "$need_uring" = 1 ]; then
    cmake --preset release-uring >/dev/null
    cmake --build build/release-uring -j2 --target echo_server kv_server >&2
  fi
fi
bin_uring=build/release-uring
if [ "$need_uring" = 1 ] && [ ! -x "$bin_uring/examples/echo/echo_server" ]; then
  echo "compare.sh: $bin_uring is not built (drop --no-build, or pass --no-uring)" >&2
  exit 1
fi
loadgen="$bin/bench/coronet-loadgen"
chat_server=${chat_server:-$bin/examples/chat/chat_server}
# The idle test holds 10 000 sockets in each of two processes; the chat's 1000 members
# need over 1000 in the client and in the server.
ulimit -n "$(ulimit -Hn)"
if [ "$chat" = 1 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 2100 ]; then
  echo "compare.sh: the chat section needs 2100 descriptors per process; the hard limit is $(ulimit -Hn)" >&2
  exit 1
fi

source bench/comparisons/common.sh  # first: the run's directory, the exit trap, helpers
source bench/comparisons/echo.sh
source bench/comparisons/kv.sh
source bench/comparisons/micro.sh
source bench/comparisons/tls.sh
source bench/comparisons/chat.sh
source bench/comparisons/unpinned.sh
source bench/comparisons/ws.sh
source bench/comparisons/syscalls.sh
source bench/comparisons/accept.sh

# ---- measuring ------------------------------------------------------------------------
if [ "$main" = 1 ]; then
  run_echo echo "$rounds"
  run_kv kv "$kv_rounds"
  run_memory
fi
if [ "$tls" = 1 ]; then run_tls; fi
if [ "$chat" = 1 ]; then run_chat; fi
if [ "$unpinned" = 1 ]; then run_unpinned; fi
if [ "$ws" = 1 ]; then run_ws; fi
if [ "$syscalls" = 1 ]; then run_syscalls; fi
if [ "$main" = 1 ]; then run_micro; fi

# ---- reports ----------------------------------------------------------------------------
if [ "$main" = 1 ]; then
  # The whole file, the TLS and chat sections too when this run measured them.
  report full
  gnuplot "$work/chart.gp"
  echo "compare.sh: wrote docs/benchmarks.md and docs/benchmarks.png (raw data in $work)" >&2
else
  # The sections measured, each in place.
  if [ "$tls" = 1 ]; then report tls; wrote TLS; fi
  if [ "$chat" = 1 ]; then report chat; wrote chat; fi
fi
# Accepting is measured after the other reports: a full run's report rewrites the whole
# file first.
if [ "$accept" = 1 ]; then run_accept; fi
if [ "$unpinned" = 1 ]; then report unpinned; wrote unpinned; fi
if [ "$ws" = 1 ]; then report ws; wrote WebSocket; fi
if [ "$syscalls" = 1 ]; then report syscalls; wrote system-call; fi
