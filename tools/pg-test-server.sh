#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on a free loopback port, for tests and benchmarks.
#
#   tools/pg-test-server.sh start DIR [WATCH_PID]   prints the server's URL; with WATCH_PID the
#                                                   cluster stops by itself when that process ends
#   tools/pg-test-server.sh stop DIR
#
# Uses Debian's postgresql package (tools/setup.sh installs it). As root the server runs as the
# postgres user, since initdb refuses root.
set -euo pipefail

command=${1:?usage: pg-test-server.sh start|stop DIR [WATCH_PID]}
dir=${2:?usage: pg-test-server.sh start|stop DIR [WATCH_PID]}
watch_pid=${3:-}

bindir=${MONGRATE_PG_BIN:-}
if [ -z "$bindir" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found: run tools/setup.sh (it runs apt-get install postgresql), or set MONGRATE_PG_BIN" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 ${MONGRATE_PG_OPTIONS:--c fsync=off}" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if [ -n "$watch_pid" ]; then
      # Stop the cluster when the process that started it is gone, whatever way it ended.
      nohup bash -c "while kill -0 $watch_pid 2>/dev/null; do sleep 1; done; \
        $(declare -f as_owner); as_owner '$bindir/pg_ctl' -D '$dir/data' -m immediate stop; rm -rf '$dir'" \
        >/dev/null 2>&1 &
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-test-server.sh start|stop DIR [WATCH_PID]" >&2
    exit 2
    ;;
esac
