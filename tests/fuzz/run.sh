#!/usr/bin/env bash
# Runs every fuzzer built in BUILD_DIR for SECONDS each, on a copy of its seed corpus in a
# temporary folder (the repository is never written), and fails on any crash, leak,
# timeout or out-of-memory. Builds nothing; build first (tests/fuzz/README.md):
#   CXX=clang++ cmake -S . -B build-fuzz -DRC_FUZZ=ON -DRC_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#     "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
#   cmake --build build-fuzz --target fuzzers -j2
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
# Findings are copied to $RC_FUZZ_ARTIFACTS (default: the temp folder, kept on failure).
# Each run's final libFuzzer stats line is printed for the README's figures.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]}"
seconds="${2:?usage: run.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]}"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in "$here"/*_fuzzer.cc; do targets+=("$(basename "$src" .cc)"); done
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/rc-fuzz.XXXXXX")"
artifacts="${RC_FUZZ_ARTIFACTS:-$work/artifacts}"
mkdir -p "$artifacts"
failed=()
for target in "${targets[@]}"; do
  bin="$build/$target"
  if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is not built" >&2
    failed+=("$target(not built)")
    continue
  fi
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  if [ -d "$here/corpus/$target" ]; then cp -R "$here/corpus/$target/." "$corpus/"; fi
  # Saved reproducers replay first (regressions once fixed; see README.md, Findings).
  for crash in "$here"/crashes/*."$target"; do [ -f "$crash" ] && cp "$crash" "$corpus/"; done
  log="$work/$target.log"
  # -timeout: one input over 10 s is a hang; -rss_limit_mb: memory blow-ups are findings;
  # -detect_leaks (default on with ASan) reports leaks. UBSan findings abort (built with
  # -fno-sanitize-recover).
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
  "$bin" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="$here/json.dict" -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
    >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  echo "$target: rc=$rc execs=${execs:-?} exec/s=${speed:-?} corpus=${files} files/${bytes} B | ${last}"
  if [ $rc -ne 0 ]; then
    failed+=("$target")
    # The error, what() of an uncaught exception, and the frames in replicore's own code.
    grep -E 'ERROR|SUMMARY|what\(\)|runtime error|^ +#[0-9]+ .*(replicore|LLVMFuzzerTestOneInput)' "$log" |
      grep -v 'nlohmann::' | cut -c1-240 | head -30 >&2
    echo "run.sh: full log $log; reproducer(s) in $artifacts" >&2
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "run.sh: FAILED: ${failed[*]} (logs and artifacts kept in $work)" >&2
  exit 1
fi
rm -rf "$work"
echo "run.sh: all ${#targets[@]} fuzzers ran ${seconds}s each without a finding"
