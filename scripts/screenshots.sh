#!/usr/bin/env bash
# Regenerates screenshots/*.png from real data: brings up the demo stack (scripts/demo.sh
# --stack-only), lets it collect data, renders each view with `sretop snapshot --format svg`
# and converts the SVGs with rsvg-convert (Debian: librsvg2-bin).
#
#   scripts/screenshots.sh [SECONDS-OF-LIVE-DATA]     (default 30; the demo backfills an hour)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
wait_secs="${1:-30}"
bin_dir="${SRETOP_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}"
prom_port="${SRETOP_DEMO_PROM_PORT:-19090}"
exporter_port="${SRETOP_DEMO_EXPORTER_PORT:-19464}"
am_port="${SRETOP_DEMO_AM_PORT:-19093}"

command -v rsvg-convert >/dev/null || {
    echo "screenshots: rsvg-convert missing (apt-get install librsvg2-bin)" >&2
    exit 1
}
[[ -n "${SRETOP_DEMO_NO_BUILD:-}" ]] || cargo build --release --bins

log="$(mktemp)"
SRETOP_DEMO_NO_BUILD=1 SRETOP_BIN_DIR="$bin_dir" SRETOP_DEMO_PROM_PORT="$prom_port" \
    SRETOP_DEMO_EXPORTER_PORT="$exporter_port" SRETOP_DEMO_AM_PORT="$am_port" \
    scripts/demo.sh --stack-only >"$log" 2>&1 &
stack=$!
trap 'kill "$stack" 2>/dev/null; wait "$stack" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 120); do
    grep -q "press Ctrl-C" "$log" && break
    kill -0 "$stack" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.5
done
echo "screenshots: collecting ${wait_secs}s of data" >&2
sleep "$wait_secs"

shot() { # name view width height [args...]
    local name=$1 view=$2 w=$3 h=$4
    shift 4
    "$bin_dir/sretop" --config config.example.yaml --prometheus "http://127.0.0.1:$prom_port" \
        --alertmanager "http://127.0.0.1:$am_port" \
        --log-file /dev/null snapshot --view "$view" --width "$w" --height "$h" --format svg \
        "$@" >"screenshots/$name.svg"
    rsvg-convert "screenshots/$name.svg" -o "screenshots/$name.png"
    echo "screenshots/$name.png" >&2
}
mkdir -p screenshots
shot overview overview 120 16
shot overview-80x24 overview 80 24
shot service-checkout service 120 32 --service checkout
shot service-80x24 service 80 24 --service api
shot slos slos 140 14
shot slo-checkout slo 140 40 --slo checkout/availability
shot alerts alerts 120 16
shot alerts-80x24 alerts 80 24
shot alert-high-error-rate alert 120 36 --alert HighErrorRate
