#!/bin/sh
# The whole scaling table of docs/benchmarks.md in one go: every pipeline × every call count,
# one JSON line per run appended to OUT (default /tmp/mediaflow-bench.jsonl). The vendor
# pipelines run against the test fakes as separate processes (one fake per run, so each
# latency report covers that run only); the fakes' reports go to OUT.vendor.
#   bench/all_pipelines.sh "10 100 500 1000 2000" [DURATION_S] [PIPELINES]
# PIPELINES defaults to "echo record default transcribe-deepgram agent-elevenlabs"; `default`
# loops a spoken sentence (AUDIO=speech) because its ASR works only on speech.
# Env: as bench/scaling.sh (BIN_DIR, PORT, RAMP_RATE, NICE, LOADGEN_THREADS), OUT.
set -eu
counts=$1; duration=${2:-15}
pipelines=${3:-"echo record default transcribe-deepgram agent-elevenlabs"}
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN_DIR:-./build}; out=${OUT:-/tmp/mediaflow-bench.jsonl}
dg_port=18765; el_port=18766
for p in $pipelines; do
  for n in $counts; do
    case $p in
      default)
        AUDIO=speech "$here/scaling.sh" default "$n" "$duration" >>"$out" ;;
      transcribe-deepgram)
        "$bin/tests/fake-deepgram" --port $dg_port --key test-key --latency-report "$out.vendor" >/dev/null 2>&1 &
        fake=$!
        sleep 0.5
        BENCH_PIPELINES=1 LOADGEN_ARGS=--no-echo-check \
          EXTRA_ENV="DEEPGRAM_API_KEY=test-key DEEPGRAM_WS_URL=ws://127.0.0.1:$dg_port/v1/listen" \
          "$here/scaling.sh" transcribe-deepgram "$n" "$duration" >>"$out"
        kill -TERM $fake; wait $fake || true ;;
      agent-elevenlabs)
        "$bin/tests/fake-elevenlabs" --port $el_port --bench-stream >/dev/null 2>&1 &
        fake=$!
        sleep 0.5
        env -u ELEVENLABS_API_KEY LOADGEN_ARGS="--no-echo-check --vendor-stamps" \
          EXTRA_ENV="ELEVENLABS_WS_URL=ws://127.0.0.1:$el_port/v1/convai/conversation ELEVENLABS_AGENT_ID=agent_test" \
          "$here/scaling.sh" agent-elevenlabs "$n" "$duration" >>"$out"
        kill -TERM $fake; wait $fake || true ;;
      *)
        "$here/scaling.sh" "$p" "$n" "$duration" >>"$out" ;;
    esac
  done
done
