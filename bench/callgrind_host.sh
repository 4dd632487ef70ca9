# Sourced by the callgrind_*_cost.sh scripts: the host under callgrind, and the per-frame sum.
# Expects $bin, $port, $src, $out to be set.

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
