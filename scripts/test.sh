#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite through ctest: once in the
# normal build, once under AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzz smoke
# (every libFuzzer target for a short bounded run over its seeds and regression inputs, see
# scripts/fuzz.sh). Prints how long each stage took.
# MEDIAFLOW_TEST_PRESETS="default" limits it to one build (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Tests per core, per preset. Most tests wait on real time (paced audio, timeouts, a vendor's
# answer): at -j2 the default suite kept 0.47 of its 2 cores busy, so it runs four per core
# (2 cores: 334 s at -j2, 275 s at -j4, 240 s at -j8). The sanitized suite is CPU-bound from
# -j4 on (177 % of 2 cores), so two per core. A fuzz smoke run is CPU-bound by design (each
# target fuzzes for a fixed wall time): one per core, or each would get half the executions.
# docs/benchmarks.md, "CI time".
jobs_for() {
  case "$1" in
    default) echo $(($(nproc) * 4)) ;;
    fuzz) nproc ;;
    *) echo $(($(nproc) * 2)) ;;
  esac
}
for preset in ${MEDIAFLOW_TEST_PRESETS:-default asan fuzz}; do
  echo "== build + test: $preset"
  start=$SECONDS
  scripts/build.sh "$preset"
  built=$SECONDS
  ctest --preset "$preset" -j "$(jobs_for "$preset")"
  echo "== $preset: build $((built - start)) s, tests $((SECONDS - built)) s"
done
scripts/check-deploy.sh   # deploy/: systemd, HAProxy, Prometheus, Grafana, compose, Kubernetes, Dockerfile
