#!/bin/sh
# The whole scaling table of docs/benchmarks.md in one go: every pipeline × every call count,
# one JSON line per run appended to OUT (default /tmp/mediaflow-bench.jsonl). The vendor
# pipelines run against the test fakes as separate processes (one fake per run, so each
# latency report covers that run only); the fakes' reports go to OUT.vendor.
#   bench/all_pipelines.sh "10 100 500 1000 2000" [DURATION_S] [PIPELINES]
#   bench/all_pipelines.sh --smoke     correctness only (CI, < 20 s): echo, transcribe-deepgram
#                                      and agent-elevenlabs, each with its floor, 10 calls x 3 s
# PIPELINES defaults to "echo record default transcribe-deepgram agent-elevenlabs"; `default`
# loops a spoken sentence (AUDIO=speech) because its ASR works only on speech. echo and the
# vendor pipelines are each measured beside their floor (bench/scaling.sh, FLOOR): the floor
# runs against the same fake process as the pipeline, just before it.
# Env: as bench/scaling.sh (BIN_DIR, PORT, RAMP_RATE, NICE, LOADGEN_THREADS, FLOOR), OUT.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN_DIR:-./build}
free_ports() {  # N free loopback ports, one interpreter start (slow on a busy machine)
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
wait_port() {  # until something answers HTTP on 127.0.0.1:PORT (at most 5 s)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done
}
smoke=0
if [ "${1:-}" = --smoke ]; then
  # Ten calls for three seconds through each floor and its pipeline: every call completes, every
  # echo frame comes back, the agent audio reaches the caller through both, and each pipeline
  # row carries its ratio to the floor. Free ports and a temp OUT. Why not 2 calls x 2 s: /proc
  # gives CPU time in whole 10 ms ticks, and 4 call-seconds of the echo floor (~2 ms) read as 0,
  # so there was no ratio to check; 30 call-seconds read as 1-2 ticks.
  smoke=1
  work=$(mktemp -d "${TMPDIR:-/tmp}/mediaflow-floor-smoke.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  set -- 10 3 "echo transcribe-deepgram agent-elevenlabs"
  OUT=$work/runs.jsonl
  RAMP_S=0.5
  export RAMP_S
fi
counts=$1; duration=${2:-15}
pipelines=${3:-"echo record default transcribe-deepgram agent-elevenlabs"}
out=${OUT:-/tmp/mediaflow-bench.jsonl}
run() {  # PIPELINE N: one scaling.sh run (with the fake a vendor pipeline needs), appended to $out
  case $1 in
    default)
      AUDIO=speech "$here/scaling.sh" default "$2" "$duration" >>"$out" ;;
    transcribe-deepgram)
      "$bin/tests/fake-deepgram" --port $dg_port --key test-key --latency-report "$out.vendor" >/dev/null 2>&1 &
      fake=$!
      wait_port $dg_port
      BENCH_PIPELINES=1 LOADGEN_ARGS=--no-echo-check \
        EXTRA_ENV="DEEPGRAM_API_KEY=test-key DEEPGRAM_WS_URL=ws://127.0.0.1:$dg_port/v1/listen" \
        "$here/scaling.sh" transcribe-deepgram "$2" "$duration" >>"$out"
      kill -TERM $fake; wait $fake || true ;;
    agent-elevenlabs)
      "$bin/tests/fake-elevenlabs" --port $el_port --bench-stream >/dev/null 2>&1 &
      fake=$!
      wait_port $el_port
      env -u ELEVENLABS_API_KEY LOADGEN_ARGS="--no-echo-check --vendor-stamps" \
        EXTRA_ENV="ELEVENLABS_WS_URL=ws://127.0.0.1:$el_port/v1/convai/conversation ELEVENLABS_AGENT_ID=agent_test" \
        "$here/scaling.sh" agent-elevenlabs "$2" "$duration" >>"$out"
      kill -TERM $fake; wait $fake || true ;;
    *)
      "$here/scaling.sh" "$1" "$2" "$duration" >>"$out" ;;
  esac
}
if [ "$smoke" = 1 ]; then
  # Correctness only: the three pipelines side by side, each on its own ports (floor then
  # pipeline within each, as in a measurement).
  set -- $(free_ports 9)
  for p in $pipelines; do
    (PORT=$1 dg_port=$2 el_port=$3 LOG_DIR=$work/$p out=$work/$p.jsonl
     mkdir -p "$LOG_DIR"; export PORT LOG_DIR; run "$p" "$counts" 2>"$work/$p.log") &
    shift 3
  done
  wait
  for p in $pipelines; do cat "$work/$p.jsonl" >>"$out" 2>/dev/null || true; cat "$work/$p.log" >&2; done
else
  dg_port=18765; el_port=18766
  for p in $pipelines; do
    for n in $counts; do run "$p" "$n"; done
  done
fi

[ "$smoke" = 1 ] || exit 0
python3 - "$here/table.py" "$out" $pipelines <<'CHECK'
import json, runpy, sys
table, out, pipelines = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.argv = [table, out]
sys.stdout = sys.stderr
runpy.run_path(table)  # the tables, as bench/table.py prints them
runs = [json.loads(l) for l in open(out) if l.startswith("{")]
errors = []
ratios = 0
for p in pipelines:
    floor = next((r for r in runs if r.get("floor_of") == p), None)
    host = next((r for r in runs if r["pipeline"] == p), None)
    if not floor or not host:
        errors.append(f"{p}: missing {'floor' if not floor else 'pipeline'} run")
        continue
    for name, r in ((floor["pipeline"], floor), (p, host)):
        if r["completed"] != r["calls"]:
            errors.append(f"{name}: {r['completed']} of {r['calls']} calls completed")
        if p == "echo" and (r["frames_sent"] == 0 or r["frames_lost"] != 0 or r["frames_matched"] != r["frames_sent"]):
            errors.append(f"{name}: {r['frames_lost']} of {r['frames_sent']} echo frames lost")
        if p == "agent-elevenlabs" and not r["vendor_latency_ms"]["stamped_frames"]:
            errors.append(f"{name}: no agent audio came back to the caller")
    # A floor cheaper than one 10 ms tick of /proc CPU time has no ratio (null), by design;
    # otherwise the ratio must be there. At least one of the three must have one.
    ratio = host.get("cpu_ratio_to_floor", "missing")
    below_tick = host.get("floor", {}).get("cpu_ms_per_call_second") == 0
    if isinstance(ratio, (int, float)) and ratio > 0:
        ratios += 1
    elif not (ratio is None and below_tick):
        errors.append(f"{p}: no ratio to the floor ({ratio!r})")
if not ratios:
    errors.append("no pipeline has a ratio to its floor")
for e in errors:
    print("floor smoke: " + e, file=sys.stderr)
print("floor smoke: " + ("FAILED" if errors else "ok"), file=sys.stderr)
sys.exit(1 if errors else 0)
CHECK
