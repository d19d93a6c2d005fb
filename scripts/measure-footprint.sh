#!/usr/bin/env bash
# Measures the dashboard's footprint against a real Prometheus scraping the demo exporter:
# peak RSS (VmHWM) of `sretop` running in tmux, and the query_range requests Prometheus
# received per refresh, for N services over a given range.
#
#   scripts/measure-footprint.sh [SERVICES] [RANGE] [SECONDS]     (default 50 6h 60)
#
# The exporter first backfills RANGE of history (BACKFILL=DURATION to change, empty to skip).
# Needs release binaries (cargo build --release --bins), prometheus, promtool and tmux.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
services="${1:-50}"
range="${2:-6h}"
secs="${3:-60}"
bin_dir="${SRETOP_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}"
prom_port="${PROM_PORT:-39090}"
exp_port="${EXPORTER_PORT:-39464}"
tmp="$(mktemp -d)"
pids=()
cleanup() {
    tmux -L sretop-measure kill-server 2>/dev/null || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# History for the range, so the dashboard holds full series (BACKFILL= to skip).
seed=7
epoch=$(( $(date +%s) - 86400 ))
backfill="${BACKFILL-$range}"
if [[ -n "$backfill" ]]; then
    "$bin_dir/sretop-demo" --service-count "$services" --seed "$seed" --epoch "$epoch" \
        --backfill "$backfill" --backfill-out "$tmp/history.om" \
        --backfill-instance "127.0.0.1:$exp_port" >/dev/null
    promtool tsdb create-blocks-from openmetrics "$tmp/history.om" "$tmp/data" >/dev/null
    rm -f "$tmp/history.om"
fi
"$bin_dir/sretop-demo" --listen "127.0.0.1:$exp_port" --service-count "$services" \
    --seed "$seed" --epoch "$epoch" >"$tmp/exp.log" 2>&1 &
pids+=($!)
cat >"$tmp/prom.yml" <<YAML
global: {scrape_interval: 5s}
scrape_configs:
  - job_name: demo
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$exp_port']}]
YAML
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/data" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prom.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null && break; sleep 0.2; done

{
    echo "refresh: 15s"
    echo "range: $range"
    echo "sources: [{name: demo, url: 'http://127.0.0.1:$prom_port'}]"
    echo "signals:"
    echo "  saturation:"
    echo "    - {name: cpu, query: 'max by ({{by}}) (cpu_utilization_ratio{ {{selector}} })'}"
    echo "    - {name: pool, used: db_pool_connections_in_use, max: db_pool_connections_max}"
    echo "services:"
    for i in $(seq 1 "$services"); do printf '  - name: svc-%03d\n' "$i"; done
} >"$tmp/config.yaml"

# Prometheus' own request counter, read from its /metrics (it does not scrape itself here).
queries() {
    curl -s "http://127.0.0.1:$prom_port/metrics" | awk '
        /^prometheus_http_requests_total[{].*handler="\/api\/v1\/query(_range)?"/ { s += $NF }
        END { printf "%d\n", s }'
}
# Let Prometheus collect a little data first.
sleep "${WARMUP:-30}"
before="$(queries)"
tmux -L sretop-measure new-session -d -s m -x 200 -y 50 \
    "exec $bin_dir/sretop --config $tmp/config.yaml --log-file $tmp/sretop.log"
sleep 2
pid="$(tmux -L sretop-measure display-message -p -t m '#{pane_pid}')"
sleep "$secs"
after="$(queries)"
hwm="$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$pid/status")"
rss="$(awk '/VmRSS/ {print $2 " " $3}' "/proc/$pid/status")"
cpu="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
refreshes=$(( (secs + 2) / 15 + 1 ))
echo "services=$services range=$range window=${secs}s"
echo "sretop peak RSS (VmHWM): $hwm; current RSS: $rss; CPU ticks: $cpu"
echo "query requests: $((after - before)) over ~$refreshes refreshes"
tmux -L sretop-measure capture-pane -p -t m | head -8
