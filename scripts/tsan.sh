#!/usr/bin/env bash
# Builds the `tsan` preset (ThreadSanitizer) and runs the tests that exercise threads: the
# recorder's writer pool, the sphinx decoder pool, the espeak synthesis pool and agent threads,
# the vendor clients' loop threads, the host's workers, drain and loop mailbox (HostTest and
# HostLifecycle run the TSan-built `mediaflow serve` as a child process), logging and metrics.
# Reports of every process, children included, land in build-tsan/tsan-reports/; any report
# not covered by tests/tsan.supp fails the run. Extra arguments go to ctest (e.g. -R Log).
# Not part of scripts/test.sh: too slow for CI's budget (docs/security.md, "ThreadSanitizer").
set -euo pipefail
cd "$(dirname "$0")/.."
# Since the transport refactor also: the vendor base and its elements (AssemblyAI, ElevenLabs
# TTS, the conformance suites), the WebSocket engine's stream, the egress base, jambonz calls,
# the evidence spool and uploaders (their worker threads), and every Host* suite.
threaded='^(Log|Metrics|SphinxPoolQueue|OfflineAsr|EspeakSynthesisPool|EspeakSynthesisPoolUnit|OfflineAgentSpeech|OfflineAgent|RecorderPipelineTest|RecorderFaults|EpollDispatcher|WebSocketClient|WebSocketStreamTest|DeepgramAsrTest|AssemblyAiAsrTest|ElevenLabsTtsElement|ElevenLabsAgent|ElevenLabsHost|Formats/ElevenLabsHostFormats|Asr/AsrVendorConformance|Tts/TtsConformance|VendorBase|EgressSink|IngestMarkEcho|TranscriptStream|TwilioLive|Formats/JambonzHost|JambonzCaller|Spool|EvidenceService|EvidenceHostTest|ClusterAdmissionTest|Host[A-Za-z]*Test|HostLifecycle|HostFrontEnd|HostCrashRecovery)\.'
# These two run the recorder in a gst-launch-1.0 child, which is not TSan-built and cannot load
# the TSan-built plugins (libtsan cannot be dlopen'ed: "cannot allocate memory in static TLS
# block"); the writer pool they reach is exercised in-process by RecorderPipelineTest.
not_here='^RecorderFaults\.(FullDiskViaFileSizeLimit|SigkillMidRecording)'
scripts/install-deps.sh
scripts/build.sh tsan
reports=build-tsan/tsan-reports
rm -rf "$reports" && mkdir -p "$reports"
rc=0
ctest --preset tsan -j "$(nproc)" -R "$threaded" -E "$not_here" "$@" || rc=$?
if compgen -G "$reports/report*" > /dev/null; then
  cat "$reports"/report*
  echo "tsan: $(grep -l 'WARNING: ThreadSanitizer' "$reports"/report* | wc -l) process(es) reported (above; files in $reports)" >&2
  rc=1
fi
exit "$rc"
