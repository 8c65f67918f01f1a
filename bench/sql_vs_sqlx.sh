#!/usr/bin/env bash
# Benchmark: mongrate vs sqlx-cli 0.9 on the same PostgreSQL server and the same disk (SQLite).
#
#   bash bench/sql_vs_sqlx.sh            (from the repository root)
#
# Measures, for PostgreSQL and SQLite:
#   apply   N small SQL migrations on an empty database: `mongrate up` vs `sqlx migrate run`
#           (APPLY_RUNS fresh databases per tool, median)
#   status  over those N applied migrations: `mongrate status` vs `sqlx migrate info`
#           (STATUS_RUNS repetitions per tool, median)
# and prints wall-clock seconds and the ratio mongrate/sqlx (below 1.0: mongrate is faster).
#
# Before the timed runs each tool applies the migrations once, untimed, to a throw-away database
# (WARMUP=0 skips this): the first apply on a fresh server is markedly slower whichever tool runs it.
#
# Knobs (environment): N=1000 APPLY_RUNS=5 STATUS_RUNS=5 WARMUP=1 BENCH_TMPDIR=<dir for databases>
# sqlx-cli is installed into bench/.tools on first use (several minutes of compiling).
set -euo pipefail

N=${N:-1000}
APPLY_RUNS=${APPLY_RUNS:-5}
WARMUP=${WARMUP:-1}
STATUS_RUNS=${STATUS_RUNS:-5}
SQLX_VERSION=0.9.0

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)
cd "$root"

bench_name=sql_vs_sqlx
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
require_tools cargo psql sqlite3 python3

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
note "building mongrate (cargo build --release -p mongrate)"
cargo build --release -p mongrate >&2 || die "cargo build --release -p mongrate failed"
mongrate="$root/target/release/mongrate"
[ -x "$mongrate" ] || die "$mongrate missing after the build"

sqlx="$bench_dir/.tools/bin/sqlx"
if [ ! -x "$sqlx" ]; then
  note "installing sqlx-cli $SQLX_VERSION into bench/.tools (takes several minutes)"
  # Minimal feature set for PostgreSQL + SQLite: no TLS (loopback server), no MySQL, no completions.
  cargo install sqlx-cli --version "$SQLX_VERSION" --locked --no-default-features \
    --features postgres,sqlite --root "$bench_dir/.tools" >&2 \
    || die "cargo install sqlx-cli $SQLX_VERSION failed"
fi
[ -x "$sqlx" ] || die "$sqlx missing after cargo install"

# ---------------------------------------------------------------------------------------------
# Scratch space, PostgreSQL server, cleanup
# ---------------------------------------------------------------------------------------------
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/mongrate-bench.XXXXXX")
chmod 755 "$tmp" # as root the PostgreSQL server runs as the postgres user and must reach $tmp/pg
pg_dir="$tmp/pg"
pg_started=
cleanup() {
  if [ -n "$pg_started" ]; then "$root/tools/pg-test-server.sh" stop "$pg_dir" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note "starting a PostgreSQL server with default settings (fsync on)"
# A single space: no extra server options, so not the test default fsync=off.
pg_url=$(MONGRATE_PG_OPTIONS=" " "$root/tools/pg-test-server.sh" start "$pg_dir" $$) \
  || die "tools/pg-test-server.sh start failed"
pg_started=1
pg_base=${pg_url%/*}
[ "$(psql "$pg_url" -XAtqc 'SHOW fsync')" = on ] || die "the PostgreSQL server runs with fsync off"

# ---------------------------------------------------------------------------------------------
# Migrations: identical SQL bodies; mongrate files add a down section, sqlx files are up-only
# ---------------------------------------------------------------------------------------------
mg_migrations="$tmp/migrations-mongrate"
sx_migrations="$tmp/migrations-sqlx"
mkdir -p "$mg_migrations" "$sx_migrations"
for ((i = 1; i <= N; i++)); do
  printf -v v '%04d' "$i"
  # An explicit id: INTEGER PRIMARY KEY fills itself in on SQLite only, not on PostgreSQL.
  body="CREATE TABLE t_$v (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t_$v (id, v) VALUES (1, 'x');"
  printf -- '-- mongrate:up\n%s\n-- mongrate:down\nDROP TABLE t_%s;\n' "$body" "$v" >"$mg_migrations/${v}_t.sql"
  printf '%s\n' "$body" >"$sx_migrations/${v}_t.sql"
done
mkdir -p "$tmp/sqlite" "$tmp/logs"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
results="$tmp/results.tsv"
: >"$results"

# timed BACKEND PHASE TOOL RUN LOG -- COMMAND...: runs COMMAND with output to LOG, records its
# wall-clock seconds; aborts with the log when it fails.
timed() {
  local backend=$1 phase=$2 tool=$3 run=$4 log=$5
  shift 6
  record_timed "$backend" "$phase" "$tool" "$run" "$log" "$PWD" -- "$@"
}

# The number of tables t_<digits> in a database.
count_tables() {
  local backend=$1 target=$2
  case "$backend" in
    postgres) psql "$target" -XAtqc \
      "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name ~ '^t_[0-9]+\$'" ;;
    sqlite) sqlite3 "$target" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 't_[0-9]*'" ;;
  esac
}
# The number of rows in the t_* tables (each migration inserts one). One SELECT per 100 tables,
# since SQLite refuses expressions nested 1000 deep.
count_rows() {
  local backend=$1 target=$2 sql=""
  for ((i = 1; i <= N; i++)); do
    printf -v v '%04d' "$i"
    if ((i % 100 == 1)); then sql+="SELECT "; fi
    sql+="(SELECT count(*) FROM t_$v) + "
    if ((i % 100 == 0 || i == N)); then sql+=$'0;\n'; fi
  done
  case "$backend" in
    postgres) psql "$target" -XAtq -v ON_ERROR_STOP=1 <<<"$sql" ;;
    sqlite) sqlite3 -bail "$target" <<<"$sql" ;;
  esac | awk '{ total += $1 } END { print total + 0 }'
}
# The number of migrations the tool's own bookkeeping records as applied.
count_recorded() {
  local backend=$1 tool=$2 url=$3 out
  case "$tool" in
    mongrate)
      out=$("$mongrate" --url "$url" --migrations-dir "$mg_migrations" --json status) \
        || die "mongrate --json status failed on $backend: $out"
      python3 "$bench_dir/check_status.py" mongrate <<<"$out"
      ;;
    sqlx)
      out=$("$sqlx" migrate info --source "$sx_migrations" --database-url "$url") \
        || die "sqlx migrate info failed on $backend: $out"
      python3 "$bench_dir/check_status.py" sqlx <<<"$out"
      ;;
  esac
}

verify() {
  local backend=$1 tool=$2 target=$3 url=$4 tables rows recorded
  tables=$(count_tables "$backend" "$target") || die "cannot count the tables of $target"
  [ "$tables" = "$N" ] || die "$tool on $backend: expected $N tables t_*, found $tables in $target"
  rows=$(count_rows "$backend" "$target") || die "cannot count the rows of $target"
  [ "$rows" = "$N" ] || die "$tool on $backend: expected $N rows in the t_* tables, found $rows in $target"
  recorded=$(count_recorded "$backend" "$tool" "$url") || exit 1
  [ "$recorded" = "$N applied, 0 pending" ] \
    || die "$tool on $backend: its status reports '$recorded', expected '$N applied, 0 pending'"
}

# url_for BACKEND TOOL NAME: the URL the tool gets; target_for: what psql/sqlite3 open.
url_for() {
  case "$1/$2" in
    postgres/*) echo "$pg_base/$3" ;;
    sqlite/mongrate) echo "sqlite:$tmp/sqlite/$3.db" ;;
    sqlite/sqlx) echo "sqlite://$tmp/sqlite/$3.db?mode=rwc" ;;
  esac
}
target_for() {
  case "$1" in
    postgres) echo "$pg_base/$2" ;;
    sqlite) echo "$tmp/sqlite/$2.db" ;;
  esac
}

fresh_database() {
  local backend=$1 name=$2
  case "$backend" in
    postgres) psql "$pg_url" -XAtqc "CREATE DATABASE $name" >/dev/null || die "CREATE DATABASE $name failed" ;;
    sqlite) rm -f "$tmp/sqlite/$name.db" "$tmp/sqlite/$name.db-"* ;;
  esac
}

apply() {
  local backend=$1 tool=$2 run=$3 name url
  name="${tool}_r$run"
  fresh_database "$backend" "$name"
  url=$(url_for "$backend" "$tool" "$name")
  local log="$tmp/logs/$backend-$tool-apply-$run.log"
  note "apply: $tool on $backend, run $run/$APPLY_RUNS"
  case "$tool" in
    mongrate) timed "$backend" apply mongrate "$run" "$log" -- \
      "$mongrate" --url "$url" --migrations-dir "$mg_migrations" up --quiet ;;
    sqlx) timed "$backend" apply sqlx "$run" "$log" -- \
      "$sqlx" migrate run --source "$sx_migrations" --database-url "$url" ;;
  esac
  verify "$backend" "$tool" "$(target_for "$backend" "$name")" "$url"
}

status() {
  local backend=$1 tool=$2 run=$3 url
  url=$(url_for "$backend" "$tool" "${tool}_r1")
  local log="$tmp/logs/$backend-$tool-status.log"
  case "$tool" in
    mongrate) timed "$backend" status mongrate "$run" "$log" -- \
      "$mongrate" --url "$url" --migrations-dir "$mg_migrations" status ;;
    sqlx) timed "$backend" status sqlx "$run" "$log" -- \
      "$sqlx" migrate info --source "$sx_migrations" --database-url "$url" ;;
  esac
}

# Alternate which tool goes first, so neither always meets a colder or warmer machine.
order() { if (($1 % 2)); then echo "mongrate sqlx"; else echo "sqlx mongrate"; fi; }

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
for backend in postgres sqlite; do
  if [ "$WARMUP" != 0 ]; then
    for tool in mongrate sqlx; do apply "$backend" "$tool" warmup; done
  fi
  for ((run = 1; run <= APPLY_RUNS; run++)); do
    for tool in $(order "$run"); do apply "$backend" "$tool" "$run"; done
  done
  note "status: $STATUS_RUNS runs per tool on $backend"
  for ((run = 1; run <= STATUS_RUNS; run++)); do
    for tool in $(order "$run"); do status "$backend" "$tool" "$run"; done
  done
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
sqlite_journal=$(sqlite3 "$tmp/sqlite/mongrate_r1.db" 'PRAGMA journal_mode')/$(sqlite3 "$tmp/sqlite/sqlx_r1.db" 'PRAGMA journal_mode')
{
  echo
  echo "mongrate vs sqlx-cli: $N migrations, apply median of $APPLY_RUNS (after $([ "$WARMUP" != 0 ] && echo 1 || echo no) untimed warm-up apply per tool), status median of $STATUS_RUNS"
  echo "machine:    nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
  echo "disk:       $(df -PT "$tmp" | awk 'NR == 2 { print $2 " (" $1 ")" }') for the SQLite files and the PostgreSQL cluster"
  echo "mongrate:   $("$mongrate" --version) (target/release, git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- crates 2>/dev/null || echo ', crates/ has uncommitted changes'))"
  echo "sqlx-cli:   $("$sqlx" --version) (features postgres,sqlite)"
  echo "postgres:   $(psql "$pg_url" -XAtqc 'SHOW server_version'), fsync=$(psql "$pg_url" -XAtqc 'SHOW fsync'), synchronous_commit=$(psql "$pg_url" -XAtqc 'SHOW synchronous_commit'); loopback TCP"
  echo "sqlite:     journal_mode mongrate/sqlx = $sqlite_journal; CLI $(sqlite3 --version | cut -d' ' -f1) (verification only)"
  echo
  python3 "$bench_dir/summarize.py" "$results"
}
