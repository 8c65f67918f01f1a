# Shared by the benchmark scripts: source it after setting `bench_name` and `results`.

die() {
  echo "$bench_name: ERROR: $*" >&2
  exit 1
}

note() { echo "== $*" >&2; }

# require_tools TOOL...: aborts when one is missing.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found on PATH"
  done
}

# seconds_between START END: wall-clock seconds between two $EPOCHREALTIME values.
seconds_between() {
  python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.6f}")' "$1" "$2"
}

# seconds_since START: wall-clock seconds from an $EPOCHREALTIME value to now.
seconds_since() {
  seconds_between "$1" "$EPOCHREALTIME"
}

# record_timed BACKEND PHASE TOOL RUN LOG DIR -- COMMAND...: runs COMMAND in DIR with its output
# to LOG (a file: a pipe can cut a tool's output short), appends its wall-clock seconds to
# $results unless RUN is "warmup", and aborts with the log when it fails.
record_timed() {
  local backend=$1 phase=$2 tool=$3 run=$4 log=$5 dir=$6
  shift 7
  local start end status=0
  start=$EPOCHREALTIME
  (cd "$dir" && exec "$@") >"$log" 2>&1 || status=$?
  end=$EPOCHREALTIME
  if [ "$status" != 0 ]; then
    echo "$bench_name: ERROR: $tool $phase on $backend (run $run) failed with exit status $status" >&2
    echo "  command: $*" >&2
    echo "  output (last 40 lines of $log):" >&2
    tail -n 40 "$log" | sed 's/^/    /' >&2
    exit 1
  fi
  [ "$run" = warmup ] && return 0
  seconds_between "$start" "$end" | sed "s/^/$backend\t$phase\t$tool\t$run\t/" >>"$results"
}

# make_scratch NAME: a scratch directory $tmp (in $BENCH_TMPDIR, $TMPDIR or /tmp) for a FerretDB
# server in $fdb_dir; on exit the server (once $fdb_started is set) is stopped and $tmp removed.
make_scratch() {
  tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/$1.XXXXXX")
  fdb_dir="$tmp/ferretdb"
  fdb_started=
  trap cleanup_scratch EXIT
  trap 'exit 130' INT TERM
}

cleanup_scratch() {
  if [ -n "$fdb_started" ]; then "$root/tools/ferretdb-test-server.sh" stop "$fdb_dir" || true; fi
  rm -rf "$tmp"
}

# build_line BINARY: the binary's version and the commit of the work tree it was built from.
build_line() {
  echo "$("$1" --version) (target/release, git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- crates 2>/dev/null || echo ', crates/ has uncommitted changes'))"
}

# wait_for_quiet SECTION: before a timed section, waits until the machine's 1-minute load average
# is below LOAD_MAX (default 1.5), polling every LOAD_POLL (30) seconds for at most LOAD_WAIT (900);
# then appends "SECTION<TAB>load<TAB>seconds waited" to $loads. A machine still busy after
# LOAD_WAIT is noted (the report shows the load each section started at) rather than fatal.
wait_for_quiet() {
  local section=$1 waited=0 load
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v load="$load" -v max="${LOAD_MAX:-1.5}" 'BEGIN { exit !(load < max) }' && break
    if ((waited >= ${LOAD_WAIT:-900})); then
      note "$section: load still $load after ${waited}s, starting anyway"
      break
    fi
    note "$section: load $load, waiting for it to fall below ${LOAD_MAX:-1.5}"
    sleep "${LOAD_POLL:-30}"
    waited=$((waited + ${LOAD_POLL:-30}))
  done
  printf '%s\t%s\t%s\n' "$section" "$load" "$waited" >>"$loads"
}

# print_loads: the load each timed section started at, for the report.
print_loads() {
  echo "load (1-minute average) at the start of each timed section, after waiting for < ${LOAD_MAX:-1.5}:"
  awk -F'\t' '{ printf "  %-44s %5s (waited %s s)\n", $1, $2, $3 }' "$loads"
}
