#!/bin/sh
# Instructions per inbound 20 ms frame with *realistic caller audio* (bench/callgrind_frame_cost.sh
# feeds every frame random bytes, i.e. loud noise: a recogniser sees 100 % "speech").
# Here each caller is mostly quiet with speech bursts: per 4 s block, low line noise
# (≈ -60 dBFS) with espeak-ng saying "yes" once (≈ 0.4 s of speech, ~10 % of the time; the
# default agent answers each one). Same method as callgrind_frame_cost.sh: `mediaflow serve`
# under callgrind twice, 4 calls (separate `mediaflow dial` processes, not measured) with
# SHORT then LONG seconds of audio; (total_long - total_short) / extra frames.
#   bench/callgrind_speech_cost.sh PIPELINE [SHORT_S LONG_S]   (BIN_DIR, PORT, OUT_DIR)
# Then per function: bench/callgrind_diff.py OUT.short OUT.long FRAMES yes|no
set -eu
. "$(dirname "$0")/callgrind_host.sh"
pipeline=$1; short=${2:-4}; long=${3:-12}
bin=${BIN_DIR:-./build}; port=${PORT:-18090}; calls=4
src=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT_DIR:-/tmp}/callgrind-speech-$pipeline
work=$(mktemp -d "${TMPDIR:-/var/tmp}/mediaflow-cg-audio.XXXXXX")
# One 4 s block: 1.5 s noise, "yes", noise to 4 s; 8 kHz mono (the dialer converts to mu-law).
make_speech_block "$work" 8000
for d in $short $long; do
  repeat_block "$work" "$d" "$work/call$d.wav"
  start_callgrind_host "$d"
  pids=""
  for c in $(seq $calls); do
    GST_REGISTRY="$out.dial-registry.bin" "$bin/mediaflow" dial "ws://127.0.0.1:$port/rtm/voice" --wav "$work/call$d.wav" \
        --param pipeline="$pipeline" --timeout 60 >"$out.$d.dial$c" 2>&1 &
    pids="$pids $!"
    sleep 0.05
  done
  for p in $pids; do wait "$p" || echo "dial $p: exit $? (see $out.$d.dial*)" >&2; done
  stop_callgrind_host
done
rm -rf "$work"
frames=$(( calls * (long - short) * 50 ))
echo "$pipeline (speech bursts): $(( ($(callgrind_total "$out.$long") - $(callgrind_total "$out.$short")) / frames )) instructions per inbound frame (all threads)"
echo "per function: $(dirname "$0")/callgrind_diff.py $out.$short $out.$long $frames yes"
