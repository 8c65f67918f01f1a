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
