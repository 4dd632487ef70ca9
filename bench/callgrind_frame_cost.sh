#!/bin/sh
# Reproducible CPU cost per 20 ms frame (instructions, not time: valid on a busy machine).
# Runs `mediaflow serve` under callgrind twice with the same 4 calls, SHORT then LONG seconds
# of audio each; the difference of the two totals divided by the extra frames is the marginal
# cost of one inbound frame (start-up, call setup and teardown cancel out).
#   bench/callgrind_frame_cost.sh PIPELINE [SHORT_S LONG_S]   (BIN_DIR, PORT as in scaling.sh)
# Then per function: bench/callgrind_diff.py OUT.short OUT.long FRAMES yes|no
set -eu
. "$(dirname "$0")/callgrind_host.sh"
pipeline=$1; short=${2:-4}; long=${3:-12}
bin=${BIN_DIR:-./build}; port=${PORT:-18090}; calls=4
src=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT_DIR:-/tmp}/callgrind-$pipeline
for d in $short $long; do
  start_callgrind_host "$d"
  "$bin/mediaflow-loadgen" --url "ws://127.0.0.1:$port/rtm/voice" --calls $calls --ramp 0.2 --duration "$d" \
      --pipeline "$pipeline" --no-echo-check | grep -v '^{' >"$out.$d.loadgen"
  stop_callgrind_host
done
frames=$(( calls * (long - short) * 50 ))
echo "$pipeline: $(( ($(callgrind_total "$out.$long") - $(callgrind_total "$out.$short")) / frames )) instructions per inbound frame (all threads)"
echo "per function: $(dirname "$0")/callgrind_diff.py $out.$short $out.$long $frames yes"
