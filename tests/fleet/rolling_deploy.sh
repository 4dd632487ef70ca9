#!/usr/bin/env bash
# A fleet on loopback, as operators run it: three `mediaflow serve` hosts behind a real HAProxy
# (deploy/haproxy/haproxy.cfg as shipped: leastconn, GET /health every 0.5 s, fall 2) sharing a
# real redis-server for the cluster-wide limit. A steady stream of echo calls (5, 12 and 20 s
# long, new ones arriving the whole time) goes through HAProxy while each host in turn gets
# SIGTERM, drains (lame duck DRAIN_LAME_DUCK_SECONDS, then its live calls finish), exits 0 and is
# started again — a rolling deploy. What must hold: every call completes with all its audio and
# close 1000 — zero cut, zero refused, zero frames lost — and every host exits 0.
#
#   tests/fleet/rolling_deploy.sh [--runs N]     (CI: one run, about 90 s)
#
# Env: BIN_DIR (mediaflow, mediaflow-loadgen, plugins/; default ./build), LAME_DUCK (seconds, 2).
# Prints one JSON line per run (calls, completed, refused, lost frames, longest echo gap) and
# exits 1 when any run lost anything.
set -euo pipefail
runs=1
[ "${1:-}" = --runs ] && runs=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${BIN_DIR:-$src/build}" && pwd)
lame_duck=${LAME_DUCK:-2}
for tool in haproxy redis-server curl python3; do
  command -v "$tool" >/dev/null || { echo "rolling_deploy: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mediaflow-fleet.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "${KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {  # url, seconds: until it answers 200
  for _ in $(seq $(($2 * 10))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

redis_port=$(free_port); lb_port=$(free_port)
host_port=("" "$(free_port)" "$(free_port)" "$(free_port)")
host_pid=("" "" "" "")
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning \
  >"$work/redis.log" 2>&1 &
pids+=($!)

start_host() {  # index
  local i=$1
  env PORT="${host_port[$i]}" BIND=127.0.0.1 PIPELINES_DIR="$src/pipelines" PLUGIN_DIR="$bin/plugins" \
      RECORDINGS_DIR="$work/recordings-$i" GST_REGISTRY="$work/registry-$i.bin" LOG_LEVEL=warn \
      INSTANCE_ID="media-$i" REDIS_URL="redis://127.0.0.1:$redis_port" CLUSTER_MAX_CONCURRENT_CALLS=500 \
      DRAIN_LAME_DUCK_SECONDS="$lame_duck" DRAIN_TIMEOUT_SECONDS=40 \
      "$bin/mediaflow" serve 2>>"$work/host-$i.log" &
  host_pid[$i]=$!
  pids+=($!)
  wait_http "http://127.0.0.1:${host_port[$i]}/health" 20 || { echo "host $i did not start" >&2; cat "$work/host-$i.log" >&2; exit 1; }
}
for i in 1 2 3; do start_host "$i"; done

MEDIAFLOW_LB_BIND="127.0.0.1:$lb_port" MEDIAFLOW_LB_ADMIN_SOCKET="$work/haproxy.sock" \
MEDIAFLOW_HOST_1="127.0.0.1:${host_port[1]}" MEDIAFLOW_HOST_2="127.0.0.1:${host_port[2]}" \
MEDIAFLOW_HOST_3="127.0.0.1:${host_port[3]}" \
  haproxy -db -f "$src/deploy/haproxy/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$lb_port/health" 20 || { echo "haproxy did not start" >&2; cat "$work/haproxy.log" >&2; exit 1; }
sleep 1.5  # every server has passed `rise 2` checks

failed=0
for run in $(seq "$runs"); do
  # Three lanes of calls: a new call every 1–4 s per lane for about a minute, each 5, 12 or 20 s.
  lanes=()
  for spec in "24 60 5" "12 55 12" "8 50 20"; do
    set -- $spec
    "$bin/mediaflow-loadgen" --url "ws://127.0.0.1:$lb_port/rtm/voice" --calls "$1" --ramp "$2" --duration "$3" \
      >"$work/run$run-lane$3.out" 2>&1 &
    lanes+=($!)
  done
  sleep 8
  exits=""
  for i in 1 2 3; do
    kill -TERM "${host_pid[$i]}"
    rc=0; wait "${host_pid[$i]}" || rc=$?
    exits="$exits$rc "
    start_host "$i"
    sleep 2  # rise 2 at 0.5 s: back in rotation before the next host goes
  done
  lane_failed=0
  for p in "${lanes[@]}"; do wait "$p" || lane_failed=1; done
  summary=$(cat "$work"/run$run-lane*.out | grep '^{' | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin]
print(json.dumps({
  "calls": sum(r["calls"] for r in runs),
  "completed": sum(r["completed"] for r in runs),
  "refused": sum(r["refused"] for r in runs),
  "timed_out": sum(r["timed_out"] for r in runs),
  "frames_sent": sum(r["frames_sent"] for r in runs),
  "frames_lost": sum(r["frames_lost"] for r in runs),
  "longest_echo_gap_ms": max(r["latency_ms"]["max"] for r in runs),
}))')
  echo "{\"run\":$run,\"host_exit_codes\":\"${exits% }\",\"load\":$summary}"
  if [ "$lane_failed" = 1 ] || [ "$exits" != "0 0 0 " ]; then
    failed=1
    echo "rolling_deploy: run $run lost calls or frames, or a host did not exit 0" >&2
    grep -h -v '^{' "$work"/run$run-lane*.out >&2 || true
  fi
done
exit "$failed"
