#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (docs/security.md, "Fuzzing").
#
#   scripts/fuzz.sh [--minutes N] [--runs N] [target…]   long campaign (default 60 min per target)
#   scripts/fuzz.sh --smoke [target…]                     the CI run: ${MEDIAFLOW_FUZZ_SMOKE_SECONDS:-15} s each
#   scripts/fuzz.sh --list                                the targets
#
# Targets run one after another at nice 19: one fuzzer process at a time. A campaign starts from
# the seed corpus (tests/fuzz/corpus/<target>), the regression inputs
# (tests/fuzz/regressions/<target>) and its own working corpus (build-fuzz/fuzz-corpus/<target>,
# kept between campaigns so that several runs add up); new inputs are merged into the working
# corpus, crashes saved under tests/fuzz/crashes/<target>/, and one line per run appended to
# build-fuzz/fuzz-runs.tsv (date, target, execs, seconds, coverage, crashes).
# The smoke run starts from the seeds and regressions only, writes nothing into the source tree
# and fails on the first crash. --build-dir DIR: an existing fuzz build (ctest passes its own);
# without it the `fuzz` preset is built first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=campaign minutes=60 runs="" build_dir="" targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke ;;
    --list) mode=list ;;
    --minutes) minutes="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

if [ -z "$build_dir" ]; then
  build_dir="$root/build-fuzz"
  "$root/scripts/build.sh" fuzz
fi
targets_file="$build_dir/tests/fuzz/targets.txt"
[ -f "$targets_file" ] || { echo "fuzz.sh: no $targets_file (configure the fuzz preset)" >&2; exit 2; }
if [ "$mode" = list ]; then cut -f1 "$targets_file"; exit 0; fi
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cut -f1 "$targets_file")

# UBSan reports are crashes too; known_findings.supp tolerates the findings pending elsewhere.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/fuzz/known_findings.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}"
# The pipeline fuzzer initialises GStreamer: keep its registry out of the user's cache.
export GST_REGISTRY="$build_dir/fuzz-gst-registry.bin"
common=(-rss_limit_mb=2048 -print_final_stats=1)
# An input is a hang past 10 s of wall time. A campaign at nice 19 on a machine busy with builds
# can be starved that long (seen: a 0.1 s input reported at 13 s), so campaigns allow 60 s.
smoke_timeout=10 campaign_timeout=60

flags_of() { awk -F'\t' -v t="$1" '$1 == t { print $2 }' "$targets_file"; }
seed_dirs() {
  local d
  for d in "$root/tests/fuzz/corpus/$1" "$root/tests/fuzz/regressions/$1"; do
    [ -d "$d" ] && printf '%s\n' "$d"
  done
  return 0
}

failed=0
for target in "${targets[@]}"; do
  exe="$build_dir/fuzz/$target"
  grep -q "^$target	" "$targets_file" || { echo "fuzz.sh: unknown target $target" >&2; exit 2; }
  read -r -a flags <<< "$(flags_of "$target")"
  mapfile -t seeds < <(seed_dirs "$target")
  if [ "$mode" = smoke ]; then
    work="$build_dir/fuzz-smoke/$target"
    rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
    echo "== fuzz smoke: $target (${MEDIAFLOW_FUZZ_SMOKE_SECONDS:-15} s)"
    if ! "$exe" "${common[@]}" -timeout=$smoke_timeout "${flags[@]}" -max_total_time="${MEDIAFLOW_FUZZ_SMOKE_SECONDS:-15}" \
         -artifact_prefix="$work/crashes/" "$work/corpus" "${seeds[@]}" > "$work/log" 2>&1; then
      tail -n 60 "$work/log"
      echo "fuzz smoke FAILED: $target (input saved in $work/crashes/)" >&2
      failed=1
      continue
    fi
    grep -E '^stat::number_of_executed_units|^Done ' "$work/log" || true
    continue
  fi

  corpus="$build_dir/fuzz-corpus/$target"
  crashes="$root/tests/fuzz/crashes/$target"
  log="$build_dir/fuzz-logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  echo "== fuzz campaign: $target (${minutes} min${runs:+, at most $runs runs}) → $log"
  start=$(date +%s)
  rc=0
  nice -n 19 "$exe" "${common[@]}" -timeout=$campaign_timeout -report_slow_units=$campaign_timeout "${flags[@]}" -max_total_time=$((minutes * 60)) ${runs:+-runs=$runs} \
    -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" > "$log" 2>&1 || rc=$?
  seconds=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  found=$(find "$crashes" -type f | wc -l)
  # Keep the working corpus to what adds coverage.
  mkdir -p "$corpus.min"
  nice -n 19 "$exe" "${flags[@]}" -merge=1 "$corpus.min" "$corpus" > /dev/null 2>&1 && rm -rf "$corpus" && mv "$corpus.min" "$corpus"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "${execs:-?}" "$seconds" "${cov:-?}" \
    "$(find "$corpus" -type f | wc -l) inputs" "exit $rc, $found saved crash(es)" | tee -a "$build_dir/fuzz-runs.tsv"
  [ "$rc" -eq 0 ] || { tail -n 40 "$log"; failed=1; }
done
exit "$failed"
