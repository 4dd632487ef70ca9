#!/bin/sh
# Instructions per 20 ms frame of one recogniser element alone, offline (gst-launch-1.0 under
# callgrind, no host, nothing dropped: `max-lag` is lifted so a slow valgrind run loses no
# audio, which the host-level runs cannot guarantee for a decoder that costs ~1 M
# instructions per frame). Audio: the 4 s block of bench/callgrind_speech_cost.sh (line
# noise, "yes" once) repeated, 16 kHz; the difference SHORT→LONG over the extra frames.
#   bench/callgrind_asr_cost.sh [ELEMENT_ARGS] [SHORT_S LONG_S]   (BIN_DIR, OUT_DIR)
#   e.g. bench/callgrind_asr_cost.sh 'sphinxasr keywords="yes, no"'
set -eu
. "$(dirname "$0")/callgrind_host.sh"
element=${1:-sphinxasr keywords=\"yes, no\"}; short=${2:-4}; long=${3:-12}
bin=${BIN_DIR:-./build}
out=${OUT_DIR:-/tmp}/callgrind-asr
work=$(mktemp -d "${TMPDIR:-/var/tmp}/mediaflow-cg-asr.XXXXXX")
make_speech_block "$work" 16000
for d in $short $long; do
  repeat_block "$work" "$d" "$work/in$d.wav"
  # 20 ms buffers as in a call: wavparse in push mode (after a queue) passes on filesrc's blocks.
  eval "GST_PLUGIN_PATH=$bin/plugins GST_REGISTRY=$out.registry.bin valgrind --tool=callgrind \
      --callgrind-out-file=$out.$d gst-launch-1.0 -q filesrc location=$work/in$d.wav blocksize=640 ! queue ! \
      wavparse ! $element max-lag=600000" >"$out.$d.log" 2>&1
done
rm -rf "$work"
frames=$(( (long - short) * 50 ))
echo "$element: $(( ($(callgrind_total "$out.$long") - $(callgrind_total "$out.$short")) / frames )) instructions per 20 ms frame"
echo "per function: $(dirname "$0")/callgrind_diff.py $out.$short $out.$long $frames yes"
