#!/usr/bin/env bash
# Fuzzes sretop's decoders and parsers for SECONDS per target (default 60).
#
# With a nightly toolchain and cargo-fuzz installed, runs every libFuzzer target in fuzz/
# (see fuzz/README.md) on its corpus in fuzz/corpus/<target>; new inputs found are added to
# the corpus (minimize with `cargo +nightly fuzz cmin <target>` before committing), crashes
# land in fuzz/artifacts/<target>/. Otherwise runs the proptest suite (tests/fuzz.rs) with
# more cases instead.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
shift || true

if cargo +nightly --version >/dev/null 2>&1 && cargo fuzz --version >/dev/null 2>&1; then
    targets=("$@")
    if ((${#targets[@]} == 0)); then
        mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
    fi
    cd fuzz
    # No sanitizer: sretop forbids unsafe code, and the fuzzers look for panics, hangs and
    # huge allocations, which need none; without ASan each target runs several times faster.
    cargo +nightly fuzz build --sanitizer none
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    status=0
    for t in "${targets[@]}"; do
        echo "fuzz: $t for ${seconds}s" >&2
        mkdir -p "corpus/$t"
        # -rss_limit_mb and -timeout make a huge allocation or a hang a finding.
        rc=0
        cargo +nightly fuzz run --sanitizer none "$t" "corpus/$t" -- \
            -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=8192 \
            -print_final_stats=1 >"$log" 2>&1 || rc=$?
        grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|thread .* panicked|Done [0-9]+ runs)' "$log" || true
        if ((rc != 0)); then
            status=1
            tail -n 30 "$log"
            echo "fuzz: $t FOUND A CRASH (see fuzz/artifacts/$t)" >&2
        fi
    done
    exit "$status"
fi

echo "fuzz: nightly or cargo-fuzz missing; running the proptest suite (tests/fuzz.rs) instead" >&2
# About 25 cases a second per property on one core in a debug build: SECONDS per property.
cases=$((seconds * 25))
((cases >= 256)) || cases=256
FUZZ_SEED="${FUZZ_SEED:-random}" PROPTEST_CASES="$cases" cargo test --locked --test fuzz
