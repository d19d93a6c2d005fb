#!/usr/bin/env bash
# Fuzzes sretop's decoders and parsers for SECONDS per target (default 60).
#
# With a nightly toolchain and cargo-fuzz, runs every libFuzzer target in fuzz/ (see
# fuzz/README.md) from its kept corpus in fuzz/corpus/<target>; crashes land in
# fuzz/artifacts/<target>/ and fail the run. Otherwise runs the proptest suite (tests/fuzz.rs)
# with more cases instead.
#
#   scripts/fuzz.sh [--ci] [SECONDS] [TARGET...]
#
# --ci: what .ci/run does. Installs nightly (minimal profile) and cargo-fuzz when missing,
# fuzzes from a fixed seed (FUZZ_SEED, default 1: the same inputs in the same order on every
# run, so a run that passed here passes there), and leaves fuzz/corpus/ untouched (new inputs
# go to a temporary directory). Without --ci, new inputs are added to fuzz/corpus/ (minimize
# with `cargo +nightly fuzz cmin <target>` before committing) and the seed is random unless
# FUZZ_SEED is set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ci=0
if [[ "${1:-}" == "--ci" ]]; then
    ci=1
    shift
fi
seconds="${1:-60}"
shift || true

have_fuzzer() {
    cargo +nightly --version >/dev/null 2>&1 && cargo fuzz --version >/dev/null 2>&1
}

if ((ci)) && ! have_fuzzer; then
    echo "fuzz: installing nightly (minimal) and cargo-fuzz" >&2
    rustup toolchain install nightly --profile minimal >&2 || true
    cargo fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz >&2 || true
fi

proptest_instead() {
    # About 25 cases a second per property on one core in a debug build: SECONDS per property.
    local cases=$((seconds * 25))
    ((cases >= 256)) || cases=256
    local seed="${FUZZ_SEED:-random}"
    ((ci)) && seed="${FUZZ_SEED:-1}"
    FUZZ_SEED="$seed" PROPTEST_CASES="$cases" cargo test --locked --test fuzz
}

# No sanitizer: sretop forbids unsafe code, and the fuzzers look for panics, hangs and huge
# allocations, which need none; without ASan each target runs several times faster.
if have_fuzzer && ! (cd fuzz && cargo +nightly fuzz build --sanitizer none); then
    if ((ci)); then
        # A nightly that cannot build libFuzzer is not sretop's fault; targets that no longer
        # compile against sretop are, so they are checked on stable first.
        echo "fuzz: the nightly build failed; checking the targets on stable, then proptest" >&2
        (cd fuzz && cargo check --bins)
        proptest_instead
        exit 0
    fi
    exit 1
fi

if have_fuzzer; then
    targets=("$@")
    if ((${#targets[@]} == 0)); then
        mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
    fi
    if ((${#targets[@]} == 0)); then
        echo "fuzz: no targets (cargo fuzz list failed?)" >&2
        exit 1
    fi
    cd fuzz
    log="$(mktemp)"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$log" "$scratch"' EXIT
    seed=()
    if ((ci)); then
        seed=(-seed="${FUZZ_SEED:-1}")
    elif [[ -n "${FUZZ_SEED:-}" ]]; then
        seed=(-seed="$FUZZ_SEED")
    fi
    status=0
    total=0
    for t in "${targets[@]}"; do
        mkdir -p "corpus/$t"
        # The first directory receives new inputs: a scratch one in CI, the corpus otherwise.
        dirs=("corpus/$t")
        if ((ci)); then
            mkdir -p "$scratch/$t"
            dirs=("$scratch/$t" "corpus/$t")
        fi
        echo "fuzz: $t for ${seconds}s ${seed[*]:-}" >&2
        # -rss_limit_mb and -timeout make a huge allocation or a hang a finding.
        rc=0
        cargo +nightly fuzz run --sanitizer none "$t" "${dirs[@]}" -- \
            -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=8192 \
            "${seed[@]}" -print_final_stats=1 >"$log" 2>&1 || rc=$?
        runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
        rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)"
        grep -E '^(==[0-9]+== ERROR|SUMMARY|thread .* panicked)' "$log" || true
        if ((rc != 0)); then
            status=1
            tail -n 30 "$log"
            echo "fuzz: $t FOUND A CRASH (see fuzz/artifacts/$t)" >&2
        else
            echo "fuzz: $t: ${runs:-?} executions in ${seconds}s, peak RSS ${rss:-?} MB, no finding"
        fi
        total=$((total + ${runs:-0}))
    done
    echo "fuzz: ${#targets[@]} targets, $total executions"
    exit "$status"
fi

echo "fuzz: nightly or cargo-fuzz missing; running the proptest suite (tests/fuzz.rs) instead" >&2
proptest_instead
