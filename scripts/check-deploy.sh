#!/usr/bin/env bash
# Checks every file under deploy/ with the tool that understands it, in a few seconds, without a
# container engine or a running systemd (what each check covers: docs/deploy.md#what-ci-checks).
# Run by scripts/test.sh after the build (the Dockerfile check reads the built binary; without
# a build it says so and skips that part). Packages: scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's python3 (with python3-yaml), not whatever python3 comes first on PATH.
PY=/usr/bin/python3
BUILD_DIR="${MEDIAFLOW_BUILD_DIR:-build}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step() { echo "== check-deploy: $*"; }

step "systemd unit: systemd-analyze verify (syntax, known directives, ExecStart executable)"
# verify resolves ExecStart, so check a copy whose ExecStart is a binary that exists here (the
# real one when built); it warns, without failing, on unknown keys: any output is a failure.
exec_start="$(realpath "$BUILD_DIR/mediaflow" 2>/dev/null || echo /bin/true)"
sed "s#/opt/mediaflow/bin/mediaflow#$exec_start#" deploy/systemd/mediaflow.service >"$tmp/mediaflow.service"
verify_out="$(systemd-analyze verify "$tmp/mediaflow.service" 2>&1)" || { echo "$verify_out"; exit 1; }
[ -z "$verify_out" ] || { echo "$verify_out"; echo "systemd-analyze verify: warnings above" >&2; exit 1; }
echo "  ok (ExecStart checked as $exec_start)"

step "systemd unit: hardening, systemd-analyze security --offline (exposure must stay <= 2.0)"
systemd-analyze security --offline=yes --threshold=20 "$tmp/mediaflow.service" | tail -n 1

step "HAProxy: haproxy -c with the shipped defaults and with fleet-test style addresses"
haproxy -c -q -f deploy/haproxy/haproxy.cfg
MEDIAFLOW_LB_BIND=127.0.0.1:18080 MEDIAFLOW_HOST_1=127.0.0.1:18081 MEDIAFLOW_HOST_2=127.0.0.1:18082 \
  MEDIAFLOW_HOST_3=127.0.0.1:18083 MEDIAFLOW_LB_ADMIN_SOCKET="$tmp/admin.sock" \
  haproxy -c -q -f deploy/haproxy/haproxy.cfg
echo "  ok"

step "HAProxy: live, three stub hosts on loopback (503 -> out of rotation, tunnels kept, back on 200)"
"$PY" scripts/check_haproxy_drain.py deploy/haproxy/haproxy.cfg

step "Prometheus: promtool check rules + promtool test rules"
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts_test.yml

step "Grafana dashboard: valid JSON, and every panel's PromQL parses (promtool, as recording rules)"
"$PY" - deploy/grafana/mediaflow.json "$tmp/dashboard_rules.yml" <<'EOF'
import json, sys, yaml
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
# Grafana's variables are not PromQL: give them values Prometheus would see.
exprs = [e.replace("$__rate_interval", "5m").replace("$instance", ".*") for e in exprs]
rules = [{"record": f"dashboard:panel_{i}", "expr": e} for i, e in enumerate(exprs)]
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
print(f"  {len(dash['panels'])} panels, {len(exprs)} queries")
EOF
promtool check rules "$tmp/dashboard_rules.yml" >/dev/null
echo "  ok: every query parses"

step "compose: docker-compose config (the Compose schema; needs no engine)"
docker-compose -f deploy/compose.yaml config -q
echo "  ok"

step "Kubernetes manifests: YAML syntax"
"$PY" -c 'import sys, yaml; [list(yaml.safe_load_all(open(f))) for f in sys.argv[1:]]; print("  ok:", *sys.argv[1:])' \
  deploy/kubernetes/*.yaml

step "consistency: shutdown timings, paths, selectors, runbook anchors, Dockerfile runtime packages"
"$PY" scripts/check_deploy_consistency.py "$BUILD_DIR"

step "layout: the binary, libmediaflow_sdk and the plugins copied as the image and the unit lay them out"
if [ -x "$BUILD_DIR/mediaflow" ]; then
  # /opt/mediaflow/bin/{mediaflow,libmediaflow_sdk.so.N,plugins/}: found through $ORIGIN RPATHs,
  # not through the build tree (moved away for the check) or LD_LIBRARY_PATH.
  mkdir -p "$tmp/opt/bin/plugins"
  cp "$BUILD_DIR/mediaflow" "$tmp/opt/bin/"
  cp -P "$BUILD_DIR"/libmediaflow_sdk.so.* "$tmp/opt/bin/"
  cp "$BUILD_DIR"/plugins/*.so "$tmp/opt/bin/plugins/"
  listed="$(env -u LD_LIBRARY_PATH -u PLUGIN_DIR GST_REGISTRY="$tmp/registry.bin" "$tmp/opt/bin/mediaflow" plugins)"
  for so in "$BUILD_DIR"/plugins/*.so; do
    name="$(basename "$so" .so)"; name="${name#libmediaflow_}"
    case "$name" in fixture*) continue ;; esac
    grep -q "$name" <<<"$listed" || { echo "$listed"; echo "plugin $name not loaded from the copied layout" >&2; exit 1; }
  done
  echo "  ok: $(ls "$tmp/opt/bin/plugins" | wc -l) plugins load from the copied layout"
else
  echo "  skip: no $BUILD_DIR/mediaflow (build first)"
fi

echo "== check-deploy: all deploy checks passed"
