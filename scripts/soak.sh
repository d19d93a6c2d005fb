#!/usr/bin/env bash
# Soak test: a release sretop runs against the demo stack for MINUTES (default 10) at a 1 s
# refresh while the demo's incident switch flips every 30 s. Its resident memory (VmRSS,
# VmHWM) and open file descriptors are sampled every 10 s into a CSV; at the end:
#   - RSS growth from minute 2 to the end must be < 20 % or < 3 MB;
#   - the fd count at the end must be <= the fd count at minute 1 + 2;
#   - sretop must still be running, then quit cleanly on `q`.
# Exit status 0 when all hold, 1 otherwise (2 when the stack cannot start).
#
#   scripts/soak.sh [MINUTES]
#
# Environment:
#   SOAK_CSV=PATH          where the samples go (default: a file in the temp dir, printed)
#   SOAK_INTERVAL=SECONDS  sampling period (default 10)
#   SOAK_FLIP=DURATION     --flip-every of sretop-demo (default 30s)
#   SOAK_NO_BUILD=1        skip `cargo build --release --bins`
#   SRETOP_BIN_DIR         where sretop and sretop-demo are
#                          (default ${CARGO_TARGET_DIR:-target}/release)
#   SOAK_PROM_PORT, SOAK_EXPORTER_PORT, SOAK_AM_PORT   loopback ports (39190, 39564, 39193;
#                          SOAK_AM_PORT empty: no Alertmanager)
# Needs prometheus, promtool and tmux; Alertmanager (prometheus-alertmanager) when present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-10}"
[[ "$minutes" =~ ^[0-9]+$ && "$minutes" -ge 1 ]] || {
    echo "soak: MINUTES must be a whole number >= 1" >&2
    exit 2
}
interval="${SOAK_INTERVAL:-10}"
flip="${SOAK_FLIP:-30s}"
prom_port="${SOAK_PROM_PORT:-39190}"
exp_port="${SOAK_EXPORTER_PORT:-39564}"
am_port="${SOAK_AM_PORT-39193}"
bin_dir="${SRETOP_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/release}"
tmux_sock="sretop-soak-$$"

say() { printf 'soak: %s\n' "$*" >&2; }
die() {
    printf 'soak: error: %s\n' "$*" >&2
    exit 2
}

if [[ "${SOAK_NO_BUILD:-0}" != 1 ]]; then
    say "building (cargo build --release --bins)"
    cargo build --release --bins --locked --manifest-path "$root/Cargo.toml" >&2
fi
for b in sretop sretop-demo; do
    [[ -x "$bin_dir/$b" ]] || die "$bin_dir/$b not found (build it, or set SRETOP_BIN_DIR)"
done
for t in prometheus promtool tmux curl; do
    command -v "$t" >/dev/null || die "$t is not installed"
done
am_bin=""
if [[ -n "$am_port" ]]; then
    am_bin="$(command -v prometheus-alertmanager || command -v alertmanager || true)"
    [[ -n "$am_bin" ]] || say "no Alertmanager installed: running without one"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sretop-soak.XXXXXX")"
csv="${SOAK_CSV:-$tmp/soak.csv}"
pids=()
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    tmux -L "$tmux_sock" kill-server 2>/dev/null || true
    local p
    for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
    for p in ${pids[@]+"${pids[@]}"}; do wait "$p" 2>/dev/null || true; done
    # Keep the CSV when it is inside the temp dir and asked to be printed.
    if [[ "$csv" == "$tmp/"* && -f "$csv" ]]; then
        cp "$csv" "${TMPDIR:-/tmp}/sretop-soak-last.csv" 2>/dev/null || true
    fi
    rm -rf -- "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- stack: sretop-demo (flipping) <- Prometheus (+ rules -> Alertmanager) ------------------
seed=11
epoch=$(($(date +%s) - 7200))
say "backfilling 1h of history"
"$bin_dir/sretop-demo" --seed "$seed" --epoch "$epoch" --incident checkout --flip-every "$flip" \
    --backfill 1h --backfill-out "$tmp/history.om" --backfill-instance "127.0.0.1:$exp_port" >/dev/null
promtool tsdb create-blocks-from openmetrics "$tmp/history.om" "$tmp/data" >/dev/null
rm -f "$tmp/history.om"
"$bin_dir/sretop-demo" --listen "127.0.0.1:$exp_port" --seed "$seed" --epoch "$epoch" \
    --incident checkout --flip-every "$flip" </dev/null >"$tmp/exporter.log" 2>&1 &
pids+=($!)

alerting=""
if [[ -n "$am_bin" ]]; then
    printf 'route: {receiver: none}\nreceivers: [{name: none}]\n' >"$tmp/alertmanager.yml"
    mkdir -p "$tmp/am-data"
    "$am_bin" --config.file="$tmp/alertmanager.yml" --storage.path="$tmp/am-data" \
        --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
        </dev/null >"$tmp/alertmanager.log" 2>&1 &
    pids+=($!)
    alerting="alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$am_port']}]}]}"
fi
cp "$root/scripts/demo/alerts.rules.yml" "$tmp/alerts.rules.yml"
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 5s, scrape_timeout: 4s, evaluation_interval: 5s}
rule_files: ['$tmp/alerts.rules.yml']
$alerting
scrape_configs:
  - job_name: demo
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$exp_port']}]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$prom_port" \
    </dev/null >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
ready=0
for _ in $(seq 300); do
    if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$prom_port/-/ready" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.2
done
((ready)) || {
    tail -n 20 "$tmp/prometheus.log" >&2
    die "Prometheus did not become ready"
}

# The example config (the demo's services, SLOs, signals), at a 1 s refresh.
sed -e 's/^refresh: .*/refresh: 1s/' "$root/config.example.yaml" >"$tmp/config.yaml"
args=(--config "$tmp/config.yaml" --prometheus "http://127.0.0.1:$prom_port"
    --log-file "$tmp/sretop.log")
[[ -n "$am_bin" ]] && args+=(--alertmanager "http://127.0.0.1:$am_port")
cmd="$(printf '%q ' "$bin_dir/sretop" "${args[@]}")"
tmux -L "$tmux_sock" -f /dev/null new-session -d -s soak -x 160 -y 45 \
    "env XDG_STATE_HOME=$tmp/state LC_ALL=C.UTF-8 TERM=xterm-256color $cmd; echo EXITED \$?; sleep 600"
sleep 1
pid="$(tmux -L "$tmux_sock" display-message -p -t soak '#{pane_pid}')"
# The pane runs `sh -c`; sretop is its child.
spid=""
for _ in $(seq 50); do
    spid="$(pgrep -P "$pid" -x sretop || true)"
    [[ -n "$spid" ]] && break
    sleep 0.1
done
[[ -n "$spid" ]] || {
    tmux -L "$tmux_sock" capture-pane -p -t soak >&2
    die "sretop did not start"
}
say "sretop pid $spid; soaking for $minutes min (refresh 1s, incident flips every $flip); samples -> $csv"

sample() { # seconds-elapsed
    local rss hwm fds
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status" 2>/dev/null)" || return 1
    hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$spid/status" 2>/dev/null)" || return 1
    fds="$(find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
    [[ -n "$rss" ]] || return 1
    echo "$1,$rss,$hwm,$fds" >>"$csv"
}
echo "seconds,rss_kb,hwm_kb,fds" >"$csv"
total=$((minutes * 60))
start=$SECONDS
alive=1
next=0
while :; do
    now=$((SECONDS - start))
    ((now <= total)) || break
    if ((now >= next)); then
        if ! sample "$now"; then
            alive=0
            break
        fi
        next=$((next + interval))
    fi
    sleep 1
done

# --- verdict ---------------------------------------------------------------------------------
fail=0
if ((!alive)); then
    say "FAIL: sretop exited during the soak"
    tmux -L "$tmux_sock" capture-pane -p -t soak | tail -n 15 >&2
    tail -n 20 "$tmp/sretop.log" >&2 || true
    fail=1
fi
# Reference points: minute 1 (fds) and minute 2 (RSS); for short runs, a third and two thirds
# of the way at most.
t_fd=$((total / 3 < 60 ? total / 3 : 60))
t_rss=$((2 * total / 3 < 120 ? 2 * total / 3 : 120))
read -r rss0 fd0 < <(awk -F, 'NR > 1 { print $2, $4; exit }' "$csv")
read -r rss_ref < <(awk -F, -v t="$t_rss" 'NR > 1 && $1 >= t { print $2; exit }' "$csv")
read -r fd_ref < <(awk -F, -v t="$t_fd" 'NR > 1 && $1 >= t { print $4; exit }' "$csv")
read -r t_end rss_end hwm_end fd_end < <(tail -n 1 "$csv" | tr , ' ')
: "${rss_ref:=$rss0}" "${fd_ref:=$fd0}"
growth_kb=$((rss_end - rss_ref))
growth_pct="$(awk -v a="$rss_ref" -v b="$rss_end" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')"
say "samples: $(($(wc -l <"$csv") - 1)) over ${t_end}s"
say "RSS start ${rss0} kB, at ${t_rss}s ${rss_ref} kB, end ${rss_end} kB (growth ${growth_kb} kB, ${growth_pct}%); peak (VmHWM) ${hwm_end} kB"
say "fds start ${fd0}, at ${t_fd}s ${fd_ref}, end ${fd_end}"
if ((growth_kb >= 3072)) && awk -v p="$growth_pct" 'BEGIN { exit !(p >= 20) }'; then
    say "FAIL: RSS grew by ${growth_kb} kB (${growth_pct}%) after ${t_rss}s (limit: < 20 % or < 3 MB)"
    fail=1
fi
if ((fd_end > fd_ref + 2)); then
    say "FAIL: open fds grew from $fd_ref to $fd_end"
    ls -l "/proc/$spid/fd" >&2 || true
    fail=1
fi
if ((alive)); then
    say "the screen at the end:"
    tmux -L "$tmux_sock" capture-pane -p -t soak | head -n 8 >&2
    errors="$(grep -c -E ' (ERROR|panic)' "$tmp/sretop.log" || true)"
    say "log: ${errors} ERROR lines"
    tmux -L "$tmux_sock" send-keys -t soak q
    exited=""
    for _ in $(seq 100); do
        exited="$(tmux -L "$tmux_sock" capture-pane -p -t soak | grep -o 'EXITED [0-9]*' || true)"
        [[ -n "$exited" ]] && break
        sleep 0.1
    done
    if [[ "$exited" != "EXITED 0" ]]; then
        say "FAIL: sretop did not quit cleanly on q (${exited:-still running})"
        fail=1
    fi
fi
if [[ "$csv" == "$tmp/"* ]]; then
    say "samples copied to ${TMPDIR:-/tmp}/sretop-soak-last.csv"
fi
if ((fail)); then
    say "FAILED"
    exit 1
fi
say "OK"
