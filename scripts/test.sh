#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite through ctest: once in the
# normal build, once under AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzz smoke
# (every libFuzzer target for a short bounded run over its seeds and regression inputs, see
# scripts/fuzz.sh). Prints how long each stage took.
# MEDIAFLOW_TEST_PRESETS="default" limits it to one build (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in ${MEDIAFLOW_TEST_PRESETS:-default asan fuzz}; do
  echo "== build + test: $preset"
  start=$SECONDS
  scripts/build.sh "$preset"
  built=$SECONDS
  ctest --preset "$preset" -j "$(nproc)"
  echo "== $preset: build $((built - start)) s, tests $((SECONDS - built)) s"
done
scripts/check-deploy.sh   # deploy/: systemd, HAProxy, Prometheus, Grafana, compose, Kubernetes, Dockerfile
