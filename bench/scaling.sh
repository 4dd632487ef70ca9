#!/bin/sh
# Scaling table for docs/benchmarks.md: starts `mediaflow serve` from BIN_DIR on PORT, then
# runs mediaflow-loadgen against it for each call count, one JSON line per run on stdout.
#   bench/scaling.sh PIPELINE "10 100 500 1000 2000" [DURATION_S]
# Env: BIN_DIR (mediaflow, mediaflow-loadgen, plugins/; default ./build), PORT (default 18080),
#      RAMP_RATE calls per second (default 100), EXTRA_ENV for the host (e.g. DEEPGRAM_URL=...),
#      LOADGEN_ARGS (e.g. --no-echo-check), LOADGEN_THREADS (client engines, default 1),
#      AUDIO=speech (every call loops a ~5 s clip: one espeak-ng sentence, then 3.5 s of
#      silence, made here with sox as 8 kHz mono WAV; implies --no-echo-check) or
#      AUDIO=/path/file.wav,
#      NICE (e.g. -5: host and loadgen at that niceness, to shield the measurement from
#      concurrent compiles on a shared machine).
set -eu
pipeline=$1; counts=$2; duration=${3:-20}
bin=${BIN_DIR:-./build}; port=${PORT:-18080}; rate=${RAMP_RATE:-100}
src=$(cd "$(dirname "$0")/.." && pwd)
rec=$(mktemp -d "${TMPDIR:-/var/tmp}/mediaflow-bench-rec.XXXXXX")
reg=$(mktemp -u /tmp/mediaflow-bench-registry.XXXXXX.bin)
audio_args=
case "${AUDIO:-}" in
  "") ;;
  speech)
    # A caller in a conversation: a short sentence, then listening (~30 % speech). Calls start
    # at different moments of the ramp, so their speech does not line up.
    espeak-ng -w "$rec.espeak.wav" "Yes, that is right, thank you." 2>/dev/null
    sox -q "$rec.espeak.wav" -r 8000 -c 1 -b 16 -e signed-integer "$rec.speech.wav" pad 0 3.5
    rm -f "$rec.espeak.wav"
    audio_args="--audio $rec.speech.wav" ;;
  *) audio_args="--audio $AUDIO" ;;
esac
ulimit -n "$(ulimit -Hn)"
# BENCH_PIPELINES=1: the host serves the shipped pipelines with bench/pipelines/*.json on top
# (transcribe-deepgram tagged with the loadgen's bench_t0_ns for the fake vendor's latency
# report; docs/benchmarks.md "Fake vendors under load").
pipelines="$src/pipelines"
if [ "${BENCH_PIPELINES:-0}" = 1 ]; then
  pipelines=$(mktemp -d "${TMPDIR:-/tmp}/mediaflow-bench-pipelines.XXXXXX")
  trap 'rm -rf "$pipelines"' EXIT
  cp "$src"/pipelines/*.json "$pipelines"/
  cp "$src"/bench/pipelines/*.json "$pipelines"/  # same names replace the shipped ones
fi
for n in $counts; do
  env PORT="$port" BIND=127.0.0.1 PIPELINES_DIR="$pipelines" PLUGIN_DIR="$bin/plugins" \
      RECORDINGS_DIR="$rec" MAX_CONCURRENT_CALLS=$((n + 10)) LOG_LEVEL=warn GST_REGISTRY="$reg" \
      ${EXTRA_ENV:-} ${NICE:+nice -n $NICE} "$bin/mediaflow" serve >/tmp/mediaflow-bench-host.log 2>&1 &
  host=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
  ramp=$(awk "BEGIN{r=$n/$rate; print (r<1)?1:r}")
  echo "# $pipeline calls=$n ramp=$ramp duration=$duration load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  out=$(${NICE:+nice -n $NICE} "$bin/mediaflow-loadgen" --url "ws://127.0.0.1:$port/rtm/voice" --host-pid "$host" \
      --calls "$n" --ramp "$ramp" --duration "$duration" --threads "${LOADGEN_THREADS:-1}" \
      --pipeline "$pipeline" $audio_args ${LOADGEN_ARGS:-} || true)
  echo "$out" | grep -v '^{' >&2
  echo "$out" | grep '^{' | sed "s/}\$/,\"pipeline\":\"$pipeline\",\"loadavg_after\":\"$(cut -d' ' -f1 /proc/loadavg)\"}/"
  kill -TERM "$host"; wait "$host" || true
  rm -rf "${rec:?}"/*
done
rm -rf "$rec" "$rec.speech.wav" "$reg"
