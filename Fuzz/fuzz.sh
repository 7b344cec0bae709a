#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (ASan + coverage) and runs each for a while; `make fuzz` calls it.
#
#   Fuzz/fuzz.sh SECONDS [TARGET…|all]
#
# Each target starts from its committed seeds (Fuzz/Corpus/TARGET) plus what earlier runs found
# (.build/fuzz-corpus/TARGET, outside git; on a fresh checkout it is filled from Fuzz/Corpus-merged.tar.zst,
# the minimized corpus of the 10-minute runs); new inputs go to the latter. Crashes, leaks, timeouts and
# out-of-memory inputs are written to .build/fuzz-artifacts/TARGET/, the log to .build/fuzz-logs/TARGET.log.
# Runs at `nice -n 10`, one target at a time. Exits non-zero when any target failed.
#
# Environment: SWIFT (default swift), FUZZ_FLAGS (more libFuzzer flags, e.g. -max_len=16384 or -jobs=2).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:?usage: Fuzz/fuzz.sh SECONDS [TARGET…|all]}
shift
targets=("$@")
all=(FuzzPcap FuzzPcapng FuzzPacketDecoder FuzzDNS FuzzFlowExport FuzzDatagramFile FuzzNfdumpFile
     FuzzNfdumpBlock FuzzPolicyYAML FuzzMUDJSON FuzzZstd FuzzLZ4)
if [ ${#targets[@]} -eq 0 ] || [ "${targets[*]}" = all ]; then targets=("${all[@]}"); fi

# `--sanitize=fuzzer` stops SwiftPM renaming `main` (libFuzzer brings its own); the -Xswiftc flags turn
# on ASan and the coverage instrumentation in every Swift module, the dependencies included.
build=("${SWIFT:-swift}" build --package-path Fuzz --sanitize=fuzzer
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
mkdir -p .build
echo "fuzz: building Fuzz/ (log: .build/fuzz-build.log)"
if ! nice -n 10 "${build[@]}" >.build/fuzz-build.log 2>&1; then
    grep -v 'Cannot export local symbol' .build/fuzz-build.log | tail -40 >&2
    exit 1
fi
bin=$("${build[@]}" --show-bin-path)

# A Swift trap should reach libFuzzer as SIGILL at once, not after the runtime's backtracer.
export SWIFT_BACKTRACE=enable=no
failed=()
summary=()
for target in "${targets[@]}"; do
    [ -x "$bin/$target" ] || { echo "fuzz: no target $target (have: ${all[*]})" >&2; exit 2; }
    corpus=.build/fuzz-corpus/$target
    artifacts=.build/fuzz-artifacts/$target
    log=.build/fuzz-logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    # A fresh checkout starts from the committed minimized corpus of earlier runs, not only the seeds.
    if [ -z "$(ls -A "$corpus")" ] && [ -f Fuzz/Corpus-merged.tar.zst ] && command -v zstd >/dev/null; then
        zstd -dcq Fuzz/Corpus-merged.tar.zst | tar -xf - -C .build/fuzz-corpus "$target" 2>/dev/null || true
    fi
    dict=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")
    echo "fuzz: $target for ${seconds}s (log: $log)"
    status=0
    # shellcheck disable=SC2086
    nice -n 10 "$bin/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${dict[@]}" ${FUZZ_FLAGS:-} "$corpus" "Fuzz/Corpus/$target" \
        >"$log" 2>&1 </dev/null || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$status" -eq 0 ]; then result=ok; else result="FAILED (exit $status, see $log and $artifacts)"; failed+=("$target"); fi
    summary+=("$(printf '%-18s %6ss %12s runs %8s exec/s  cov %6s  %s' "$target" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$result")")
    echo "${summary[-1]}"
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
