# Sourced by the callgrind_*_cost.sh scripts: the host under callgrind, the per-frame sum and
# the speech-burst test audio. The host functions expect $bin, $port, $src, $out to be set.

# start_callgrind_host SECONDS: `mediaflow serve` under callgrind writing $out.SECONDS, waits
# until /health answers; sets $host (its pid) and $rec (its recordings folder).
start_callgrind_host() {
  rec=$(mktemp -d "${TMPDIR:-/var/tmp}/mediaflow-cg-rec.XXXXXX")
  env PORT="$port" BIND=127.0.0.1 PIPELINES_DIR="$src/pipelines" PLUGIN_DIR="$bin/plugins" RECORDINGS_DIR="$rec" \
      LOG_LEVEL=warn GST_REGISTRY="$out.registry.bin" \
      valgrind --tool=callgrind --callgrind-out-file="$out.$1" "$bin/mediaflow" serve >"$out.$1.log" 2>&1 &
  host=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
}

# stop_callgrind_host: SIGTERM (callgrind writes its file on exit), then the recordings go.
stop_callgrind_host() {
  kill -TERM "$host"; wait "$host" || true
  rm -rf "$rec"
}

callgrind_total() { callgrind_annotate "$1" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }

# make_speech_block DIR RATE: DIR/block.wav, 4 s of mono 16-bit audio at RATE: 1.5 s of line
# noise (about -60 dBFS), espeak-ng saying "yes" (silence trimmed), noise to 4 s.
make_speech_block() {
  espeak-ng -w "$1/yes.wav" "yes"
  sox "$1/yes.wav" -r "$2" -c 1 -b 16 "$1/yes_r.wav" silence 1 0.01 1% reverse silence 1 0.01 1% reverse
  sox -n -r "$2" -c 1 -b 16 "$1/lead.wav" synth 1.5 whitenoise vol 0.001
  sox -n -r "$2" -c 1 -b 16 "$1/tail.wav" synth "$(echo "4 - 1.5 - $(soxi -D "$1/yes_r.wav")" | bc -l)" whitenoise vol 0.001
  sox "$1/lead.wav" "$1/yes_r.wav" "$1/tail.wav" "$1/block.wav"
}

# repeat_block DIR SECONDS OUT: DIR/block.wav repeated to SECONDS (a multiple of 4) into OUT.
repeat_block() {
  n=$(( $2 / 4 )); files=""; i=0
  while [ $i -lt $n ]; do files="$files $1/block.wav"; i=$((i + 1)); done
  # shellcheck disable=SC2086
  if [ $n -eq 1 ]; then cp "$1/block.wav" "$3"; else sox $files "$3"; fi
}
