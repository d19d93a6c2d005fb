#!/usr/bin/env bash
# What one full SLO refresh costs Prometheus: the number of query requests and their total
# evaluation time, for N SLOs (one availability SLO per simulated service), measured from
# Prometheus' own counters around one `sretop budget` run (which sends every SLO query once:
# the short burn windows, the day-long ones and the 30-day window).
#
#   scripts/measure-slo-cost.sh [SLOS] [HISTORY]     (default 3 1h)
#
# HISTORY is backfilled by the demo exporter (--backfill) before Prometheus starts, so the
# long windows have data to scan. Needs release binaries, prometheus and promtool.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-3}"
history="${2:-1h}"
bin_dir="${SRETOP_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}"
prom_port="${PROM_PORT:-39190}"
exp_port="${EXPORTER_PORT:-39564}"
tmp="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

seed=42
epoch=$(( $(date +%s) - 86400 ))
"$bin_dir/sretop-demo" --service-count "$n" --seed "$seed" --epoch "$epoch" \
    --backfill "$history" --backfill-out "$tmp/history.om" >/dev/null 2>&1
promtool tsdb create-blocks-from openmetrics "$tmp/history.om" "$tmp/data" >/dev/null
"$bin_dir/sretop-demo" --listen "127.0.0.1:$exp_port" --service-count "$n" --seed "$seed" \
    --epoch "$epoch" >"$tmp/exp.log" 2>&1 &
pids+=($!)
cat >"$tmp/prom.yml" <<YAML
global: {scrape_interval: 5s}
scrape_configs:
  - job_name: demo
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$exp_port']}]
YAML
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/data" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$prom_port" \
    >"$tmp/prom.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null && break; sleep 0.2; done
sleep 15

{
    echo "sources: [{name: demo, url: 'http://127.0.0.1:$prom_port'}]"
    echo "services:"
    for i in $(seq 1 "$n"); do
        printf '  - {name: svc-%03d, slos: [{name: availability, objective: 99.9, sli: {availability: {}}}]}\n' "$i"
    done
} >"$tmp/config.yaml"

# Prometheus' own counters, read from its /metrics (this Prometheus does not scrape itself).
metric_sum() {
    curl -s "http://127.0.0.1:$prom_port/metrics" | awk -v pat="$1" '
        $0 ~ pat && $1 !~ /^#/ { sum += $NF } END { printf "%.6f\n", sum }'
}
requests_pat='^prometheus_http_requests_total[{].*handler="/api/v1/query(_range)?"'
evaltime_pat='^prometheus_engine_query_duration_seconds_sum[{]'
r0="$(metric_sum "$requests_pat")"
t0="$(metric_sum "$evaltime_pat")"
status=0
"$bin_dir/sretop" --config "$tmp/config.yaml" --log-file /dev/null budget >"$tmp/report.txt" || status=$?
r1="$(metric_sum "$requests_pat")"
t1="$(metric_sum "$evaltime_pat")"
echo "SLOs=$n history=$history budget-exit=$status"
awk -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" 'BEGIN {
    printf "query requests for one full SLO refresh: %d\n", r1 - r0
    printf "total Prometheus evaluation time: %.1f ms\n", (t1 - t0) * 1000
}'
"$bin_dir/sretop" --config "$tmp/config.yaml" --log-file /dev/null check | sed -n '3p'
