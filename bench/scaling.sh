#!/bin/sh
# Scaling table for docs/benchmarks.md: starts `mediaflow serve` from BIN_DIR on PORT, then
# runs mediaflow-loadgen against it for each call count, one JSON line per run on stdout.
#   bench/scaling.sh PIPELINE "10 100 500 1000 2000" [DURATION_S]
# Env: BIN_DIR (mediaflow, mediaflow-loadgen, plugins/; default ./build), PORT (default 18080),
#      RAMP_RATE calls per second (default 100), EXTRA_ENV for the host (e.g. DEEPGRAM_URL=...),
#      LOADGEN_ARGS (e.g. --no-echo-check), LOADGEN_THREADS (client engines, default 1),
#      PROTOCOL (twilio, default: Media Streams at /rtm/voice | jambonz: listen at /fork, PCM at
#      RATE Hz, default 16000; the floor speaks Twilio only, so jambonz runs have none),
#      AUDIO=speech (every call loops a ~5 s clip: one espeak-ng sentence, then 3.5 s of
#      silence, made here with sox as 8 kHz mono WAV; implies --no-echo-check) or
#      AUDIO=/path/file.wav,
#      NICE (e.g. -5: host and loadgen at that niceness, to shield the measurement from
#      concurrent compiles on a shared machine), RAMP_S (ramp seconds, overrides RAMP_RATE),
#      BENCH_GST_REGISTRY (a registry file to keep between runs; default a fresh one per run),
#      LOG_DIR (the host's and the floor's output: mediaflow-bench-{host,floor}.log; default /tmp).
# The floor (docs/benchmarks.md, "Against the floor"): before each count, the same loadgen run
# (same N, ramp, duration, arguments) against BIN_DIR/mediaflow-floor on the same port; its JSON
# line comes first ("pipeline":"floor-KIND","floor_of":PIPELINE), and the pipeline's line then
# carries "floor":{...} and "cpu_ratio_to_floor" (host CPU per call-second ÷ the floor's).
#   FLOOR  echo | deepgram | elevenlabs | none; default by pipeline: echo → echo,
#          transcribe-deepgram → deepgram, agent-elevenlabs → elevenlabs, any other → none.
#          The relays reach the vendor the host is given in EXTRA_ENV (DEEPGRAM_WS_URL +
#          DEEPGRAM_API_KEY, ELEVENLABS_WS_URL + ELEVENLABS_AGENT_ID).
#   FLOOR_ARGS  more mediaflow-floor arguments (e.g. --marks).
#   FLOOR_BIN   the floor binary (default BIN_DIR/mediaflow-floor; when an older BIN_DIR has
#          none and FLOOR is not set, the run goes on without a floor).
# PERF_DIR=dir: `perf stat` (software counters and syscall tracepoints: this VM has no PMU, so
#   no cycles or instructions) on the floor and on the host for each run's loadgen time, into
#   dir/NAME-N.stat; PERF_RECORD=1 also `perf record -e cpu-clock` into dir/NAME-N.data (costs
#   CPU of its own: use it in runs whose CPU column is not compared).
set -eu
pipeline=$1; counts=$2; duration=${3:-20}
bin=${BIN_DIR:-./build}; port=${PORT:-18080}; rate=${RAMP_RATE:-100}
case ${PROTOCOL:-twilio} in
  twilio) ws_path=/rtm/voice protocol_args= ;;
  jambonz) ws_path=/fork protocol_args="--protocol jambonz --rate ${RATE:-16000}" ;;
  *) echo "scaling.sh: PROTOCOL must be twilio or jambonz" >&2; exit 2 ;;
esac
src=$(cd "$(dirname "$0")/.." && pwd)
rec=$(mktemp -d "${TMPDIR:-/var/tmp}/mediaflow-bench-rec.XXXXXX")
reg=${BENCH_GST_REGISTRY:-$(mktemp -u /tmp/mediaflow-bench-registry.XXXXXX.bin)}
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
# The floor for this pipeline, and its arguments.
env_value() {  # NAME: its value in EXTRA_ENV ("" when absent)
  for kv in ${EXTRA_ENV:-}; do case $kv in "$1="*) echo "${kv#*=}"; return ;; esac; done
}
floor=${FLOOR:-} floor_header=
if [ -z "$floor" ] && [ "${PROTOCOL:-twilio}" = jambonz ]; then
  floor=none
elif [ -z "$floor" ]; then
  case $pipeline in
    echo) floor=echo ;;
    transcribe-deepgram) floor=deepgram ;;
    agent-elevenlabs) floor=elevenlabs ;;
    *) floor=none ;;
  esac
fi
case $floor in
  none) floor= ;;
  echo) floor_args="--echo" ;;
  deepgram)
    floor_args="--relay deepgram --vendor-url $(env_value DEEPGRAM_WS_URL)"
    floor_header="Authorization: Token $(env_value DEEPGRAM_API_KEY)" ;;
  elevenlabs)
    floor_args="--relay elevenlabs --vendor-url $(env_value ELEVENLABS_WS_URL)?agent_id=$(env_value ELEVENLABS_AGENT_ID)" ;;
  *) echo "scaling.sh: FLOOR must be echo, deepgram, elevenlabs or none" >&2; exit 2 ;;
esac
floor_bin=${FLOOR_BIN:-$bin/mediaflow-floor}
if [ -n "$floor" ] && [ ! -x "$floor_bin" ]; then
  # An older build (BIN_DIR for a before/after) has no floor: measure without, unless asked for.
  [ -n "${FLOOR:-}" ] && { echo "scaling.sh: $floor_bin missing" >&2; exit 2; }
  echo "# no $floor_bin: no floor run (FLOOR_BIN=path/to/mediaflow-floor to use another build's)" >&2
  floor=
fi

wait_health() {
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
}
# One loadgen run against the server PID on $port: JSON line (+ pipeline name and loadavg) on
# stdout, the rest of its report on stderr.
perf_events=task-clock,context-switches,cpu-migrations,page-faults,raw_syscalls:sys_enter,syscalls:sys_enter_sendmsg,syscalls:sys_enter_writev,syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_poll,syscalls:sys_enter_futex
load() {  # PID NAME [JSON fields to add]
  perf_pids=
  if [ -n "${PERF_DIR:-}" ]; then
    mkdir -p "$PERF_DIR"
    perf stat -e "$perf_events" -p "$1" -o "$PERF_DIR/$2-$n.stat" 2>/dev/null &
    perf_pids=$!
    if [ "${PERF_RECORD:-0}" = 1 ]; then
      perf record -q -e cpu-clock -F 999 -p "$1" -o "$PERF_DIR/$2-$n.data" >/dev/null 2>&1 &
      perf_pids="$perf_pids $!"
    fi
  fi
  # shellcheck disable=SC2086
  out=$(${NICE:+nice -n $NICE} "$bin/mediaflow-loadgen" --url "ws://127.0.0.1:$port$ws_path" --host-pid "$1" \
      --calls "$n" --ramp "$ramp" --duration "$duration" --threads "${LOADGEN_THREADS:-1}" \
      --pipeline "$pipeline" $protocol_args $audio_args ${LOADGEN_ARGS:-} || true)
  for p in $perf_pids; do kill -INT "$p"; wait "$p" || true; done
  echo "$out" | grep -v '^{' >&2
  echo "$out" | grep '^{' | sed "s/}\$/,\"pipeline\":\"$2\"${3:-},\"loadavg_after\":\"$(cut -d' ' -f1 /proc/loadavg)\"}/"
}
json_number() {  # JSON KEY: the first number after "KEY": ("" when absent)
  echo "$1" | sed -n "s/.*\"$2\":\(-\{0,1\}[0-9.e+-]*\).*/\1/p" | head -1
}
for n in $counts; do
  if [ -n "${RAMP_S:-}" ]; then ramp=$RAMP_S; else ramp=$(awk "BEGIN{r=$n/$rate; print (r<1)?1:r}"); fi
  floor_fields=
  if [ -n "$floor" ]; then
    # shellcheck disable=SC2086
    ${NICE:+nice -n $NICE} "$floor_bin" --port "$port" $floor_args \
        ${floor_header:+--vendor-header "$floor_header"} ${FLOOR_ARGS:-} \
        >"${LOG_DIR:-/tmp}/mediaflow-bench-floor.log" 2>&1 &
    fpid=$!
    wait_health
    echo "# floor-$floor (for $pipeline) calls=$n ramp=$ramp duration=$duration load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    fline=$(load "$fpid" "floor-$floor" ",\"floor_of\":\"$pipeline\"")
    kill -TERM "$fpid"; wait "$fpid" || true
    [ -n "$fline" ] && echo "$fline"
    fcpu=$(json_number "$fline" cpu_ms_per_call_second); frss=$(json_number "$fline" rss_per_call_kb)
    fdone=$(json_number "$fline" completed); flost=$(json_number "$fline" frames_lost)
    frecv=$(json_number "$fline" frames_received)
    floor_fields=",\"floor\":{\"kind\":\"$floor\",\"cpu_ms_per_call_second\":${fcpu:-null},\"rss_per_call_kb\":${frss:-null},\"completed\":${fdone:-null},\"frames_lost\":${flost:-null},\"frames_received\":${frecv:-null}}"
  fi
  env PORT="$port" BIND=127.0.0.1 PIPELINES_DIR="$pipelines" PLUGIN_DIR="$bin/plugins" \
      RECORDINGS_DIR="$rec" MAX_CONCURRENT_CALLS=$((n + 10)) LOG_LEVEL=warn GST_REGISTRY="$reg" \
      ${EXTRA_ENV:-} ${NICE:+nice -n $NICE} "$bin/mediaflow" serve >"${LOG_DIR:-/tmp}/mediaflow-bench-host.log" 2>&1 &
  host=$!
  wait_health
  echo "# $pipeline calls=$n ramp=$ramp duration=$duration load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  line=$(load "$host" "$pipeline")
  if [ -n "$floor" ] && [ -n "$line" ]; then
    hcpu=$(json_number "$line" cpu_ms_per_call_second)
    ratio=$(awk -v h="${hcpu:-0}" -v f="${fcpu:-0}" 'BEGIN { if (f > 0 && h > 0) printf "%.3f", h / f; else print "null" }')
    echo "# $pipeline: host CPU ${hcpu} ms per call-second = ${ratio} x floor-$floor (${fcpu})" >&2
    line=$(echo "$line" | sed "s/}\$/$floor_fields,\"cpu_ratio_to_floor\":$ratio}/")
  fi
  [ -n "$line" ] && echo "$line"
  kill -TERM "$host"; wait "$host" || true
  rm -rf "${rec:?}"/*
done
rm -rf "$rec" "$rec.speech.wav"
[ -n "${BENCH_GST_REGISTRY:-}" ] || rm -f "$reg"
