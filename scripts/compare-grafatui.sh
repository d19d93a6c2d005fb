#!/usr/bin/env bash
# sretop beside grafatui (the closest peer: a ratatui Prometheus dashboard), same dashboard
# content, same Prometheus, same machine, same run:
#
#   4 golden signals (traffic, 5xx ratio, p99 latency, CPU) x 3 services, 1h range, 15s
#   refresh, a 160x48 terminal (tmux), a Prometheus on loopback scraping the demo exporter
#   every 5s with 2h of backfilled history.
#
#   scripts/compare-grafatui.sh [SECONDS]      (steady-state window, default 120)
#
# Each tool talks to Prometheus through its own counting proxy (scripts/compare/countproxy.py),
# which counts requests, bytes on the wire and samples answered; each runs under `script` in
# its own tmux pane, so the bytes written to its terminal are counted too. Prints a Markdown
# table. Installs grafatui with `cargo install --locked` when missing (GRAFATUI=path to use
# another binary), builds sretop's release binaries unless SRETOP_BIN_DIR is given, and
# installs prometheus/promtool/tmux with apt-get when missing. Everything runs on loopback and
# is stopped (by pid) on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${1:-120}"
warmup="${WARMUP:-30}"
runs="${FIRST_FRAME_RUNS:-5}"
grafatui_version="${GRAFATUI_VERSION:-0.1.18}"
prom_port="${PROM_PORT:-39190}"
exp_port="${EXPORTER_PORT:-39564}"
proxy_s="${PROXY_SRETOP_PORT:-39191}"
proxy_g="${PROXY_GRAFATUI_PORT:-39192}"
tmp="$(mktemp -d)"
sock="sretop-compare-$$"
pids=()
tools=()
say() { echo "compare: $*" >&2; }
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    # What outlived its terminal (see the hang-up row) is stopped here.
    for p in "${tools[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- tools ---------------------------------------------------------------------------------
need=()
for c in prometheus promtool tmux script python3 curl; do command -v "$c" >/dev/null || need+=("$c"); done
if ((${#need[@]})); then
    say "installing prometheus tmux (missing: ${need[*]})"
    apt-get install -y -q --no-install-recommends prometheus tmux bsdutils python3 curl >/dev/null
fi
if [[ -z "${SRETOP_BIN_DIR:-}" ]]; then
    say "building sretop (release)"
    (cd "$root" && cargo build --release --bins -q)
    bin_dir="${CARGO_TARGET_DIR:-$root/target}/release"
else
    bin_dir="$SRETOP_BIN_DIR"
fi
grafatui="${GRAFATUI:-$(command -v grafatui || true)}"
if [[ -z "$grafatui" ]]; then
    tools="${GRAFATUI_ROOT:-$root/target/compare-tools}"
    if [[ ! -x "$tools/bin/grafatui" ]]; then
        say "installing grafatui $grafatui_version (cargo install --locked)"
        cargo install -q --locked grafatui --version "$grafatui_version" --root "$tools"
    fi
    grafatui="$tools/bin/grafatui"
fi

# --- Prometheus with history, scraping the demo exporter ------------------------------------
seed=7
epoch=$(($(date +%s) - 86400))
"$bin_dir/sretop-demo" --seed "$seed" --epoch "$epoch" --backfill 2h \
    --backfill-out "$tmp/history.om" --backfill-instance "127.0.0.1:$exp_port" >/dev/null
promtool tsdb create-blocks-from openmetrics "$tmp/history.om" "$tmp/data" >/dev/null
rm -f "$tmp/history.om"
"$bin_dir/sretop-demo" --listen "127.0.0.1:$exp_port" --seed "$seed" --epoch "$epoch" \
    >"$tmp/exporter.log" 2>&1 &
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
for p in "$proxy_s" "$proxy_g"; do
    python3 "$root/scripts/compare/countproxy.py" "$p" "http://127.0.0.1:$prom_port" &
    pids+=($!)
done
sleep 6 # two scrapes, so rates exist at the right edge

# --- the same dashboard for both --------------------------------------------------------------
cat >"$tmp/sretop.yaml" <<YAML
refresh: 15s
range: 1h
sources: [{name: demo, url: "http://127.0.0.1:$proxy_s"}]
alerts: {from_prometheus: false}
signals:
  quantiles: [0.99]
  saturation:
    - {name: cpu, query: 'max by ({{by}}) (cpu_utilization_ratio{ {{selector}} })'}
services: [{name: api}, {name: checkout}, {name: search}]
YAML
sed "s|127.0.0.1:$proxy_s|127.0.0.1:$prom_port|" "$tmp/sretop.yaml" >"$tmp/sretop-direct.yaml"
sretop_cmd() { # log-name [direct]
    local config="$tmp/sretop.yaml"
    [[ "${2:-}" == direct ]] && config="$tmp/sretop-direct.yaml"
    echo "$bin_dir/sretop --config $config --log-file $tmp/sretop-$1.log"
}
grafatui_cmd() {
    local port="$2"
    echo "$grafatui --prometheus-url http://127.0.0.1:$port --grafana-json $root/scripts/compare/golden.json --range 1h --refresh-rate 15000"
}
# What each shows once its first data is drawn.
sretop_ready='api +[0-9.]+/s'
grafatui_ready='■ api \([0-9-]'

# --- time to the first frame with data, and leaving with the terminal ------------------------
# Start in a fresh 160x48 pane, poll the screen every 10 ms until the first numbers show; then
# close the pane (as a dropped SSH link does) and see whether the process is gone 1 s later.
# Prints "MILLISECONDS GONE" (GONE: 1 if it exited, 0 if it outlived its terminal).
first_frame() { # name cmd pattern
    local name="$1" cmd="$2" pattern="$3" start now pid ms=timeout gone=0
    start=$(date +%s%N)
    tmux -L "$sock" new-session -d -s "ff-$name" -x 160 -y 48 "exec $cmd"
    pid=$(tmux -L "$sock" display-message -p -t "=ff-$name:" '#{pane_pid}')
    for _ in $(seq 1000); do
        if tmux -L "$sock" capture-pane -p -t "=ff-$name:" 2>/dev/null | grep -Eq "$pattern"; then
            now=$(date +%s%N)
            ms=$(((now - start) / 1000000))
            break
        fi
        sleep 0.01
    done
    tmux -L "$sock" kill-session -t "=ff-$name" 2>/dev/null || true
    sleep 1
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name $pid" >>"$tmp/outlived"
    else
        gone=1
    fi
    echo "$ms $gone"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "?")}'; }
tmux -L "$sock" new-session -d -s keep -x 80 -y 24 "sleep 100000" # keeps the server up
say "first frame with data: $runs runs each"
# Both straight to Prometheus here, not through the counting proxies.
for _ in $(seq "$runs"); do first_frame s "$(sretop_cmd ff direct)" "$sretop_ready"; done >"$tmp/ff-s"
for _ in $(seq "$runs"); do first_frame g "$(grafatui_cmd ff "$prom_port")" "$grafatui_ready"; done >"$tmp/ff-g"
ff_s=$(awk '{print $1}' "$tmp/ff-s" | median)
ff_g=$(awk '{print $1}' "$tmp/ff-g" | median)
gone_s=$(awk '{s += $2} END {print s}' "$tmp/ff-s")
gone_g=$(awk '{s += $2} END {print s}' "$tmp/ff-g")
# Processes that outlived their terminal: how much CPU they burn meanwhile (stopped on exit).
spin=0
who=none
if [[ -s "$tmp/outlived" ]]; then
    mapfile -t tools < <(awk '{print $2}' "$tmp/outlived")
    read -r who first <"$tmp/outlived"
    [[ "$who" == s ]] && who=sretop || who=grafatui
    a=$(awk '{print $14 + $15}' "/proc/$first/stat" 2>/dev/null || echo 0)
    sleep 5
    b=$(awk '{print $14 + $15}' "/proc/$first/stat" 2>/dev/null || echo 0)
    spin=$(((b - a) * 100 / 5 / $(getconf CLK_TCK)))
    say "$who (pid $first) outlived its terminal, using ${spin}% of a core"
    for p in "${tools[@]}"; do kill -9 "$p" 2>/dev/null || true; done
fi

# --- steady state, both at once ---------------------------------------------------------------
# `script` sits between tmux and the tool and records every byte the tool writes.
tmux -L "$sock" new-session -d -s sretop-run -x 160 -y 48 \
    "exec script -qfc 'exec $(sretop_cmd run)' $tmp/tty-sretop"
tmux -L "$sock" new-session -d -s grafatui-run -x 160 -y 48 \
    "exec script -qfc 'exec $(grafatui_cmd run "$proxy_g")' $tmp/tty-grafatui"
sleep 1
pid_of() { # the tool under `script` in session $1
    local script_pid
    script_pid=$(tmux -L "$sock" display-message -p -t "=$1:" '#{pane_pid}')
    pgrep -P "$script_pid" | head -1
}
pid_s=$(pid_of sretop-run)
pid_g=$(pid_of grafatui-run)
tools+=("$pid_s" "$pid_g")
if [[ -z "$pid_s" || -z "$pid_g" || "$pid_s" == "$pid_g" ]]; then
    say "cannot find the two processes (sretop: '$pid_s', grafatui: '$pid_g')"
    exit 1
fi
say "sretop pid $pid_s, grafatui pid $pid_g; warming up ${warmup}s, then measuring ${secs}s"
sleep "$warmup"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
stats() { curl -s "http://127.0.0.1:$1/__stats"; }
size() { stat -c %s "$1"; }
t0=$(date +%s%N)
c0_s=$(ticks "$pid_s"); c0_g=$(ticks "$pid_g")
b0_s=$(size "$tmp/tty-sretop"); b0_g=$(size "$tmp/tty-grafatui")
stats "$proxy_s" >"$tmp/s0.json"; stats "$proxy_g" >"$tmp/g0.json"
sleep "$secs"
t1=$(date +%s%N)
c1_s=$(ticks "$pid_s"); c1_g=$(ticks "$pid_g")
b1_s=$(size "$tmp/tty-sretop"); b1_g=$(size "$tmp/tty-grafatui")
stats "$proxy_s" >"$tmp/s1.json"; stats "$proxy_g" >"$tmp/g1.json"
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_s=$(hwm "$pid_s"); hwm_g=$(hwm "$pid_g"); rss_s=$(rss "$pid_s"); rss_g=$(rss "$pid_g")
if [[ -n "${KEEP_SCREENS:-}" ]]; then
    tmux -L "$sock" capture-pane -p -t "=sretop-run:" >"$KEEP_SCREENS.sretop.txt"
    tmux -L "$sock" capture-pane -p -t "=grafatui-run:" >"$KEEP_SCREENS.grafatui.txt"
fi
strip -o "$tmp/sretop.stripped" "$bin_dir/sretop"
strip -o "$tmp/grafatui.stripped" "$grafatui"
size_s=$(size "$tmp/sretop.stripped"); size_g=$(size "$tmp/grafatui.stripped")
hz=$(getconf CLK_TCK)

python3 - "$tmp" "$t0" "$t1" "$hz" <<PY
import json, sys
tmp, t0, t1, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
minutes = (t1 - t0) / 60e9
def delta(name):
    a = json.load(open(f"{tmp}/{name}0.json")); b = json.load(open(f"{tmp}/{name}1.json"))
    out = {}
    for path, v in b.items():
        w = a.get(path, {})
        out[path] = {k: v[k] - w.get(k, 0) for k in v}
    return out
def per_min(d, key, paths=None):
    return sum(v[key] for p, v in d.items() if paths is None or p in paths) / minutes
s, g = delta("s"), delta("g")
rq = ("/api/v1/query_range",)
rows = [
    ("range queries / min", per_min(s, "requests", rq), per_min(g, "requests", rq), "{:.1f}"),
    ("all API requests / min", per_min(s, "requests"), per_min(g, "requests"), "{:.1f}"),
    ("samples fetched / min", per_min(s, "samples"), per_min(g, "samples"), "{:,.0f}"),
    ("bytes received / min (KB)", per_min(s, "bytes") / 1024, per_min(g, "bytes") / 1024, "{:,.1f}"),
    ("terminal bytes written / min (KB)", ($b1_s - $b0_s) / 1024 / minutes, ($b1_g - $b0_g) / 1024 / minutes, "{:,.1f}"),
    ("CPU, % of one core", ($c1_s - $c0_s) / hz / ((t1 - t0) / 1e9) * 100, ($c1_g - $c0_g) / hz / ((t1 - t0) / 1e9) * 100, "{:.2f}"),
    ("peak RSS (MB)", $hwm_s / 1024, $hwm_g / 1024, "{:.1f}"),
    ("RSS at the end (MB)", $rss_s / 1024, $rss_g / 1024, "{:.1f}"),
    ("first frame with data (ms, median of $runs)", float("$ff_s"), float("$ff_g"), "{:.0f}"),
    ("binary size, stripped (MB)", $size_s / 1048576, $size_g / 1048576, "{:.1f}"),
]
extra = [
    (f"gone within 1 s of its terminal closing (of $runs)", "$gone_s", "$gone_g"),
]
print(f"Same run, same Prometheus: 4 signals x 3 services, 1h range, 15s refresh, 160x48; measured over {minutes*60:.0f} s after a ${warmup} s warm-up.\n")
print("| measure | sretop | grafatui $grafatui_version | grafatui / sretop |")
print("|---|---:|---:|---:|")
for name, a, b, fmt in rows:
    ratio = f"{b / a:.1f}x" if a else "-"
    print(f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {ratio} |")
for name, a, b in extra:
    print(f"| {name} | {a} | {b} | |")
if int("$spin") > 0:
    print(f"\n$who outlived its closed terminal, using $spin% of a core until the script killed it.")
PY
