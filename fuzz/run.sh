#!/usr/bin/env bash
# Builds Vigil's fuzz targets and runs each for a set time: `make fuzz` (60 s a target) and the
# short bounded pass of `make test`. Per target, first replays every crasher kept under
# fuzz/regressions/TARGET/ (each one fixed, each one must stay fixed), then fuzzes from the
# target's corpus (kept under the fuzz target dir, not committed) and its seeds (the repository's
# fixtures and fuzz/seeds/TARGET/), with the numbers at the edges of Rust's types in its dictionary
# (fuzz/edges.dict). Prints executions per second and total executions per target
# and writes them as JSON. Exits non-zero if any target crashed; the crashing input is left in
# the target's artifacts directory, named in the output.
#
#   fuzz/run.sh SECONDS OUT.json [TARGET…]
#
# Runs on stable Rust: the targets are built with the sanitizer-coverage instrumentation cargo-fuzz
# asks of LLVM, all of it stable codegen flags. No sanitizer (that alone would need nightly): Rust
# code needs none to be memory-safe, and a panic, an overflow (overflow checks are on), a stack
# overflow, a timeout or running out of memory is a crash.
set -uo pipefail

seconds=${1:?seconds per target}
out=${2:?JSON output path}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=${CARGO_TARGET_DIR:-$root/target}/fuzz
triple=$(rustc -vV | sed -n 's/^host: //p')
bins=$fuzz_dir/$triple/release

all_targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$root/fuzz/Cargo.toml" | grep -v '^vigil-fuzz$')
targets=${*:-$all_targets}

# The flags cargo-fuzz passes for libFuzzer's coverage (`--sanitizer none`), and `--cfg fuzzing`.
# Built for an explicit target triple, so that build scripts and proc macros are not instrumented.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
unset CARGO_ENCODED_RUSTFLAGS
started=$(date +%s)
echo "Building the fuzz targets (stable Rust, sanitizer coverage) into $fuzz_dir"
(cd "$root/fuzz" && CARGO_TARGET_DIR=$fuzz_dir cargo build --release --quiet --target "$triple" \
    $(for t in $targets; do printf -- '--bin %s ' "$t"; done)) || exit 1
built=$(date +%s)

# The body of a captured HTTP response (after its blank line).
body() { awk 'seen { print } /^\r?$/ && !seen { seen = 1 }' "$1"; }

# The target's seeds into directory $2: the repository's fixtures that are its kind of input,
# and fuzz/seeds/TARGET/.
seed() {
    local target=$1 dir=$2 http=$root/tests/fixtures/http file
    rm -rf "$dir" && mkdir -p "$dir"
    case $target in
        exposition | metrics_page) cp "$root"/tests/fixtures/metrics/*.prom "$dir/" ;;
        server_answer) for file in "$http"/*/*.http; do body "$file" >"$dir/$(basename "$(dirname "$file")")-$(basename "$file")"; done ;;
        model_metadata) for file in "$http"/*/*metadata*.http; do body "$file" >"$dir/$(basename "$(dirname "$file")")-$(basename "$file")"; done ;;
        infer_answer) for file in "$http"/*/*{infer,predict,classify,invocations}*.http; do
            [ -f "$file" ] && body "$file" >"$dir/$(basename "$(dirname "$file")")-$(basename "$file")"; done ;;
        deployment_answer) for file in "$http"/mlflow-*-registry/*.http; do body "$file" >"$dir/$(basename "$file")"; done ;;
        import_csv | price_catalog) cp "$root/crates/vigil-core/data/price-catalog.csv" "$dir/" ;;
        import_parquet) cp "$root/tests/fixtures/drift/reference.parquet" "$dir/" ;;
        requirements) cp "$root"/crates/vigil-requirements/tests/fixtures/* "$dir/" ;;
    esac
    [ -d "$root/fuzz/seeds/$target" ] && cp "$root/fuzz/seeds/$target"/* "$dir/"
    return 0
}

# A figure of libFuzzer's final statistics, from log $1.
stat() { grep -a "^stat::$2:" "$1" | tail -1 | sed 's/.*: *//'; }

# The import targets write each input as a file: on a memory file system when there is one
# (rewriting a file on ext4 waits for the disk), in a directory removed at the end.
scratch=$(mktemp -d "$([ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/vigil-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

failed=()
rows=()
total=0
printf '\n%-18s %12s %14s %18s %8s\n' target "execs/s" executions "cov/ft" corpus
for target in $targets; do
    work=$fuzz_dir/work/$target
    corpus=$fuzz_dir/corpus/$target
    artifacts=$fuzz_dir/artifacts/$target
    log=$work/fuzz.log
    mkdir -p "$work" "$corpus" "$artifacts"
    seed "$target" "$work/seeds"
    regressions=("$root/fuzz/regressions/$target"/*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$bins/$target" -artifact_prefix="$artifacts/" "${regressions[@]}" >"$work/regressions.log" 2>&1; then
            echo "$target: a kept crasher crashes again:"
            tail -n 30 "$work/regressions.log"
            failed+=("$target (regression)")
            continue
        fi
    fi
    "$bins/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -dict="$root/fuzz/edges.dict" -artifact_prefix="$artifacts/" "$corpus" "$work/seeds" >"$log" 2>&1
    status=$?
    executions=$(stat "$log" number_of_executed_units)
    per_second=$(stat "$log" average_exec_per_sec)
    # Coverage (edges, features) when the seeds were read, and at the end.
    first=$(grep -a -m1 -o 'INITED cov: [0-9]* ft: [0-9]*' "$log" | awk '{ print $3 "/" $5 }')
    last=$(grep -a -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 | awk '{ print $2 "/" $4 }')
    # After a long run, the corpus is cut to the inputs that keep its coverage (libFuzzer's
    # merge), so that it stays quick to load.
    if [ "$status" -eq 0 ] && [ "$seconds" -ge 30 ] && rm -rf "$work/merged" && mkdir "$work/merged" &&
        "$bins/$target" -merge=1 -timeout=10 "$work/merged" "$corpus" >"$work/merge.log" 2>&1; then
        rm -rf "$corpus" && mv "$work/merged" "$corpus"
    fi
    files=$(find "$corpus" -type f | wc -l)
    crashed=false
    if [ "$status" -ne 0 ]; then
        crashed=true
        failed+=("$target")
        echo "$target CRASHED (exit $status):"
        grep -aE 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written|^thread' "$log" | head -n 12
        echo "  the whole log: $log"
    fi
    printf '%-18s %12s %14s %18s %8s\n' "$target" "${per_second:-?}" "${executions:-?}" "${first:-?} -> ${last:-?}" "$files"
    total=$((total + ${executions:-0}))
    rows+=("$(printf '{"target": "%s", "executions": %s, "executions_per_second": %s, "coverage_at_start": "%s", "coverage_at_end": "%s", "corpus_files": %s, "crashed": %s}' \
        "$target" "${executions:-0}" "${per_second:-0}" "$first" "$last" "$files" "$crashed")")
done
finished=$(date +%s)
printf '%-18s %12s %14s\n' total "" "$total"
echo "Built in $((built - started)) s, fuzzed $seconds s a target in $((finished - built)) s; corpora in $fuzz_dir/corpus"

mkdir -p "$(dirname "$out")"
{
    printf '{\n  "engine": "libFuzzer (libfuzzer-sys), stable %s, sanitizer coverage, no sanitizer",\n' "$(rustc --version | cut -d' ' -f2)"
    printf '  "seconds_per_target": %s,\n  "build_seconds": %s,\n  "fuzz_seconds": %s,\n  "total_executions": %s,\n  "targets": [\n' \
        "$seconds" "$((built - started))" "$((finished - built))" "$total"
    for i in "${!rows[@]}"; do printf '    %s%s\n' "${rows[$i]}" "$([ "$i" -lt $((${#rows[@]} - 1)) ] && echo ,)"; done
    printf '  ]\n}\n'
} >"$out"
echo "Figures written to $out"

if [ ${#failed[@]} -gt 0 ]; then
    echo "Fuzzing found crashes in: ${failed[*]}"
    exit 1
fi
