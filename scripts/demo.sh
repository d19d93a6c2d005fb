#!/usr/bin/env bash
# Brings up a demo stack on loopback and opens the sretop dashboard on it:
#   sretop-demo (simulated services, exporter)  <-  Prometheus (scrapes every 5 s)  <-  sretop
#                                   Prometheus rules (scripts/demo/alerts.rules.yml)
#                                     -> Alertmanager (Debian's prometheus-alertmanager)
# Prometheus starts with some simulated history already in it (SRETOP_DEMO_BACKFILL), so the
# charts are full from the first second: sretop-demo --backfill writes it as OpenMetrics,
# promtool turns it into TSDB blocks, and the live exporter continues that same history.
#
# Usage:
#   scripts/demo.sh [SRETOP-ARGS...]   build, start the stack, run sretop in the foreground
#   scripts/demo.sh --stack-only       build, start the stack, print the URLs, wait for Ctrl-C
#
# Environment:
#   SRETOP_DEMO_EXPORTER_PORT   exporter port on 127.0.0.1 (default 9464)
#   SRETOP_DEMO_PROM_PORT       Prometheus port on 127.0.0.1 (default 9090)
#   SRETOP_DEMO_AM_PORT         Alertmanager port on 127.0.0.1 (default 9093; empty: no
#                               Alertmanager)
#   SRETOP_DEMO_INCIDENT        service that starts in incident (default checkout; empty: none)
#   SRETOP_DEMO_BACKFILL        history to backfill before starting, e.g. 1h, 6h, 24h
#                               (default 1h; empty: none)
#   SRETOP_DEMO_EXPORTER_ARGS   extra arguments for sretop-demo, e.g. "--service-count 50"
#   SRETOP_DEMO_NO_BUILD=1      skip `cargo build --release --bins`
#   SRETOP_BIN_DIR              where sretop and sretop-demo are
#                               (default ${CARGO_TARGET_DIR:-target}/release)
#   SRETOP_DEMO_READY_TIMEOUT   seconds to wait for Prometheus to become ready (default 60)
#
# Everything started here is stopped, and the temp dir removed, when the script exits.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exporter_port="${SRETOP_DEMO_EXPORTER_PORT:-9464}"
prom_port="${SRETOP_DEMO_PROM_PORT:-9090}"
am_port="${SRETOP_DEMO_AM_PORT-9093}"
incident="${SRETOP_DEMO_INCIDENT-checkout}"
backfill="${SRETOP_DEMO_BACKFILL-1h}"
ready_timeout="${SRETOP_DEMO_READY_TIMEOUT:-60}"
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    bin_dir="${SRETOP_BIN_DIR:-$CARGO_TARGET_DIR/release}"
else
    bin_dir="${SRETOP_BIN_DIR:-$root/target/release}"
fi

say() { printf 'demo: %s\n' "$*" >&2; }
die() {
    printf 'demo: error: %s\n' "$*" >&2
    exit 1
}

stack_only=0
case "${1:-}" in
--stack-only)
    stack_only=1
    shift
    [[ $# -eq 0 ]] || die "--stack-only takes no other arguments (extra arguments are passed to sretop)"
    ;;
-h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
esac

for port in "$exporter_port" "$prom_port" ${am_port:+"$am_port"}; do
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
        die "invalid port: $port"
    fi
done
exporter_port=$((10#$exporter_port))
prom_port=$((10#$prom_port))
[[ "$exporter_port" != "$prom_port" ]] || die "exporter and Prometheus ports are both $prom_port"

# --- tools -------------------------------------------------------------------
missing=()
# Debian's prometheus package also ships promtool.
if ! command -v prometheus >/dev/null 2>&1 ||
    { [[ -n "$backfill" ]] && ! command -v promtool >/dev/null 2>&1; }; then
    missing+=(prometheus)
fi
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [[ -n "$am_port" ]] && ! command -v prometheus-alertmanager >/dev/null 2>&1 &&
    ! command -v alertmanager >/dev/null 2>&1; then
    missing+=(prometheus-alertmanager)
fi
if ((${#missing[@]})); then
    sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need root or sudo to install: ${missing[*]}"
        sudo=(sudo)
    fi
    say "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y "${missing[@]}"; then
        "${sudo[@]}" apt-get update
        "${sudo[@]}" apt-get install -y "${missing[@]}"
    fi
    command -v prometheus >/dev/null 2>&1 || die "prometheus is still not on PATH after installing it"
    [[ -z "$backfill" ]] || command -v promtool >/dev/null 2>&1 ||
        die "promtool is still not on PATH after installing prometheus"
fi

# --- build -------------------------------------------------------------------
if [[ "${SRETOP_DEMO_NO_BUILD:-0}" != 1 ]]; then
    say "building (cargo build --release --bins)"
    cargo build --release --bins --manifest-path "$root/Cargo.toml"
fi
[[ -x "$bin_dir/sretop-demo" ]] || die "$bin_dir/sretop-demo not found (build it, or set SRETOP_BIN_DIR)"
if ((!stack_only)); then
    [[ -x "$bin_dir/sretop" ]] || die "$bin_dir/sretop not found (build it, or set SRETOP_BIN_DIR)"
    [[ -f "$root/config.example.yaml" ]] || die "$root/config.example.yaml not found"
fi

# --- cleanup -----------------------------------------------------------------
pids=()
tmp=""

# shellcheck disable=SC2317 # stop_pid and cleanup run from the EXIT trap
# Stops one started process: TERM, up to 10 s for it to exit, then KILL; then reaps it.
stop_pid() {
    local pid=$1 state _ i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        [[ -r "/proc/$pid/stat" ]] || break
        read -r _ _ state _ <"/proc/$pid/stat" 2>/dev/null || break
        [[ "$state" == Z ]] && break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    local pid
    for pid in ${pids[@]+"${pids[@]}"}; do
        stop_pid "$pid"
    done
    if [[ -n "$tmp" && -d "$tmp" ]]; then
        rm -rf -- "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# True if something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True while the started process $1 is running (not exited, not a zombie).
alive() {
    local state _
    kill -0 "$1" 2>/dev/null || return 1
    read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null || return 0
    [[ "$state" != Z ]]
}

show_log() {
    printf -- '--- last lines of %s ---\n' "$1" >&2
    tail -n 25 "$1" >&2 || true
    printf -- '---\n' >&2
}

# --- stack -------------------------------------------------------------------
port_busy "$exporter_port" &&
    die "port $exporter_port is already in use on 127.0.0.1 (set SRETOP_DEMO_EXPORTER_PORT)"
port_busy "$prom_port" &&
    die "port $prom_port is already in use on 127.0.0.1 (is a Prometheus running? set SRETOP_DEMO_PROM_PORT)"
if [[ -n "$am_port" ]] && port_busy "$am_port"; then
    die "port $am_port is already in use on 127.0.0.1 (set SRETOP_DEMO_AM_PORT, or empty for none)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sretop-demo.XXXXXX")"
exporter_url="http://127.0.0.1:$exporter_port"
prom_url="http://127.0.0.1:$prom_port"

am_url=""
alerting=""
if [[ -n "$am_port" ]]; then
    am_url="http://127.0.0.1:$am_port"
    alerting="alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$am_port']"
fi
cp "$root/scripts/demo/alerts.rules.yml" "$tmp/alerts.rules.yml"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
rule_files: ['$tmp/alerts.rules.yml']
$alerting
scrape_configs:
  - job_name: demo
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$exporter_port']
EOF

exporter_args=(--listen "127.0.0.1:$exporter_port")
[[ -z "$incident" ]] || exporter_args+=(--incident "$incident")
# shellcheck disable=SC2206 # word splitting of the extra arguments is intended
extra_args=(${SRETOP_DEMO_EXPORTER_ARGS:-})
exporter_args+=(${extra_args[@]+"${extra_args[@]}"})

# True if the extra exporter arguments set option $1 themselves.
extra_has() {
    local a
    for a in ${extra_args[@]+"${extra_args[@]}"}; do
        [[ "$a" == "$1" || "$a" == "$1="* ]] && return 0
    done
    return 1
}

prom_args=()
if [[ -n "$backfill" ]]; then
    # History first: the same simulation (seed, epoch, services, incident) for the last
    # $backfill, imported into the TSDB before Prometheus opens it. The live exporter gets
    # the same --seed and --epoch, so its counters continue where the history ends.
    say "backfilling $backfill of history"
    if ! report="$("$bin_dir/sretop-demo" "${exporter_args[@]}" --backfill "$backfill" \
        --backfill-out "$tmp/backfill.om" </dev/null 2>"$tmp/backfill.log")"; then
        show_log "$tmp/backfill.log"
        die "sretop-demo --backfill $backfill failed"
    fi
    bf_seed="" bf_epoch="" bf_start="" bf_end=""
    for kv in $report; do
        case "$kv" in
        seed=*) bf_seed="${kv#seed=}" ;;
        epoch=*) bf_epoch="${kv#epoch=}" ;;
        start=*) bf_start="${kv#start=}" ;;
        end=*) bf_end="${kv#end=}" ;;
        esac
    done
    [[ -n "$bf_seed" && -n "$bf_epoch" && -n "$bf_start" && -n "$bf_end" ]] ||
        die "unexpected output from sretop-demo --backfill: $report"
    if ! promtool tsdb create-blocks-from openmetrics "$tmp/backfill.om" "$tmp/data" \
        </dev/null >"$tmp/promtool.log" 2>&1; then
        show_log "$tmp/promtool.log"
        die "promtool could not import the backfilled history"
    fi
    rm -f -- "$tmp/backfill.om"
    extra_has --seed || exporter_args+=(--seed "$bf_seed")
    extra_has --epoch || exporter_args+=(--epoch "$bf_epoch")
    # Time retention must reach back over all of the history (at most 30 days).
    prom_args+=(--storage.tsdb.retention.time=30d)
    say "backfilled $backfill of history: $(date -d "@$bf_start" '+%F %T') to $(date -d "@$bf_end" '+%T') (seed $bf_seed, epoch $bf_epoch)"
fi

"$bin_dir/sretop-demo" "${exporter_args[@]}" </dev/null >"$tmp/exporter.log" 2>&1 &
exporter_pid=$!
pids+=("$exporter_pid")

for ((i = 0; ; i++)); do
    if ! alive "$exporter_pid"; then
        show_log "$tmp/exporter.log"
        die "sretop-demo exited at startup"
    fi
    curl -fsS --max-time 2 -o /dev/null "$exporter_url/metrics" 2>/dev/null && break
    if ((i >= 100)); then
        show_log "$tmp/exporter.log"
        die "sretop-demo did not answer on $exporter_url/metrics within 10 s"
    fi
    sleep 0.1
done

if [[ -n "$am_port" ]]; then
    am_bin="$(command -v prometheus-alertmanager || command -v alertmanager)"
    cat >"$tmp/alertmanager.yml" <<EOF
route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 5s
receivers:
  - name: "null"
EOF
    mkdir -p "$tmp/am-data"
    "$am_bin" --config.file="$tmp/alertmanager.yml" --storage.path="$tmp/am-data" \
        --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
        </dev/null >"$tmp/alertmanager.log" 2>&1 &
    am_pid=$!
    pids+=("$am_pid")
fi

prometheus \
    --config.file="$tmp/prometheus.yml" \
    --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$prom_port" \
    ${prom_args[@]+"${prom_args[@]}"} \
    </dev/null >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
pids+=("$prom_pid")

say "waiting for Prometheus on $prom_url"
deadline=$((SECONDS + ready_timeout))
until curl -fsS --max-time 2 -o /dev/null "$prom_url/-/ready" 2>/dev/null; do
    if ! alive "$prom_pid"; then
        show_log "$tmp/prometheus.log"
        die "Prometheus exited before becoming ready"
    fi
    if ((SECONDS >= deadline)); then
        show_log "$tmp/prometheus.log"
        die "Prometheus was not ready on $prom_url/-/ready within ${ready_timeout}s"
    fi
    sleep 0.5
done

# Wait (briefly) for the first successful scrape so the dashboard has data to show.
say "waiting for the first scrape of $exporter_url"
deadline=$((SECONDS + 20))
until curl -fsS --max-time 2 "$prom_url/api/v1/query" --data-urlencode 'query=up{job="demo"} == 1' 2>/dev/null |
    grep -q '"value"'; do
    if ((SECONDS >= deadline)); then
        say "warning: Prometheus has not scraped $exporter_url yet (see $tmp/prometheus.log)"
        break
    fi
    sleep 0.5
done

toggle_service="${incident:-checkout}"
hint="toggle the incident: curl -X POST '$exporter_url/incident/toggle?service=$toggle_service'"

if ((stack_only)); then
    say "exporter   $exporter_url/metrics  (incidents: $exporter_url/incident)"
    say "prometheus $prom_url"
    [[ -z "$am_url" ]] || say "alertmanager $am_url"
    say "dashboard  $bin_dir/sretop --config $root/config.example.yaml --prometheus $prom_url${am_url:+ --alertmanager $am_url}"
    say "$hint"
    say "logs in $tmp; press Ctrl-C to stop"
    # Returns when a signal arrives (trapped above) or when either process exits.
    wait -n || true
    alive "$exporter_pid" || {
        show_log "$tmp/exporter.log"
        die "sretop-demo exited unexpectedly"
    }
    alive "$prom_pid" || {
        show_log "$tmp/prometheus.log"
        die "Prometheus exited unexpectedly"
    }
    exit 0
fi

say "$hint"
rc=0
am_args=()
[[ -z "$am_url" ]] || am_args=(--alertmanager "$am_url")
"$bin_dir/sretop" --config "$root/config.example.yaml" --prometheus "$prom_url" \
    ${am_args[@]+"${am_args[@]}"} "$@" || rc=$?
exit "$rc"
