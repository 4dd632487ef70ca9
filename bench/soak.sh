#!/usr/bin/env bash
# Soak: hours of real traffic compressed into minutes. One `mediaflow serve`, calls arriving the
# whole time on several pipelines (echo, record, default), every fifth call ending abnormally
# (vanishes or closes mid-call without `stop`, or never sends `start`), while the host's RSS,
# file descriptors, threads and live pipelines are sampled. What must hold: once the traffic
# stops, the host is back where it was after warm-up — no fd growth, no live pipeline — and RSS
# grows under 1 MB per 1,000 calls once the load is steady.
#
#   bench/soak.sh [--minutes M]      full run (default 10 minutes, 150 calls at once)
#   bench/soak.sh --smoke            60 s, 45 calls at once; fails on fd or pipeline growth (CI)
#
# Env: BIN_DIR (mediaflow, mediaflow-loadgen, plugins/; default ./build), PORT (default 18090),
#      (0: any free port), CONCURRENT (calls at once, default 150), CALL_SECONDS (audio per call, default 10),
#      ABNORMAL (every Nth call ends abnormally, default 5), PIPELINES (default "echo record default"),
#      OUT (samples file, default a temp file; its path is printed).
# Prints one JSON summary line on stdout; exit 1 when the fd or pipeline check fails (and, in a
# full run, the RSS check).
set -euo pipefail
minutes=10 smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    *) echo "usage: bench/soak.sh [--minutes M | --smoke]" >&2; exit 2 ;;
  esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${BIN_DIR:-$src/build}" && pwd)
port=${PORT:-18090}
[ "$port" = 0 ] && port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
concurrent=${CONCURRENT:-150}
call_s=${CALL_SECONDS:-10}
abnormal=${ABNORMAL:-5}
pipelines=(${PIPELINES:-echo record default})
soak_s=$((minutes * 60))
if [ "$smoke" = 1 ]; then soak_s=60; concurrent=${CONCURRENT:-45}; call_s=${CALL_SECONDS:-5}; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mediaflow-soak.XXXXXX")
out=${OUT:-$work/samples.tsv}
host=
cleanup() {
  [ -n "$host" ] && kill -TERM "$host" 2>/dev/null && wait "$host" 2>/dev/null || true
  [ -z "${KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

env PORT="$port" BIND=127.0.0.1 PIPELINES_DIR="$src/pipelines" PLUGIN_DIR="$bin/plugins" \
    RECORDINGS_DIR="$work/recordings" MAX_CONCURRENT_CALLS=$((concurrent * 2 + 50)) LOG_LEVEL=warn \
    GST_REGISTRY="$work/registry.bin" "$bin/mediaflow" serve 2>"$work/host.log" &
host=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "soak: host did not start" >&2; cat "$work/host.log" >&2; exit 1; }

metric() {  # value of an unlabelled metric, or the sum over a labelled family
  curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { print s + 0 }'
}
sample() {  # elapsed rss_kb fds threads pipelines_live calls_active calls_ended connections_without_start
  local rss threads fds
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$host/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$host/status")
  fds=$(ls "/proc/$host/fd" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( $(date +%s) - t_start ))" "$rss" "$fds" "$threads" \
    "$(metric mediaflow_pipelines_live)" "$(metric mediaflow_calls_active)" "$(metric mediaflow_calls_total)" \
    "$(metric mediaflow_connections_without_start_total)"
}
wait_idle() {  # until no call and no pipeline is live (bounded)
  for _ in $(seq 300); do
    [ "$(metric mediaflow_calls_active)" = 0 ] && [ "$(metric mediaflow_pipelines_live)" = 0 ] && break
    sleep 0.1
  done
  sleep 2  # recorders' writer pool, transcript files, sockets in their close handshake
}
lane() {  # pipeline, per-lane calls, start delay: back-to-back load runs until the soak ends
  local pipeline=$1 calls=$2 delay=$3 n=0 check=
  [ "$pipeline" = echo ] || check=--no-echo-check
  sleep "$delay"
  while [ "$(date +%s)" -lt "$t_end" ]; do
    n=$((n + 1))
    "$bin/mediaflow-loadgen" --url "ws://127.0.0.1:$port/rtm/voice" --calls "$calls" --ramp "$call_s" \
      --duration "$call_s" --pipeline "$pipeline" --abnormal "$abnormal" $check \
      >"$work/lane-$pipeline-$delay-$n.out" 2>&1 || echo "lane $pipeline run $n: failed" >>"$work/failures"
  done
}

t_start=$(date +%s)
printf 'elapsed_s\trss_kb\tfds\tthreads\tpipelines_live\tcalls_active\tcalls_ended\tconnections_without_start\n' >"$out"
# Warm-up: every pipeline once (registry, writer and decoder pools, caches), then the baseline.
for p in "${pipelines[@]}"; do
  "$bin/mediaflow-loadgen" --url "ws://127.0.0.1:$port/rtm/voice" --calls 10 --ramp 1 --duration 2 \
    --pipeline "$p" --abnormal 3 --no-echo-check >"$work/warmup-$p.out" 2>&1 || true
done
wait_idle
baseline=$(sample); echo "$baseline" >>"$out"
calls_before=$(metric mediaflow_calls_total); conns_before=$(metric mediaflow_connections_without_start_total)

# Each pipeline gets two lanes, the second started one call length later, so new calls arrive
# the whole time and about `concurrent` are live at once.
per_lane=$(( (concurrent + ${#pipelines[@]} - 1) / ${#pipelines[@]} ))
t_end=$(( $(date +%s) + soak_s ))
for p in "${pipelines[@]}"; do
  lane "$p" "$per_lane" 0 &
  lane "$p" "$per_lane" "$call_s" &
done
while [ "$(date +%s)" -lt "$t_end" ]; do sample >>"$out"; sleep 5; done
wait $(jobs -p | grep -v "^$host\$") 2>/dev/null || true
wait_idle
final=$(sample); echo "$final" >>"$out"

calls=$(( $(metric mediaflow_calls_total) - calls_before ))
conns=$(( $(metric mediaflow_connections_without_start_total) - conns_before ))
read -r _ rss0 fds0 threads0 _ _ _ _ <<<"$baseline"
read -r _ rss1 fds1 threads1 live1 active1 _ _ <<<"$final"
peak_rss=$(awk -F'\t' 'NR > 1 && $2 > m { m = $2 } END { print m }' "$out")
peak_fds=$(awk -F'\t' 'NR > 1 && $3 > m { m = $3 } END { print m }' "$out")
# RSS growth per 1,000 calls at steady state: from the first sample past a third of the soak
# (the allocator's arenas and GStreamer's caches have reached the high-water mark of `concurrent`
# live calls by then) to the last sample of the load. The idle-to-idle difference is reported too:
# what the process keeps after its peak, not what each call leaves.
warm_at=$((soak_s / 3))
rss_per_1000=$(awk -F'\t' -v w="$warm_at" -v end="$soak_s" 'NR > 2 && $1 >= w && !r0 { r0 = $2; c0 = $7 }
  NR > 2 && $1 <= end + 10 && $6 > 0 { r1 = $2; c1 = $7 }
  END { printf "%.1f", (c1 > c0) ? (r1 - r0) * 1000 / (c1 - c0) : 0 }' "$out")
retained_kb=$((rss1 - rss0))
failed_runs=$( [ -f "$work/failures" ] && wc -l <"$work/failures" || echo 0)
ok=1 why=""
[ "$fds1" -le $((fds0 + 4)) ] || { ok=0; why="$why fd growth $fds0 -> $fds1;"; }
[ "$live1" = 0 ] || { ok=0; why="$why $live1 pipelines still live;"; }
[ "$active1" = 0 ] || { ok=0; why="$why $active1 calls still active;"; }
[ "$calls" -gt 0 ] || { ok=0; why="$why no call ran;"; }
[ "$failed_runs" = 0 ] || { ok=0; why="$why $failed_runs load runs had calls that did not complete or frames lost;"; }
if [ "$smoke" = 0 ]; then
  awk -v r="$rss_per_1000" 'BEGIN { exit !(r < 1024) }' || { ok=0; why="$why RSS grew $rss_per_1000 kB per 1000 calls at steady state;"; }
fi
printf '{"mode":"%s","seconds":%d,"concurrent":%d,"call_s":%d,"pipelines":"%s","calls":%d,"connections_without_start":%d,'\
'"failed_load_runs":%d,"rss_kb":{"baseline":%d,"peak":%d,"final":%d,"retained_after_peak":%d,"steady_growth_per_1000_calls":%s},'\
'"fds":{"baseline":%d,"peak":%d,"final":%d},"threads":{"baseline":%d,"final":%d},"pipelines_live_final":%d,"ok":%s}\n' \
  "$([ "$smoke" = 1 ] && echo smoke || echo full)" "$soak_s" "$concurrent" "$call_s" "${pipelines[*]}" "$calls" "$conns" \
  "$failed_runs" "$rss0" "$peak_rss" "$rss1" "$retained_kb" "$rss_per_1000" "$fds0" "$peak_fds" "$fds1" "$threads0" "$threads1" "$live1" \
  "$([ $ok = 1 ] && echo true || echo false)"
echo "soak: samples in $out${KEEP:+ (kept)}" >&2
if [ "$ok" = 0 ]; then
  echo "soak: FAILED:$why" >&2
  [ -f "$work/failures" ] && cat "$work/failures" >&2
  exit 1
fi
