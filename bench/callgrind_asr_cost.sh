#!/bin/sh
# Instructions per 20 ms frame of one recogniser element alone, offline (gst-launch-1.0 under
# callgrind, no host, nothing dropped: `max-lag` is lifted so a slow valgrind run loses no
# audio, which the host-level runs cannot guarantee for a decoder that costs ~1 M
# instructions per frame). Audio: the 4 s block of bench/callgrind_speech_cost.sh (line
# noise, "yes" once) repeated, 16 kHz; the difference SHORT→LONG over the extra frames.
#   bench/callgrind_asr_cost.sh [ELEMENT_ARGS] [SHORT_S LONG_S]   (BIN_DIR, OUT_DIR)
#   e.g. bench/callgrind_asr_cost.sh 'sphinxasr keywords="yes, no"'
set -eu
element=${1:-sphinxasr keywords=\"yes, no\"}; short=${2:-4}; long=${3:-12}
bin=${BIN_DIR:-./build}
out=${OUT_DIR:-/tmp}/callgrind-asr
work=$(mktemp -d "${TMPDIR:-/var/tmp}/mediaflow-cg-asr.XXXXXX")
espeak-ng -w "$work/yes.wav" "yes"
sox "$work/yes.wav" -r 16000 -c 1 -b 16 "$work/yes16.wav" silence 1 0.01 1% reverse silence 1 0.01 1% reverse
sox -n -r 16000 -c 1 -b 16 "$work/lead.wav" synth 1.5 whitenoise vol 0.001
tail_len=$(echo "4 - 1.5 - $(soxi -D "$work/yes16.wav")" | bc -l)
sox -n -r 16000 -c 1 -b 16 "$work/tail.wav" synth "$tail_len" whitenoise vol 0.001
sox "$work/lead.wav" "$work/yes16.wav" "$work/tail.wav" "$work/block.wav"
for d in $short $long; do
  n=$(( d / 4 )); set --; i=0; while [ $i -lt $n ]; do set -- "$@" "$work/block.wav"; i=$((i + 1)); done
  if [ $n -eq 1 ]; then cp "$work/block.wav" "$work/in$d.wav"; else sox "$@" "$work/in$d.wav"; fi
  # 20 ms buffers as in a call: wavparse in push mode (after a queue) passes on filesrc's blocks.
  eval "GST_PLUGIN_PATH=$bin/plugins GST_REGISTRY=$out.registry.bin valgrind --tool=callgrind \
      --callgrind-out-file=$out.$d gst-launch-1.0 -q filesrc location=$work/in$d.wav blocksize=640 ! queue ! \
      wavparse ! $element max-lag=600000" >"$out.$d.log" 2>&1
done
rm -rf "$work"
total() { callgrind_annotate "$1" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }
frames=$(( (long - short) * 50 ))
echo "$element: $(( ($(total "$out.$long") - $(total "$out.$short")) / frames )) instructions per 20 ms frame"
echo "per function: $(dirname "$0")/callgrind_diff.py $out.$short $out.$long $frames yes"
