#!/usr/bin/env python3
"""Checks that the deploy files agree with each other and with the host, where no single tool can:
  - shutdown arithmetic: every stop timeout (systemd TimeoutStopSec, compose stop_grace_period,
    Kubernetes terminationGracePeriodSeconds) exceeds preStop + DRAIN_LAME_DUCK_SECONDS +
    DRAIN_TIMEOUT_SECONDS + the finish margin, and each lame duck exceeds HAProxy's detection time;
  - the systemd unit: writable paths cover RECORDINGS_DIR/SPOOL_DIR, LimitNOFILE covers the calls;
  - compose and HAProxy name the same three hosts; Kubernetes selectors match the pod labels, the
    readiness probe is /health and the liveness probe is not;
  - every alert's runbook_url anchor is a heading in docs/deploy.md; the drain-stuck alert waits
    longer than the longest drain we document;
  - the Dockerfile's runtime stage installs the package of every shared library the built binary
    and plugins link, and of every GStreamer element the shipped pipelines name (needs the build;
    skipped with a notice without it).
Usage: check_deploy_consistency.py [BUILD_DIR]   (Debian's python3 with python3-yaml)"""

import fnmatch
import glob
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# After DRAIN_TIMEOUT_SECONDS a call still live is ended: up to 5 s for its recording's EOS and
# 2 s for the close handshake (docs/architecture.md, CallSession::finish).
FINISH_MARGIN_SECONDS = 7
# The longest lame duck the docs recommend: an ALB (interval 15 s x unhealthy threshold 3 = 45 s) + 5.
LONGEST_LAME_DUCK_SECONDS = 50
DEFAULT_DRAIN_TIMEOUT_SECONDS = 30  # README
DESCRIPTORS_PER_CALL = 6  # kDescriptorsPerCall, core/src/cli/cmd_serve.cpp
# In every Debian 12 base image (apt itself needs them).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}

failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def path(rel):
    return os.path.join(ROOT, rel)


def seconds(value):
    """'45s', '2m', '3m', '1h', '120', 500ms -> seconds (float)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*", str(value))
    if not m:
        raise ValueError(f"not a duration: {value!r}")
    n, unit = float(m.group(1)), m.group(2) or "s"
    return n * {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600}[unit]


def env_file(rel):
    env = {}
    for line in open(path(rel)):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            env[k.strip()] = v.strip()
    return env


def unit_settings(rel):
    settings = {}
    for line in open(path(rel)):
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            k, _, v = line.partition("=")
            settings.setdefault(k, []).append(v)
    return settings


def drain_budget(env, pre_stop=0.0):
    lame = float(env.get("DRAIN_LAME_DUCK_SECONDS", 0))
    drain = float(env.get("DRAIN_TIMEOUT_SECONDS", DEFAULT_DRAIN_TIMEOUT_SECONDS))
    return pre_stop + lame + drain + FINISH_MARGIN_SECONDS, lame


def haproxy_detection_seconds():
    cfg = open(path("deploy/haproxy/haproxy.cfg")).read()
    m = re.search(r"^\s*default-server\b.*\binter\s+(\S+).*\bfall\s+(\d+)", cfg, re.M)
    servers = re.findall(r"^\s*server\s+(\S+)\s+\"\$\{(MEDIAFLOW_HOST_\d)", cfg, re.M)
    return seconds(m.group(1)) * int(m.group(2)), servers


def check_systemd(detection):
    print("systemd unit + env file")
    env = env_file("deploy/systemd/mediaflow.env")
    unit = unit_settings("deploy/systemd/mediaflow.service")
    budget, lame = drain_budget(env)
    stop = seconds(unit["TimeoutStopSec"][0])
    check(stop > budget, f"TimeoutStopSec {stop:g} s > lame duck + drain + {FINISH_MARGIN_SECONDS} s = {budget:g} s")
    check(unit["KillSignal"] == ["SIGTERM"], "KillSignal=SIGTERM")
    check(lame > detection, f"env DRAIN_LAME_DUCK_SECONDS {lame:g} s > HAProxy detection {detection:g} s")
    writable = " ".join(unit.get("ReadWritePaths", [])).split()
    for key in ("RECORDINGS_DIR", "SPOOL_DIR"):
        check(env.get(key) in writable, f"{key}={env.get(key)} is in ReadWritePaths")
    nofile = int(unit["LimitNOFILE"][0])
    calls = int(env.get("MAX_CONCURRENT_CALLS", 1000))
    check(nofile >= calls * DESCRIPTORS_PER_CALL + 64,
          f"LimitNOFILE {nofile} >= MAX_CONCURRENT_CALLS {calls} x {DESCRIPTORS_PER_CALL} + 64")


def check_compose(detection, haproxy_servers):
    print("compose fleet")
    compose = yaml.safe_load(open(path("deploy/compose.yaml")))
    services = compose["services"]
    hosts = sorted(name for name, s in services.items() if s.get("image") == "mediaflow:local")
    check(len(hosts) == 3, f"three mediaflow hosts: {hosts}")
    for name in hosts:
        s = services[name]
        budget, lame = drain_budget(s["environment"])
        grace = seconds(s["stop_grace_period"])
        check(grace > budget, f"{name}: stop_grace_period {grace:g} s > lame duck + drain + margin {budget:g} s")
        check(lame > detection, f"{name}: DRAIN_LAME_DUCK_SECONDS {lame:g} s > HAProxy detection {detection:g} s")
    lb_env = services["haproxy"]["environment"]
    named = sorted(lb_env[var].split(":")[0] for _, var in haproxy_servers)
    check(named == hosts, f"haproxy's MEDIAFLOW_HOST_n name the compose hosts ({named})")


def check_kubernetes():
    print("Kubernetes manifests")
    docs = []
    for f in sorted(glob.glob(path("deploy/kubernetes/*.yaml"))):
        for d in yaml.safe_load_all(open(f)):
            check(bool(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name")),
                  f"{os.path.basename(f)}: {d.get('kind')} has apiVersion, kind, metadata.name")
            docs.append(d)
    by_kind = {d["kind"]: d for d in docs}
    dep = by_kind["Deployment"]
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    c = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
    pre_stop_s = float(pre_stop[-1]) if pre_stop[0].endswith("sleep") else 0.0
    budget, _ = drain_budget(env, pre_stop_s)
    grace = pod["spec"]["terminationGracePeriodSeconds"]
    check(grace > budget, f"terminationGracePeriodSeconds {grace} > preStop + lame duck + drain + margin {budget:g}")
    check(dep["spec"]["selector"]["matchLabels"].items() <= labels.items(), "Deployment selector matches its pod labels")
    check(by_kind["Service"]["spec"]["selector"].items() <= labels.items(), "Service selector matches the pods")
    check(by_kind["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items(),
          "PodDisruptionBudget selector matches the pods")
    check(c["readinessProbe"]["httpGet"]["path"] == "/health", "readiness probe is GET /health")
    check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health",
          "liveness probe is not /health (a draining host answers 503 on purpose)")
    check(dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "rollout keeps every host until its replacement is ready")


def github_anchor(heading):
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def check_alerts_and_docs():
    print("alerts <-> docs/deploy.md")
    anchors = {github_anchor(m) for m in re.findall(r"^#+\s+(.*)$", open(path("docs/deploy.md")).read(), re.M)}
    rules = yaml.safe_load(open(path("deploy/prometheus/alerts.yml")))["groups"][0]["rules"]
    for rule in rules:
        url = rule["annotations"]["runbook_url"]
        check(url.startswith("docs/deploy.md#") and url.split("#", 1)[1] in anchors,
              f"{rule['alert']}: runbook {url} is a heading in docs/deploy.md")
        check("severity" in rule["labels"], f"{rule['alert']}: has a severity")
    stuck = next(r for r in rules if r["alert"] == "MediaflowDrainStuck")
    longest = LONGEST_LAME_DUCK_SECONDS + DEFAULT_DRAIN_TIMEOUT_SECONDS + FINISH_MARGIN_SECONDS
    check(seconds(stuck["for"]) > longest, f"MediaflowDrainStuck waits {stuck['for']} > the longest drain {longest} s")


def dockerfile_runtime_packages():
    text = open(path("deploy/Dockerfile")).read().replace("\\\n", " ")
    runtime = text.rsplit("\nFROM ", 1)[1]
    m = re.search(r"apt-get install (.*?)(&&|$)", runtime, re.M)
    return {w for w in m.group(1).split() if not w.startswith("-")}


def packages_of(files):
    """{file: Debian package} in one dpkg query (each is slow), trying the file as named, its real
    path, and both with /usr in front (Debian 12 is usr-merged: /lib -> /usr/lib)."""
    candidates = {}
    for f in files:
        for c in (f, os.path.realpath(f)):
            candidates.setdefault(c, f)
            if not c.startswith("/usr/"):
                candidates.setdefault("/usr" + c, f)
    out = subprocess.run(["dpkg", "-S"] + sorted(candidates), capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        pkg, _, owned = line.partition(": ")
        if owned in candidates:
            found.setdefault(candidates[owned], pkg.split(":")[0])
    return found


def library_paths():
    """{soname: path} of the x86-64 libraries ld.so would load."""
    paths = {}
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines():
        name, sep, target = line.strip().partition(" => ")
        if sep and "x86-64" in name:
            paths.setdefault(name.split()[0], target)
    return paths


def copied_from_build(name):
    """True if the runtime stage copies build/<name> out of the build stage (globs allowed)."""
    text = open(path("deploy/Dockerfile")).read()
    return any(fnmatch.fnmatch("/src/build/" + name, src)
               for src in re.findall(r"^COPY --from=build (\S+)", text, re.M))


def check_dockerfile(build_dir):
    print("Dockerfile runtime stage vs the built binary")
    binary = os.path.join(build_dir, "mediaflow")
    plugins = sorted(glob.glob(os.path.join(build_dir, "plugins", "*.so")))
    if not os.path.exists(binary):
        print(f"  skip  no {binary}: build first (scripts/build.sh) to check the runtime packages")
        return
    listed = dockerfile_runtime_packages() | BASE_IMAGE_PACKAGES
    needed = {}
    for elf in [binary] + plugins:
        out = subprocess.run(["readelf", "-d", elf], capture_output=True, text=True).stdout
        for soname in re.findall(r"\(NEEDED\).*\[(.*)\]", out):
            needed.setdefault(soname, os.path.basename(elf))
    libs = library_paths()
    elements = set()
    for f in glob.glob(path("pipelines/*.json")):
        if os.path.basename(f) != "schema.json":
            # "@ingest"/"@egress" are the call's transport elements: ours, in build/plugins.
            elements.update(n["element"] for n in json.load(open(f)).get("nodes", [])
                            if not n["element"].startswith("@"))
    # Where each element is loaded from; ours (in the build's plugins/) are copied into the image.
    gst_env = dict(os.environ, GST_PLUGIN_PATH=os.path.abspath(os.path.join(build_dir, "plugins")))
    element_files = {}
    for element in sorted(elements):
        out = subprocess.run(["gst-inspect-1.0", element], capture_output=True, text=True, env=gst_env).stdout
        m = re.search(r"^\s*Filename\s+(\S+)", out, re.M)
        element_files[element] = m.group(1) if m else None
    owners = packages_of([libs[s] for s in needed if s in libs] +
                         [f for f in element_files.values() if f and not f.startswith(os.path.abspath(build_dir))])
    for soname, user in sorted(needed.items()):
        if os.path.exists(os.path.join(build_dir, soname)):  # libmediaflow_sdk: ours, beside the binary
            check(copied_from_build(soname),
                  f"{soname} (linked by {user}) is ours, copied from build/ beside the binary")
            continue
        pkg = owners.get(libs.get(soname))
        check(pkg in listed, f"{soname} (linked by {user}) comes from {pkg}, installed in the image")
    for element, file in sorted(element_files.items()):
        if file and file.startswith(os.path.abspath(build_dir)):
            check(os.path.dirname(file) == os.path.abspath(os.path.join(build_dir, "plugins")),
                  f"element {element} is ours ({os.path.basename(file)}, copied from build/plugins)")
            continue
        pkg = owners.get(file)
        check(pkg in listed, f"element {element} (pipelines/) comes from {pkg}, installed in the image")


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else path("build")
    detection, servers = haproxy_detection_seconds()
    print(f"HAProxy takes a 503 host out after inter x fall = {detection:g} s; servers {[s for s, _ in servers]}")
    check_systemd(detection)
    check_compose(detection, servers)
    check_kubernetes()
    check_alerts_and_docs()
    check_dockerfile(build_dir)
    print(f"{len(failures)} failed" if failures else "all consistent")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
