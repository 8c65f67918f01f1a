#!/usr/bin/env bash
# A throw-away MongoDB-wire-protocol server (FerretDB v1 on SQLite) on a free loopback port, for
# tests and benchmarks: real MongoDB cannot be installed here.
#
#   tools/ferretdb-test-server.sh start DIR [WATCH_PID]   prints the server's URI
#                                                         (mongodb://127.0.0.1:PORT/); with
#                                                         WATCH_PID the server stops and DIR is
#                                                         removed by themselves when that process ends
#   tools/ferretdb-test-server.sh stop DIR
#   tools/ferretdb-test-server.sh build                   only builds the launcher
#
# The server is tools/ferretdb/bin/ferretdb-launcher, a small Go program (tools/ferretdb/main.go)
# that embeds FerretDB; it is built here with `go build` when missing or older than its sources
# (the first build downloads modules through the Go module proxy and takes a couple of minutes).
# DIR holds the SQLite data (DIR/data), the log (DIR/server.log) and the pid (DIR/ferretdb.pid).
set -euo pipefail

usage="usage: ferretdb-test-server.sh start DIR [WATCH_PID] | stop DIR | build"
command=${1:?$usage}

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/ferretdb" && pwd)
bin=$src/bin/ferretdb-launcher
start_timeout=${MONGRATE_FERRETDB_START_TIMEOUT:-60}

# stale: whether the launcher binary is missing or older than its sources.
stale() {
  local f
  [ -x "$bin" ] || return 0
  for f in "$src/main.go" "$src/go.mod" "$src/go.sum"; do
    if [ "$f" -nt "$bin" ]; then return 0; fi
  done
  return 1
}

build() {
  stale || return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "go not found: install Go to build the FerretDB launcher (Debian: apt-get install golang-go)" >&2
    exit 1
  fi
  mkdir -p "$src/bin"
  # Several tests may start servers at once: one builds, the others wait for it.
  exec 9>"$src/bin/.build.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if stale; then
    echo "building $bin (the first build takes a couple of minutes)" >&2
    (cd "$src" && go build -buildvcs=false -o "$bin.tmp.$$" .) || { rm -f "$bin.tmp.$$"; exit 1; }
    mv -f "$bin.tmp.$$" "$bin"
  fi
  exec 9>&-
}

# is_launcher PID: whether PID is (still) a ferretdb-launcher, so a reused pid is never killed.
# (A zombie, not yet reaped by init, has an empty cmdline and so counts as gone.)
is_launcher() {
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *ferretdb-launcher* ]]
}

# is_alive PID: the process exists and is not a zombie (a launcher that exited but is not reaped
# yet). Unlike is_launcher it is true right after the fork, before the launcher is exec'd.
is_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]]
}

# stop_server PID: SIGTERM, up to 10 s for a clean shutdown, then SIGKILL.
stop_server() {
  local pid=$1 i
  is_launcher "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do
    is_launcher "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "$command" in
  build)
    build
    ;;
  start)
    dir=${2:?$usage}
    watch_pid=${3:-}
    if [[ -n $watch_pid && ! $watch_pid =~ ^[0-9]+$ ]]; then
      echo "WATCH_PID must be a process id, got '$watch_pid'" >&2
      exit 2
    fi
    if [[ $dir == *"'"* ]]; then
      echo "DIR must not contain a single quote" >&2
      exit 2
    fi
    build
    mkdir -p "$dir/data"
    dir=$(cd "$dir" && pwd)
    : >"$dir/launcher.out"
    # Port 0: the kernel picks a free port at bind time and the launcher prints the URI, so no
    # other process can take the port between choosing and binding it. setsid keeps a Ctrl-C in
    # the caller's terminal from reaching the server; stdout and stderr go to files so that a
    # caller reading this script's output is not held open by the server.
    setsid "$bin" --listen-addr 127.0.0.1:0 --state-dir "$dir" --sqlite-dir "$dir/data" \
      --log-file "$dir/server.log" --log-level "${MONGRATE_FERRETDB_LOG_LEVEL:-warn}" \
      </dev/null >"$dir/launcher.out" 2>>"$dir/server.log" &
    pid=$!
    echo "$pid" >"$dir/ferretdb.pid"
    uri=
    for _ in $(seq $((start_timeout * 10))); do
      uri=$(head -n 1 "$dir/launcher.out")
      [ -n "$uri" ] && break
      # Alive is enough here: right after the fork the child may not have exec'd the launcher
      # yet (it still looks like setsid or bash), which is not an exit.
      is_alive "$pid" || break
      sleep 0.1
    done
    # The launcher prints the URI only after its listener is bound and listening, so the port
    # accepts connections from then on (a probe connection here would only add a warning to the log).
    if [ -z "$uri" ] || ! is_alive "$pid"; then
      if is_alive "$pid"; then
        echo "FerretDB did not start listening within ${start_timeout}s; its log ($dir/server.log):" >&2
      else
        echo "FerretDB exited before listening; its log ($dir/server.log):" >&2
      fi
      cat "$dir/server.log" "$dir/launcher.out" >&2 2>/dev/null || true
      stop_server "$pid"
      exit 1
    fi
    if [ -n "$watch_pid" ]; then
      # Stop the server when the process that started it is gone, whatever way it ended.
      nohup bash -c "$(declare -f is_launcher stop_server); \
        while kill -0 $watch_pid 2>/dev/null; do sleep 1; done; \
        stop_server $pid; rm -rf '$dir'" >/dev/null 2>&1 </dev/null &
      echo $! >"$dir/watcher.pid"
    fi
    echo "$uri"
    ;;
  stop)
    dir=${2:?$usage}
    if [ -f "$dir/watcher.pid" ]; then
      watcher=$(cat "$dir/watcher.pid")
      # Only if that pid is still the watcher of this DIR.
      cmdline=$(tr '\0' ' ' <"/proc/$watcher/cmdline" 2>/dev/null) || true
      if [[ $cmdline == *"rm -rf '$(cd "$dir" && pwd)'"* ]]; then
        kill "$watcher" 2>/dev/null || true
      fi
    fi
    if [ -f "$dir/ferretdb.pid" ]; then
      stop_server "$(cat "$dir/ferretdb.pid")"
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
