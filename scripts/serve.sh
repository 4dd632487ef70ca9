#!/usr/bin/env bash
# Installs what is missing, builds, and starts the host on its embedded default pipeline.
# Environment variables (PORT, MEDIA_AUTH_TOKEN, …) pass through; see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh default >&2
exec build/mediaflow serve "$@"
