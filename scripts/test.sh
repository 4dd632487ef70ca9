#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite through ctest: once in the
# normal build and once under AddressSanitizer + UndefinedBehaviorSanitizer.
# MEDIAFLOW_TEST_PRESETS="default" limits it to one build (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in ${MEDIAFLOW_TEST_PRESETS:-default asan}; do
  echo "== build + test: $preset"
  scripts/build.sh "$preset"
  ctest --preset "$preset" -j "$(nproc)"
done
scripts/check-deploy.sh   # deploy/: systemd, HAProxy, Prometheus, Grafana, compose, Kubernetes, Dockerfile
