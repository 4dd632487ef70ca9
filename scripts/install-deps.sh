#!/usr/bin/env bash
# Installs every Debian 12 package mediaflow needs to build, test and run. Idempotent: when
# everything is present it only checks (under a second) and installs nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-tools
  libsoup-3.0-dev libjson-glib-dev libboost-dev libjwt-dev libsimdjson-dev libssl-dev
  libgtest-dev
  # cluster-wide call limits (REDIS_URL): hiredis and its GLib adapter; redis-server for the tests
  libhiredis-dev redis-server
  # TLS for the vendor WebSockets (wss://) through GIO (already a dependency of libsoup 3)
  glib-networking
  # offline speech recognition (sphinxasr: pocketsphinx C API and its en-us model)
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
  # offline voice agent (espeakagent: the espeak-ng C API)
  libespeak-ng-dev
  # test and demo tools: synthetic speech and an independent WAV reader
  espeak-ng gstreamer1.0-espeak sox
  # benchmark scripts (bench/): health polling, arithmetic, instruction counts
  curl bc valgrind
  # an independent JSON Schema (2020-12) validator for pipelines/schema.json
  python3-jsonschema
  # `mediaflow graph -o x.svg` renders with Graphviz `dot` (its test draws a real SVG)
  graphviz
  # deploy/ checks (scripts/check-deploy.sh): haproxy -c and a live check, promtool (Debian ships
  # it only in the prometheus package), systemd-analyze, docker-compose config (client only, no
  # engine), YAML for the Kubernetes manifests
  haproxy prometheus systemd docker-compose python3-yaml
  # evidence: S3 uploads (AWS SigV4) and call-event webhooks over HTTP
  libcurl4-openssl-dev
  # evidence tests: s3rver and a Standard Webhooks receiver (tests/servers, npm ci below)
  nodejs
  # the sanitized preset and fuzzing (tests/fuzz, scripts/fuzz.sh): clang-14, its
  # libFuzzer/sanitizer runtimes, and llvm-symbolizer for readable crash stacks
  clang-14 libclang-rt-14-dev llvm-14
)

# The Node servers the evidence tests run (versions pinned by tests/servers/package-lock.json).
install_test_servers() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/servers"
  [ -d "$dir/node_modules/s3rver" ] && [ -d "$dir/node_modules/standardwebhooks" ] && return 0
  command -v npm >/dev/null || return 0
  echo "install-deps: npm ci in tests/servers" >&2
  npm ci --prefix "$dir" --no-audit --no-fund >/dev/null
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_test_servers
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_test_servers
