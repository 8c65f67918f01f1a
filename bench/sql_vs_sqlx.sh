#!/usr/bin/env bash
# Benchmark: mongrate vs sqlx-cli 0.9 on the same PostgreSQL server and the same disk (SQLite).
#
#   bash bench/sql_vs_sqlx.sh            (from the repository root)
#
# Measures, for PostgreSQL and SQLite:
#   apply   N small SQL migrations on an empty database: `mongrate up` vs `sqlx migrate run`
#           (APPLY_RUNS fresh databases per tool, median; goal: mongrate <= 0.5x), and mongrate
#           with each `--group-size` of GROUP_SIZES in the same rounds (the sweep), and the floor:
#           the same SQL in one transaction by psql / sqlite3, without any bookkeeping (FLOOR=1)
#   status  over those N applied migrations: `mongrate status` vs `sqlx migrate info`
#           (STATUS_RUNS repetitions per tool, median; goal: mongrate <= 1.0x)
#   deploy  DEPLOY_N (5) pending migrations on top of the N applied, process start included
#           (DEPLOY_RUNS copies of each tool's applied database, median)
# and prints wall-clock seconds and the ratio mongrate/sqlx (below 1.0: mongrate is faster).
# Then (COUNTS=1), untimed, what each tool sends to PostgreSQL for one apply and one status: the
# server's own log (log_statement=all, log_connections) and the client's socket writes (strace).
# Before each timed section it waits for the machine to be quiet (wait_for_quiet in common.sh).
#
# Before the timed runs each tool applies the migrations once, untimed, to a throw-away database
# (WARMUP=0 skips this): the first apply on a fresh server is markedly slower whichever tool runs it.
#
# Knobs (environment): N=1000 APPLY_RUNS=5 STATUS_RUNS=5 DEPLOY_N=5 DEPLOY_RUNS=5 WARMUP=1 COUNTS=1
#                      GROUP_SIZES="1 10 50 100 250 1000" ("" skips the sweep) BACKENDS="postgres sqlite"
#                      FLOOR=1
#                      LOAD_MAX=1.5 LOAD_WAIT=900 LOAD_POLL=30 BENCH_TMPDIR=<dir for databases>
# sqlx-cli is installed into bench/.tools on first use (several minutes of compiling).
set -euo pipefail

N=${N:-1000}
APPLY_RUNS=${APPLY_RUNS:-5}
WARMUP=${WARMUP:-1}
STATUS_RUNS=${STATUS_RUNS:-5}
DEPLOY_N=${DEPLOY_N:-5}
DEPLOY_RUNS=${DEPLOY_RUNS:-5}
COUNTS=${COUNTS:-1}
FLOOR=${FLOOR:-1}
GROUP_SIZES=${GROUP_SIZES-1 10 50 100 250 1000}
BACKENDS=${BACKENDS:-postgres sqlite}
SQLX_VERSION=0.9.0
APPLY_GOAL=2  # speed-up sqlx/mongrate: mongrate at most 0.5x sqlx-cli's time
STATUS_GOAL=1 # mongrate at most 1.0x

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)
cd "$root"

bench_name=sql_vs_sqlx
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
require_tools cargo psql sqlite3 python3
if [ "$COUNTS" != 0 ]; then require_tools strace; fi
[[ $N =~ ^[1-9][0-9]*$ && $DEPLOY_N =~ ^[1-9][0-9]*$ ]] && ((N + DEPLOY_N <= 9999)) \
  || die "N and DEPLOY_N must be 1 or more, N + DEPLOY_N at most 9999"
for size in $GROUP_SIZES; do [[ $size =~ ^[1-9][0-9]*$ ]] || die "GROUP_SIZES: '$size' is not a group size"; done

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
# Migrations: identical SQL bodies; mongrate files add a down section, sqlx files are up-only.
# The deploy directories hold the same N files plus DEPLOY_N newer ones.
# ---------------------------------------------------------------------------------------------
mg_migrations="$tmp/migrations-mongrate"
sx_migrations="$tmp/migrations-sqlx"
mg_deploy="$tmp/deploy-mongrate"
sx_deploy="$tmp/deploy-sqlx"
mkdir -p "$mg_migrations" "$sx_migrations" "$mg_deploy" "$sx_deploy"
for ((i = 1; i <= N + DEPLOY_N; i++)); do
  printf -v v '%04d' "$i"
  # An explicit id: INTEGER PRIMARY KEY fills itself in on SQLite only, not on PostgreSQL.
  body="CREATE TABLE t_$v (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t_$v (id, v) VALUES (1, 'x');"
  printf -- '-- mongrate:up\n%s\n-- mongrate:down\nDROP TABLE t_%s;\n' "$body" "$v" >"$mg_deploy/${v}_t.sql"
  printf '%s\n' "$body" >"$sx_deploy/${v}_t.sql"
  if ((i <= N)); then
    cp "$mg_deploy/${v}_t.sql" "$mg_migrations/"
    cp "$sx_deploy/${v}_t.sql" "$sx_migrations/"
  fi
done
mkdir -p "$tmp/sqlite" "$tmp/logs"
# The floor's input: all N bodies in one transaction (psql -1 adds BEGIN/COMMIT itself).
floor_sql="$tmp/floor.sql"
cat "$sx_migrations"/*.sql >"$floor_sql"
{ echo 'BEGIN;'; cat "$floor_sql"; echo 'COMMIT;'; } >"$tmp/floor-sqlite.sql"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
results="$tmp/results.tsv"
loads="$tmp/loads.tsv"
counts="$tmp/counts.txt"
: >"$results"
: >"$loads"
: >"$counts"

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
# The number of rows in the t_* tables t_0001..t_<n> (each migration inserts one). One SELECT per
# 100 tables, since SQLite refuses expressions nested 1000 deep.
count_rows() {
  local backend=$1 target=$2 n=$3 sql=""
  for ((i = 1; i <= n; i++)); do
    printf -v v '%04d' "$i"
    if ((i % 100 == 1)); then sql+="SELECT "; fi
    sql+="(SELECT count(*) FROM t_$v) + "
    if ((i % 100 == 0 || i == n)); then sql+=$'0;\n'; fi
  done
  case "$backend" in
    postgres) psql "$target" -XAtq -v ON_ERROR_STOP=1 <<<"$sql" ;;
    sqlite) sqlite3 -bail "$target" <<<"$sql" ;;
  esac | awk '{ total += $1 } END { print total + 0 }'
}
# The number of migrations the tool's own bookkeeping records as applied (DIR: the migrations
# directory it is asked about, of the tool's kind).
count_recorded() {
  local backend=$1 tool=$2 url=$3 dir=$4 out
  case "$tool" in
    mongrate*)
      out=$("$mongrate" --url "$url" --migrations-dir "$dir" --json status) \
        || die "mongrate --json status failed on $backend: $out"
      python3 "$bench_dir/check_status.py" mongrate <<<"$out"
      ;;
    sqlx)
      out=$("$sqlx" migrate info --source "$dir" --database-url "$url") \
        || die "sqlx migrate info failed on $backend: $out"
      python3 "$bench_dir/check_status.py" sqlx <<<"$out"
      ;;
  esac
}

# verify BACKEND TOOL TARGET URL [N DIR]: the database holds exactly the N tables t_* with their
# row, and the tool's status over DIR (default: the N migrations) says N applied, 0 pending.
verify() {
  local backend=$1 tool=$2 target=$3 url=$4 n=${5:-$N} dir=${6:-} tables rows recorded
  if [ -z "$dir" ]; then
    case "$tool" in mongrate*) dir=$mg_migrations ;; sqlx) dir=$sx_migrations ;; esac
  fi
  tables=$(count_tables "$backend" "$target") || die "cannot count the tables of $target"
  [ "$tables" = "$n" ] || die "$tool on $backend: expected $n tables t_*, found $tables in $target"
  rows=$(count_rows "$backend" "$target" "$n") || die "cannot count the rows of $target"
  [ "$rows" = "$n" ] || die "$tool on $backend: expected $n rows in the t_* tables, found $rows in $target"
  [ "$tool" = floor ] && return 0 # no bookkeeping to ask
  recorded=$(count_recorded "$backend" "$tool" "$url" "$dir") || exit 1
  [ "$recorded" = "$n applied, 0 pending" ] \
    || die "$tool on $backend: its status reports '$recorded', expected '$n applied, 0 pending'"
}

# url_for BACKEND TOOL NAME: the URL the tool gets; target_for: what psql/sqlite3 open.
url_for() {
  case "$1/$2" in
    postgres/*) echo "$pg_base/$3" ;;
    sqlite/mongrate* | sqlite/floor) echo "sqlite:$tmp/sqlite/$3.db" ;;
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

# copy_database BACKEND FROM TO: TO becomes a copy of the database FROM (untimed set-up).
copy_database() {
  local backend=$1 from=$2 to=$3 attempt
  case "$backend" in
    postgres)
      # A tool's server session may outlive its process by a moment, and a template must be unused.
      for attempt in 1 2 3 4 5 6 7 8 9 10; do
        psql "$pg_url" -XAtqc "CREATE DATABASE $to TEMPLATE $from" >/dev/null 2>"$tmp/logs/copy.err" && return 0
        sleep 0.5
      done
      die "CREATE DATABASE $to TEMPLATE $from failed: $(cat "$tmp/logs/copy.err")"
      ;;
    sqlite)
      rm -f "$tmp/sqlite/$to.db" "$tmp/sqlite/$to.db-"*
      sqlite3 "$tmp/sqlite/$from.db" ".backup '$tmp/sqlite/$to.db'" || die "copying $from.db to $to.db failed"
      ;;
  esac
}

# apply_cmd TOOL URL [DIR]: sets the array `cmd` to the tool's apply command (TOOL mongrate-gN:
# `mongrate up --group-size N`).
apply_cmd() {
  local tool=$1 url=$2 dir=${3:-}
  case "$tool" in
    mongrate*) cmd=("$mongrate" --url "$url" --migrations-dir "${dir:-$mg_migrations}" up --quiet)
      if [[ $tool == mongrate-g* ]]; then cmd+=(--group-size "${tool#mongrate-g}"); fi ;;
    sqlx) cmd=("$sqlx" migrate run --source "${dir:-$sx_migrations}" --database-url "$url") ;;
    floor) case "$url" in
        postgres*) cmd=(psql "$url" -X -q -1 -v ON_ERROR_STOP=1 -f "$floor_sql") ;;
        *) cmd=(sqlite3 -bail "${url#sqlite:}" ".read $tmp/floor-sqlite.sql") ;;
      esac ;;
  esac
}

apply() {
  local backend=$1 tool=$2 run=$3 name url
  name="${tool//-/_}_r$run"
  fresh_database "$backend" "$name"
  url=$(url_for "$backend" "$tool" "$name")
  local log="$tmp/logs/$backend-$tool-apply-$run.log"
  note "apply: $tool on $backend, run $run/$APPLY_RUNS"
  apply_cmd "$tool" "$url"
  timed "$backend" apply "$tool" "$run" "$log" -- "${cmd[@]}"
  verify "$backend" "$tool" "$(target_for "$backend" "$name")" "$url"
}

# deploy BACKEND TOOL RUN: DEPLOY_N pending migrations on a copy of the tool's applied database.
deploy() {
  local backend=$1 tool=$2 run=$3 name url dir recorded
  name="deploy_${tool}_r$run"
  copy_database "$backend" "${tool}_r1" "$name"
  url=$(url_for "$backend" "$tool" "$name")
  case "$tool" in mongrate) dir=$mg_deploy ;; sqlx) dir=$sx_deploy ;; esac
  # The copy must be exactly N applied, DEPLOY_N pending before the timed run.
  recorded=$(count_recorded "$backend" "$tool" "$url" "$dir") || exit 1
  [ "$recorded" = "$N applied, $DEPLOY_N pending" ] \
    || die "$tool on $backend: the copy $name reports '$recorded', expected '$N applied, $DEPLOY_N pending'"
  apply_cmd "$tool" "$url" "$dir"
  timed "$backend" deploy "$tool" "$run" "$tmp/logs/$backend-$tool-deploy-$run.log" -- "${cmd[@]}"
  verify "$backend" "$tool" "$(target_for "$backend" "$name")" "$url" $((N + DEPLOY_N)) "$dir"
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
# The apply rounds also run the group-size sweep, reversed every other round.
sweep_order() {
  local tools="" size
  for size in $GROUP_SIZES; do tools+=" mongrate-g$size"; done
  if [ "$FLOOR" != 0 ]; then tools+=" floor"; fi
  if (($1 % 2)); then echo "$(order "$1")$tools"; else echo "$(tr ' ' '\n' <<<"$tools" | tac | tr '\n' ' ') $(order "$1")"; fi
}

# ---------------------------------------------------------------------------------------------
# Counting pass (untimed): what each tool sends to PostgreSQL
# ---------------------------------------------------------------------------------------------
pg_log="$pg_dir/server.log"
pg_port=${pg_base##*:}
log_size() { stat -c %s "$pg_log"; }

# counted LABEL PHASE MIGRATIONS DB -- COMMAND...: runs COMMAND under strace, then appends to
# $counts the connections, query messages and executions the server logged for DB meanwhile and
# the client's writes to the server's socket.
counted() {
  local label=$1 phase=$2 migrations=$3 db=$4 start end writes connections queries executes
  local trace="$tmp/logs/strace-${db}-${2%% *}.txt" out="$tmp/logs/count-${db}-${2%% *}.log"
  shift 5
  start=$(log_size)
  strace -f -yy -e trace=write,writev,sendto,sendmsg -o "$trace" "$@" >"$out" 2>&1 \
    || die "$label $phase (counting pass) failed: $(tail -c 2000 "$out")"
  sleep 1 # the server writes its log lines as it goes; let the last ones land
  end=$(log_size)
  read -r connections queries executes < <(python3 "$bench_dir/round_trips.py" pg-log "$pg_log" "$start" "$end" "$db")
  writes=$(python3 "$bench_dir/round_trips.py" strace "$trace" "$pg_port")
  printf '%s\t%s\t%s\tconnections=%s\tquery_messages=%s\texecutes=%s\tstatements=%s\tclient_writes=%s\n' \
    "$label" "$phase" "$migrations" "$connections" "$queries" "$executes" $((queries + executes)) "$writes" >>"$counts"
  { echo "$label, $phase: most frequent statements (log_statement=all)"
    python3 "$bench_dir/round_trips.py" pg-shapes "$pg_log" "$start" "$end" "$db"; } >>"$tmp/shapes.txt"
}

count_pass() {
  note "counting pass (untimed): log_statement=all, strace"
  for setting in "log_statement = 'all'" "log_connections = on" "log_line_prefix = '%m [%p] db=%d '"; do
    psql "$pg_url" -XAtqc "ALTER SYSTEM SET $setting" >/dev/null || die "ALTER SYSTEM SET $setting failed"
  done
  psql "$pg_url" -XAtqc 'SELECT pg_reload_conf()' >/dev/null || die "pg_reload_conf() failed"
  sleep 1
  local tool label db url
  for tool in mongrate-g1 mongrate sqlx; do
    case "$tool" in
      mongrate-g1) label="mongrate --group-size 1" ;;
      mongrate) label="mongrate (default --group-size $("$mongrate" up --help | sed -n 's/.*\[default: \([0-9]*\)\].*/\1/p' | head -n 1))" ;;
      sqlx) label="sqlx-cli" ;;
    esac
    db="count_${tool//-/_}"
    fresh_database postgres "$db"
    url=$(url_for postgres "$tool" "$db")
    apply_cmd "$tool" "$url"
    counted "$label" "apply $N to an empty database" "$N" "$db" -- "${cmd[@]}"
    verify postgres "$tool" "$(target_for postgres "$db")" "$url"
    [ "$tool" = mongrate-g1 ] && continue
    case "$tool" in
      mongrate) counted "$label" "status over $N applied" "$N" "$db" -- "$mongrate" --url "$url" --migrations-dir "$mg_migrations" status ;;
      sqlx) counted "$label" "status over $N applied" "$N" "$db" -- "$sqlx" migrate info --source "$sx_migrations" --database-url "$url" ;;
    esac
    copy_database postgres "$db" "${db}_deploy"
    url=$(url_for postgres "$tool" "${db}_deploy")
    case "$tool" in mongrate) apply_cmd "$tool" "$url" "$mg_deploy" ;; sqlx) apply_cmd "$tool" "$url" "$sx_deploy" ;; esac
    counted "$label" "deploy $DEPLOY_N on top of $N" "$DEPLOY_N" "${db}_deploy" -- "${cmd[@]}"
  done
  for setting in log_statement log_connections log_line_prefix; do
    psql "$pg_url" -XAtqc "ALTER SYSTEM RESET $setting" >/dev/null || die "ALTER SYSTEM RESET $setting failed"
  done
  psql "$pg_url" -XAtqc 'SELECT pg_reload_conf()' >/dev/null || die "pg_reload_conf() failed"
}

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
for backend in $BACKENDS; do
  if [ "$WARMUP" != 0 ]; then
    for tool in mongrate sqlx; do apply "$backend" "$tool" warmup; done
  fi
  wait_for_quiet "$backend: apply $N (with the group-size sweep)"
  for ((run = 1; run <= APPLY_RUNS; run++)); do
    for tool in $(sweep_order "$run"); do apply "$backend" "$tool" "$run"; done
  done
  wait_for_quiet "$backend: status over $N"
  note "status: $STATUS_RUNS runs per tool on $backend"
  for ((run = 1; run <= STATUS_RUNS; run++)); do
    for tool in $(order "$run"); do status "$backend" "$tool" "$run"; done
  done
  wait_for_quiet "$backend: deploy $DEPLOY_N on top of $N"
  note "deploy: $DEPLOY_RUNS runs per tool on $backend"
  for ((run = 1; run <= DEPLOY_RUNS; run++)); do
    for tool in $(order "$run"); do deploy "$backend" "$tool" "$run"; done
  done
done
if [ "$COUNTS" != 0 ] && [[ " $BACKENDS " == *" postgres "* ]]; then count_pass; fi

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
sqlite_journal=-
if [[ " $BACKENDS " == *" sqlite "* ]]; then
  sqlite_journal=$(sqlite3 "$tmp/sqlite/mongrate_r1.db" 'PRAGMA journal_mode')/$(sqlite3 "$tmp/sqlite/sqlx_r1.db" 'PRAGMA journal_mode')
fi
{
  echo
  echo "mongrate vs sqlx-cli: $N migrations, apply median of $APPLY_RUNS (after $([ "$WARMUP" != 0 ] && echo 1 || echo no) untimed warm-up apply per tool), status median of $STATUS_RUNS, deploy of $DEPLOY_N on top of $N median of $DEPLOY_RUNS"
  echo "machine:    nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
  echo "disk:       $(df -PT "$tmp" | awk 'NR == 2 { print $2 " (" $1 ")" }') for the SQLite files and the PostgreSQL cluster"
  echo "mongrate:   $("$mongrate" --version) (target/release, git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- crates 2>/dev/null || echo ', crates/ has uncommitted changes'))"
  echo "sqlx-cli:   $("$sqlx" --version) (features postgres,sqlite)"
  echo "postgres:   $(psql "$pg_url" -XAtqc 'SHOW server_version'), fsync=$(psql "$pg_url" -XAtqc 'SHOW fsync'), synchronous_commit=$(psql "$pg_url" -XAtqc 'SHOW synchronous_commit'); loopback TCP"
  echo "sqlite:     journal_mode mongrate/sqlx = $sqlite_journal; CLI $(sqlite3 --version | cut -d' ' -f1) (verification only)"
  print_loads
  echo
  python3 "$bench_dir/summarize.py" "$results" \
    --label "apply=apply $N to an empty database (up / migrate run)" \
    --label "status=status over $N applied (status / migrate info)" \
    --label "deploy=deploy $DEPLOY_N on top of $N (up / migrate run)" \
    --goal "apply=$APPLY_GOAL" --goal "status=$STATUS_GOAL"
  if [ -s "$counts" ]; then
    echo
    echo "PostgreSQL, what each tool sends (one untimed run each, fresh database): connections and statements from the"
    echo "server's log (log_statement=all: a query message is one simple-query message, which may hold several statements;"
    echo "an execute is one extended-protocol execution; statements = both), client_writes = the tool's writes to the"
    echo "server's socket (strace), i.e. its round trips"
    python3 "$bench_dir/round_trips.py" table "$counts"
    echo
    cat "$tmp/shapes.txt"
  fi
}
