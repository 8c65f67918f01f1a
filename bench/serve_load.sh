#!/usr/bin/env bash
# Load test: `mongrate serve` answering the status endpoint and the metrics under many clients.
#
#   bash bench/serve_load.sh                         (from the repository root)
#   DURATION=10 BACKENDS=sqlite bash bench/serve_load.sh
#
# For SQLite and PostgreSQL it applies N small SQL migrations, starts the release build's
# `mongrate -q serve` with an API token on a loopback port, checks that the status answers N
# applied, then for each endpoint in ENDPOINTS runs:
#   open loop   wrk with CLIENTS connections on THREADS threads for DURATION seconds, as fast as
#               the server answers (the throughput at saturation and its latencies)
#   fixed rate  hey with FIXED_CLIENTS workers, each held to RATE/FIXED_CLIENTS requests per
#               second (RATE=0 skips it). hey waits for each answer before a worker's next request:
#               below saturation it keeps RATE, past it the achieved rate is lower and shows so.
#               hey's workers tick together, so the requests come in bursts of FIXED_CLIENTS; the
#               default 5 keeps the arrivals near even (with 50, bursts of 50 every 100 ms measure
#               the queue of a burst: a p50 of ~5 ms instead of ~1 ms on an idle 2-core machine).
# and samples the server's resident memory (VmRSS of /proc/PID/status) every second: before the
# run, its peak during it, and after it (and once when the server is ready, before any load). A
# summary table ends the output.
#
# The load generator and the server share this machine's cores: the figures are for both on one
# box, loopback only.
#
# Knobs (environment): DURATION=30 (seconds per run) CLIENTS=50 THREADS=2 RATE=500 FIXED_CLIENTS=5
#                      N=20
#                      WARMUP=3 (seconds of untimed load before each server's runs; 0: none)
#                      COOLDOWN=5 (seconds of rest between runs) BACKENDS="sqlite postgres"
#                      ENDPOINTS="/api/migrations/status /metrics"
#                      LOAD_MAX=1.5 LOAD_WAIT=900 LOAD_POLL=30 BENCH_TMPDIR=<dir for databases>
# wrk and hey are Debian packages; they are installed with apt-get when missing (as root).
set -euo pipefail

DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-2}
RATE=${RATE:-500}
FIXED_CLIENTS=${FIXED_CLIENTS:-5}
N=${N:-20}
WARMUP=${WARMUP:-3}
COOLDOWN=${COOLDOWN:-5}
BACKENDS=${BACKENDS:-sqlite postgres}
ENDPOINTS=${ENDPOINTS:-/api/migrations/status /metrics}

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)
cd "$root"

bench_name=serve_load
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
require_tools cargo python3 curl
for value in DURATION CLIENTS THREADS FIXED_CLIENTS N; do
  [[ ${!value} =~ ^[1-9][0-9]*$ ]] || die "$value must be 1 or more"
done
[[ $RATE =~ ^[0-9]+$ && $WARMUP =~ ^[0-9]+$ && $COOLDOWN =~ ^[0-9]+$ ]] || die "RATE, WARMUP and COOLDOWN must be numbers"
((N <= 9999)) || die "N must be at most 9999"
((THREADS <= CLIENTS)) || die "THREADS ($THREADS) must not exceed CLIENTS ($CLIENTS): wrk gives each thread a connection at least"
for backend in $BACKENDS; do
  case "$backend" in sqlite | postgres) ;; *) die "BACKENDS: '$backend' is not sqlite or postgres" ;; esac
done
[[ " $BACKENDS " != *" postgres "* ]] || require_tools psql

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
((RATE == 0)) || command -v hey >/dev/null || missing+=(hey)
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || die "${missing[*]} missing: install Debian's package(s) (apt-get install ${missing[*]})"
  note "installing ${missing[*]} (apt-get)"
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || die "apt-get install ${missing[*]} failed"
fi

tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/mongrate-bench-serve.XXXXXX")
chmod 755 "$tmp" # as root the PostgreSQL server runs as the postgres user and must reach $tmp/pg
pg_dir="$tmp/pg"
pg_started=
server_pid=
sampler_pid=
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_started" ]; then "$root/tools/pg-test-server.sh" stop "$pg_dir" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/bin" "$tmp/logs" "$tmp/migrations" "$tmp/sqlite"
results="$tmp/results.tsv"
loads="$tmp/loads.tsv"
idle="$tmp/idle-rss.tsv" # each server's RSS once ready, before any load
: >"$results"
: >"$loads"
: >"$idle"

# The binary is copied into the scratch directory: a rebuild during the run cannot change it.
note "building mongrate (cargo build --release -p mongrate)"
cargo build --release -p mongrate >&2 || die "cargo build --release -p mongrate failed"
cp "$root/target/release/mongrate" "$tmp/bin/mongrate"
mongrate="$tmp/bin/mongrate"

if [[ " $BACKENDS " == *" postgres "* ]]; then
  note "starting a PostgreSQL server with default settings"
  pg_url=$(MONGRATE_PG_OPTIONS=" " "$root/tools/pg-test-server.sh" start "$pg_dir" $$) \
    || die "tools/pg-test-server.sh start failed"
  pg_started=1
  psql "$pg_url" -XAtqc 'CREATE DATABASE serve_load' || die "CREATE DATABASE serve_load failed"
fi

for ((i = 1; i <= N; i++)); do
  printf -v v '%04d' "$i"
  printf -- '-- mongrate:up\nCREATE TABLE t_%s (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t_%s (id, v) VALUES (1, %s);\n-- mongrate:down\nDROP TABLE t_%s;\n' \
    "$v" "$v" "'x'" "$v" >"$tmp/migrations/${v}_t.sql"
done

per_client=$(python3 -c "print($RATE / $FIXED_CLIENTS)")
token="serve-load-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
auth="Authorization: Bearer $token"

# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

# rss_kib PID: the process's resident set in KiB, or nothing once it is gone.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# start_sampler PID FILE: appends the RSS every second until stop_sampler.
start_sampler() {
  local pid=$1 file=$2
  (while :; do rss_kib "$pid" >>"$file"; sleep 1; done) &
  sampler_pid=$!
}

stop_sampler() {
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=
}

# wrk_summary LOG: "requests/s<TAB>p50 ms<TAB>p99 ms<TAB>requests<TAB>non-2xx<TAB>socket errors".
wrk_summary() {
  python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
def latency(p):
    return ms(re.search(rf"^\s+{p}%\s+(\S+)", text, re.M).group(1))
rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
requests = int(re.search(r"^\s+(\d+) requests in", text, re.M).group(1))
non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
print(f"{rps:.0f}\t{latency(50):.2f}\t{latency(99):.2f}\t{requests}\t"
      f"{int(non_2xx.group(1)) if non_2xx else 0}\t{sum(map(int, errors.groups())) if errors else 0}")
EOF
}

# hey_summary LOG: the same fields from hey's report (non-2xx: answers other than 200).
hey_summary() {
  python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def latency(p):
    return float(re.search(rf"^\s+{p}% in ([\d.]+) secs", text, re.M).group(1)) * 1000
rps = float(re.search(r"^\s+Requests/sec:\s+([\d.]+)", text, re.M).group(1))
codes = {int(c): int(n) for c, n in re.findall(r"^\s+\[(\d+)\]\s+(\d+) responses", text, re.M)}
errors = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s+Get ", text, re.M))
print(f"{rps:.0f}\t{latency(50):.2f}\t{latency(99):.2f}\t{sum(codes.values())}\t"
      f"{sum(n for c, n in codes.items() if c != 200)}\t{errors}")
EOF
}

# measure BACKEND ENDPOINT MODE URL: one run under load with the RSS sampled; appends a row to
# $results and aborts with the log when the load generator fails or an answer was not 200.
measure() {
  local backend=$1 endpoint=$2 mode=$3 url=$4
  local log="$tmp/logs/$backend-${endpoint//\//_}-$mode.log" rss="$tmp/logs/rss-$backend-${endpoint//\//_}-$mode"
  local rss_start rss_end summary status=0
  rss_start=$(rss_kib "$server_pid")
  start_sampler "$server_pid" "$rss"
  note "$backend $endpoint $mode: $DURATION s, $([ "$mode" = open-loop ] && echo "$CLIENTS" || echo "$FIXED_CLIENTS") clients"
  case "$mode" in
    open-loop) wrk -t"$THREADS" -c"$CLIENTS" -d"${DURATION}s" --latency -H "$auth" "$url" >"$log" 2>&1 || status=$? ;;
    fixed-rate)
      hey -z "${DURATION}s" -c "$FIXED_CLIENTS" -q "$per_client" -H "$auth" "$url" >"$log" 2>&1 \
        || status=$?
      ;;
  esac
  stop_sampler
  rss_end=$(rss_kib "$server_pid")
  kill -0 "$server_pid" 2>/dev/null || die "the server died during $backend $endpoint $mode: $(tail -n 20 "$server_log")"
  if [ "$status" != 0 ]; then
    tail -n 40 "$log" >&2
    die "$mode load on $backend $endpoint failed with exit status $status"
  fi
  if [ "$mode" = open-loop ]; then summary=$(wrk_summary "$log"); else summary=$(hey_summary "$log"); fi
  IFS=$'\t' read -r _ _ _ _ bad errors <<<"$summary"
  if ((bad > 0 || errors > 0)); then
    cat "$log" >&2
    die "$backend $endpoint $mode: $bad answers other than 200 and $errors errors"
  fi
  local peak
  peak=$({ echo "$rss_start"; cat "$rss"; echo "$rss_end"; } | sort -n | tail -n 1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$endpoint" "$mode" "$summary" "$rss_start" "$peak" "$rss_end" >>"$results"
}

wait_for_quiet "start (all runs)"
for backend in $BACKENDS; do
  case "$backend" in
    sqlite) url="sqlite:$tmp/sqlite/app.db" ;;
    postgres) url="${pg_url%/*}/serve_load" ;;
  esac
  "$mongrate" -q --url "$url" --migrations-dir "$tmp/migrations" up || die "mongrate up on $backend failed"

  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  server_log="$tmp/logs/server-$backend.log"
  MONGRATE_API_TOKEN=$token "$mongrate" -q --url "$url" --migrations-dir "$tmp/migrations" \
    serve --listen "127.0.0.1:$port" >"$server_log" 2>&1 &
  server_pid=$!
  for ((tries = 0; ; tries++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] && break
    kill -0 "$server_pid" 2>/dev/null || die "mongrate serve on $backend exited: $(cat "$server_log")"
    ((tries < 300)) || die "mongrate serve on $backend not ready after 30 s: $(cat "$server_log")"
    sleep 0.1
  done
  applied=$(curl -sf -H "$auth" "$base/api/migrations/status" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["applied"])') \
    || die "GET /api/migrations/status on $backend failed"
  [ "$applied" = "$N" ] || die "the status on $backend says $applied applied, not $N"
  curl -sf "$base/metrics" | grep -qx "mongrate_migrations{state=\"applied\"} $N" \
    || die "GET /metrics on $backend does not say $N applied"

  printf '%s\t%s\n' "$backend" "$(rss_kib "$server_pid")" >>"$idle"

  if ((WARMUP > 0)); then
    for endpoint in $ENDPOINTS; do
      wrk -t"$THREADS" -c"$CLIENTS" -d"${WARMUP}s" -H "$auth" "$base$endpoint" >/dev/null 2>&1 || true
    done
  fi
  for endpoint in $ENDPOINTS; do
    modes=(open-loop)
    ((RATE == 0)) || modes+=(fixed-rate)
    for mode in "${modes[@]}"; do
      sleep "$COOLDOWN"
      measure "$backend" "$endpoint" "$mode" "$base$endpoint"
    done
  done

  kill -TERM "$server_pid"
  exit_status=0
  wait "$server_pid" || exit_status=$?
  server_pid=
  [ "$exit_status" = 0 ] || die "mongrate serve on $backend exited $exit_status on SIGTERM: $(tail -n 20 "$server_log")"
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
echo
echo "mongrate serve under load: $(build_line "$mongrate")"
echo "machine: $(nproc) cores, $(uname -sr); load generator and server on the same machine (loopback)"
echo "$N applied migrations; $DURATION s per run; open loop: wrk -t$THREADS -c$CLIENTS --latency;" \
  "fixed rate: hey -c $FIXED_CLIENTS -q $per_client ($RATE requests/s in all)"
print_loads
echo
python3 - "$results" "$RATE" <<'EOF'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
rate = sys.argv[2]
header = ["backend", "endpoint", "mode", "req/s", "p50 ms", "p99 ms", "requests", "RSS MiB start/peak/end"]
table = [header]
for backend, endpoint, mode, rps, p50, p99, requests, _bad, _errors, start, peak, end in rows:
    mib = lambda kib: f"{int(kib) / 1024:.1f}"
    label = mode if mode == "open-loop" else f"fixed {rate}/s"
    table.append([backend, endpoint, label, rps, p50, p99, requests, f"{mib(start)} / {mib(peak)} / {mib(end)}"])
widths = [max(len(row[i]) for row in table) for i in range(len(header))]
for n, row in enumerate(table):
    print("  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
EOF
echo
awk -F'\t' '{ printf "%s%s %.1f MiB", (NR > 1 ? ", " : "server RSS when ready, before any load: "), $1, $2 / 1024 } END { print "" }' "$idle"
echo "every answer was 200; no socket errors"
