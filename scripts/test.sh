#!/usr/bin/env bash
# The whole test suite: unit, snapshot, real-server integration (Prometheus and
# VictoriaMetrics on loopback), tmux end-to-end and fault tests (openssl makes their
# certificates). Installs the servers and tools it needs from Debian's packages when they are
# missing (they start no daemon: the tests start their own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v screen >/dev/null 2>&1 || need+=(screen)
if ((${#need[@]})); then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "test: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
        { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
# A UTF-8 locale, whatever the machine's: sretop switches to ASCII glyphs in a non-UTF-8 one,
# and the snapshot and tmux tests check the UTF-8 screens (the ASCII ones are tested apart).
export LC_ALL=C.UTF-8
cargo test --all-targets --locked "$@" 2>&1 | tee "$out" || status=$?
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "all tests: %d passed, %d failed\n", p, f }' "$out"
exit "$status"
