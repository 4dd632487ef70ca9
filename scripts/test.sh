#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite through ctest: once in the
# normal build, once under AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzz smoke
# (every libFuzzer target for a short bounded run over its seeds and regression inputs, see
# scripts/fuzz.sh), then the deploy/ checks. Prints how long each stage took.
# MEDIAFLOW_TEST_PRESETS="default" limits it to one build (quick local runs).
#
# While one preset's tests run, the next preset is built in the background at nice 19: most
# tests wait on real time, so the default suite leaves most of the CPU idle, and a nice-19
# compile takes only that (the tests keep their CPU; the same suites passed beside nice-19
# fuzzers). Its output goes to a temporary log, shown if it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# Tests per core, per preset. Most tests wait on real time (paced audio, timeouts, a vendor's
# answer): at -j2 the default suite used 0.47 of a core out of 2, so it runs four per core
# (2 cores: 334 s at -j2, 275 s at -j4, 240 s at -j8). The sanitized suite is CPU-bound from
# -j4 on (1.77 of 2 cores), so two per core. A fuzz smoke run is CPU-bound by design (each
# target fuzzes for a fixed wall time): one per core, or each would get half the executions.
# docs/benchmarks.md, "CI time".
jobs_for() {
  case "$1" in
    default) echo $(($(nproc) * 4)) ;;
    fuzz) nproc ;;
    *) echo $(($(nproc) * 2)) ;;
  esac
}

read -r -a presets <<< "${MEDIAFLOW_TEST_PRESETS:-default asan fuzz}"
background_pid="" background_log=""
start_background_build() {
  background_log=$(mktemp "${TMPDIR:-/tmp}/mediaflow-build-$1.XXXXXX.log")
  # Its own process group (setsid), so that stopping early stops its compilers too.
  setsid nice -n 19 scripts/build.sh "$1" > "$background_log" 2>&1 &
  background_pid=$!
}
finish_background_build() {  # waits for it; on failure shows its log and stops
  local rc=0
  # Nothing of ours runs beside it now: back to normal priority (needs root or CAP_SYS_NICE;
  # without, it finishes at nice 19, which on an otherwise idle machine is as fast).
  renice -n 0 -g "$background_pid" >/dev/null 2>&1 || true
  wait "$background_pid" || rc=$?
  background_pid=""
  if [ "$rc" -ne 0 ]; then
    tail -n 80 "$background_log"
    echo "== background build FAILED (whole log: $background_log)" >&2
    exit "$rc"
  fi
  rm -f "$background_log"
}
trap '[ -n "$background_pid" ] && kill -- "-$background_pid" 2>/dev/null; true' EXIT

for i in "${!presets[@]}"; do
  preset=${presets[$i]}
  echo "== build + test: $preset"
  start=$SECONDS
  if [ -n "$background_pid" ]; then
    finish_background_build
  else
    scripts/build.sh "$preset"
  fi
  built=$SECONDS
  next=${presets[$((i + 1))]:-}
  [ -n "$next" ] && start_background_build "$next"
  ctest --preset "$preset" -j "$(jobs_for "$preset")"
  echo "== $preset: build $((built - start)) s (after the previous stage's tests), tests $((SECONDS - built)) s"
done
scripts/check-deploy.sh   # deploy/: systemd, HAProxy, Prometheus, Grafana, compose, Kubernetes, Dockerfile
