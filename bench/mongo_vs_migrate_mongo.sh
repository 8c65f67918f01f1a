#!/usr/bin/env bash
# Benchmark: mongrate vs migrate-mongo 14 on the same MongoDB-wire server (the test suite's FerretDB).
#
#   bash bench/mongo_vs_migrate_mongo.sh            (from the repository root)
#
# Measures:
#   apply   APPLY_N (1000) small migrations to an empty database: `mongrate up` vs `migrate-mongo up`
#           (APPLY_RUNS fresh databases per tool, median; goal: mongrate faster)
#   status  over STATUS_N (1000) applied migrations: `mongrate status` vs `migrate-mongo status`
#           (STATUS_RUNS repetitions per tool, median; goal 10x faster). When STATUS_N = APPLY_N
#           the databases of apply run 1 serve; otherwise each tool first applies the STATUS_N
#           migrations, untimed, to its own database (that apply's time is shown too).
#   deploy  DEPLOY_N (5) pending migrations on top of the STATUS_N applied, process start included
#           (DEPLOY_RUNS runs per tool, median; after each run the tool reverts the DEPLOY_N and
#           their collections are dropped, untimed, so every run starts from the same state)
# all on the test suite's FerretDB, and, when BENCH_MONGODB_URI names a MongoDB server with
# transactions, the apply there too (with `--group-size N` for each N of MONGODB_GROUP_SIZES).
# It prints wall-clock seconds, the ratio mongrate/migrate-mongo and the speed-up
# migrate-mongo/mongrate against the goals; the commands the server ran for run 1 of each
# (serverStatus metrics.commands before and after, COUNTS=1); then a breakdown of where the time
# goes (process start, reading the files, the server's share).
# Before each timed section it waits for the machine to be quiet (wait_for_quiet in common.sh).
#
# Each migration inserts one document {_id: 1, v: "x"} into its own collection items_NNNN
# (INDEX=1: and creates an index {v: 1} on it). mongrate gets that as declarative YAML,
# migrate-mongo as JavaScript; the versions and names are the same.
#
# Knobs (environment): STATUS_N=1000 APPLY_N=1000 STATUS_RUNS=10 APPLY_RUNS=5 DEPLOY_N=5
#                      DEPLOY_RUNS=5 WARMUP=1 WARMUP_N=200 INDEX=0 COUNTS=1 BREAKDOWN=1
#                      BENCH_MONGODB_URI=<a MongoDB with transactions> MONGODB_GROUP_SIZES="1"
#                      LOAD_MAX=1.5 LOAD_WAIT=900 LOAD_POLL=30 BENCH_TMPDIR=<dir for the server's data>
# migrate-mongo is installed with npm into bench/.tools/node on first use.
set -euo pipefail

STATUS_N=${STATUS_N:-1000}
APPLY_N=${APPLY_N:-1000}
STATUS_RUNS=${STATUS_RUNS:-10}
APPLY_RUNS=${APPLY_RUNS:-5}
DEPLOY_N=${DEPLOY_N:-5}
DEPLOY_RUNS=${DEPLOY_RUNS:-5}
WARMUP=${WARMUP:-1}
WARMUP_N=${WARMUP_N:-200}
INDEX=${INDEX:-0}
COUNTS=${COUNTS:-1}
BREAKDOWN=${BREAKDOWN:-1}
MONGODB_GROUP_SIZES=${MONGODB_GROUP_SIZES-1}
MIGRATE_MONGO_MAJOR=14
STATUS_GOAL=10
APPLY_GOAL=1    # faster than migrate-mongo
DEPLOY_GOAL=1

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)
cd "$root"
script_start=$EPOCHREALTIME

bench_name=mongo_vs_migrate_mongo
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
require_tools cargo python3 node npm
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "migrate-mongo $MIGRATE_MONGO_MAJOR needs Node.js 20 or newer, found $(node --version)"
for knob in STATUS_N APPLY_N WARMUP_N DEPLOY_N STATUS_RUNS APPLY_RUNS DEPLOY_RUNS; do
  [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be 1 or more, got '${!knob}'"
done
((STATUS_N + DEPLOY_N <= 9999 && APPLY_N <= 9999 && WARMUP_N <= 9999)) || die "at most 9999 migrations"
for size in $MONGODB_GROUP_SIZES; do [[ $size =~ ^[1-9][0-9]*$ ]] || die "MONGODB_GROUP_SIZES: '$size' is not a group size"; done
[[ $INDEX == 0 || $INDEX == 1 ]] || die "INDEX must be 0 or 1"

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
note "building mongrate (cargo build --release -p mongrate)"
cargo build --release -p mongrate >&2 || die "cargo build --release -p mongrate failed"
mongrate="$root/target/release/mongrate"
[ -x "$mongrate" ] || die "$mongrate missing after the build"

node_dir="$bench_dir/.tools/node"
node_modules="$node_dir/node_modules"
migrate_mongo="$node_modules/.bin/migrate-mongo"
installed_version() { node -p "require('$node_modules/migrate-mongo/package.json').version" 2>/dev/null || true; }
if [ ! -x "$migrate_mongo" ] || [[ $(installed_version) != "$MIGRATE_MONGO_MAJOR".* ]]; then
  note "installing migrate-mongo@$MIGRATE_MONGO_MAJOR with npm into bench/.tools/node"
  npm install --prefix "$node_dir" --no-audit --no-fund "migrate-mongo@$MIGRATE_MONGO_MAJOR" >&2 \
    || die "npm install migrate-mongo@$MIGRATE_MONGO_MAJOR failed"
fi
[ -x "$migrate_mongo" ] || die "$migrate_mongo missing after npm install"
mm_version=$(installed_version)
[[ $mm_version == "$MIGRATE_MONGO_MAJOR".* ]] || die "bench/.tools/node has migrate-mongo $mm_version, expected $MIGRATE_MONGO_MAJOR.x"
check_js="$bench_dir/mongo_check.js"
export BENCH_NODE_MODULES="$node_modules"

# ---------------------------------------------------------------------------------------------
# Scratch space, FerretDB server, cleanup
# ---------------------------------------------------------------------------------------------
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/mongrate-bench-mongo.XXXXXX")
fdb_dir="$tmp/ferretdb"
fdb_started=
created_on_mongodb=() # databases this run created on BENCH_MONGODB_URI's server, dropped on exit
cleanup() {
  if [ -n "$fdb_started" ]; then "$root/tools/ferretdb-test-server.sh" stop "$fdb_dir" || true; fi
  if ((${#created_on_mongodb[@]})); then
    node "$check_js" dropdb "$BENCH_MONGODB_URI" "${created_on_mongodb[@]}" >&2 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note "starting FerretDB (tools/ferretdb-test-server.sh; the first run builds it with Go)"
fdb_url=$("$root/tools/ferretdb-test-server.sh" start "$fdb_dir" $$) || die "tools/ferretdb-test-server.sh start failed"
fdb_started=1
server_line=$(node "$check_js" server "$fdb_url") || die "cannot reach the server at $fdb_url: $server_line"
mongodb_line="not run: BENCH_MONGODB_URI is not set (no MongoDB server with transactions here; FerretDB v1 has none)"
if [ -n "${BENCH_MONGODB_URI:-}" ]; then
  mongodb_line=$(node "$check_js" server "$BENCH_MONGODB_URI") || die "cannot reach BENCH_MONGODB_URI: $mongodb_line"
fi

# The server the functions below talk to: `backend` (ferretdb or mongodb) and its URI.
use_server() {
  backend=$1
  case "$backend" in
    ferretdb) server_url=$fdb_url ;;
    mongodb) server_url=$BENCH_MONGODB_URI ;;
  esac
}
use_server ferretdb

# db_url DB: the server's URI naming the database DB (credentials and query options kept).
db_url() {
  python3 -c 'import sys
uri, db = sys.argv[1:]
base, sep, query = uri.partition("?")
scheme, _, rest = base.partition("://")
host = rest.split("/", 1)[0]
print(f"{scheme}://{host}/{db}{sep}{query}")' "$server_url" "$1"
}

# ---------------------------------------------------------------------------------------------
# Migrations: the same versions, names and work; YAML for mongrate, JavaScript for migrate-mongo
# ---------------------------------------------------------------------------------------------
# write_migrations DIR_MONGRATE DIR_MIGRATE_MONGO N
write_migrations() {
  local mg_dir=$1 mm_dir=$2 n=$3 i v version index_yaml="" index_up="" index_down=""
  mkdir -p "$mg_dir" "$mm_dir"
  for ((i = 1; i <= n; i++)); do
    printf -v v '%04d' "$i"
    # Versions are timestamps one second apart: 20250101000001, ..., 20250101001640 for i = 1000.
    printf -v version '20250101%02d%02d%02d' $((i / 3600)) $((i % 3600 / 60)) $((i % 60))
    if [ "$INDEX" = 1 ]; then
      index_yaml="  - createIndex: { collection: items_$v, keys: { v: 1 } }"$'\n'
      index_up="    await db.collection('items_$v').createIndex({ v: 1 });"$'\n'
      index_down="    await db.collection('items_$v').dropIndex('v_1');"$'\n'
    fi
    # mongrate derives the down (dropIndex, then delete the inserted _id) from the up.
    printf 'up:\n  - insertMany: { collection: items_%s, documents: [ { _id: 1, v: "x" } ] }\n%s' \
      "$v" "$index_yaml" >"$mg_dir/$version-m$v.yaml"
    printf "module.exports = {\n  async up(db, client) {\n    await db.collection('items_%s').insertOne({ _id: 1, v: 'x' });\n%s  },\n  async down(db, client) {\n%s    await db.collection('items_%s').deleteOne({ _id: 1 });\n  },\n};\n" \
      "$v" "$index_up" "$index_down" "$v" >"$mm_dir/$version-m$v.js"
  done
}
note "writing $APPLY_N + $STATUS_N + $((STATUS_N + DEPLOY_N)) + $WARMUP_N migrations for each tool"
write_migrations "$tmp/status/mongrate" "$tmp/status/migrate-mongo" "$STATUS_N"
write_migrations "$tmp/apply/mongrate" "$tmp/apply/migrate-mongo" "$APPLY_N"
write_migrations "$tmp/deploy/mongrate" "$tmp/deploy/migrate-mongo" $((STATUS_N + DEPLOY_N))
write_migrations "$tmp/warmup/mongrate" "$tmp/warmup/migrate-mongo" "$WARMUP_N"
mkdir -p "$tmp/logs" "$tmp/config"

# migrate-mongo_config DB MIGRATIONS_DIR: writes the config file for one database, prints its path.
# lockTtl 0 turns migrate-mongo's lock off: it is a TTL index, which FerretDB does not have.
migrate_mongo_config() {
  local db=$1 dir=$2 file="$tmp/config/$backend-$1.js"
  cat >"$file" <<EOF
module.exports = {
  mongodb: { url: $(node -p 'JSON.stringify(process.argv[1])' "$server_url"), databaseName: "$db", options: {} },
  migrationsDir: "$dir",
  changelogCollectionName: "changelog",
  lockCollectionName: "changelog_lock",
  lockTtl: 0,
  migrationFileExtension: ".js",
  useFileHash: false,
  moduleSystem: "commonjs",
};
EOF
  echo "$file"
}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
results="$tmp/results.tsv"
loads="$tmp/loads.tsv"
counts="$tmp/counts.txt"
: >"$results"
: >"$loads"
: >"$counts"


# snapshot FILE: the server's command counters (serverStatus metrics.commands) into FILE.
snapshot() {
  node "$check_js" counters "$server_url" >"$1" 2>"$1.err" || die "serverStatus on $backend failed: $(cat "$1.err")"
}

# timed PHASE TOOL RUN LOG -- COMMAND...: runs COMMAND in $tmp with its output to LOG (a file: a
# pipe would cut migrate-mongo's output short, as it exits before a pipe is drained), records its
# wall-clock seconds unless RUN is "warmup"; aborts with the log when it fails. For run 1 (with
# COUNTS=1) it also records the commands the server ran meanwhile, from snapshots taken outside
# the timed part.
timed() {
  local phase=$1 tool=$2 run=$3 log=$4 n=${COUNT_N:-0}
  shift 5
  if [ "$COUNTS" = 0 ] || [ "$run" != 1 ] || [ "$n" = 0 ]; then
    record_timed "$backend" "$phase" "$tool" "$run" "$log" "$tmp" -- "$@"
    return
  fi
  snapshot "$tmp/before.json"
  record_timed "$backend" "$phase" "$tool" "$run" "$log" "$tmp" -- "$@"
  snapshot "$tmp/after.json"
  printf '%s\t%s\t%s\t%s\n' "$tool" "$backend: $phase" "$n" \
    "$(python3 "$bench_dir/round_trips.py" mongo-delta "$tmp/before.json" "$tmp/after.json" "$probe_json" | tr ' ' '\t')" >>"$counts"
}

# check_reported TOOL MODE N LOG: the status output in LOG must say N applied, 0 pending.
check_reported() {
  local tool=$1 mode=$2 n=$3 log=$4 reported
  reported=$(python3 "$bench_dir/check_status.py" "$mode" <"$log") || die "cannot read the status output of $tool in $log"
  [ "$reported" = "$n applied, 0 pending" ] \
    || die "$tool: its status reports '$reported', expected '$n applied, 0 pending' (output in $log: $(tail -c 600 "$log"))"
}

# status_cmd TOOL DB DIR: sets the array `cmd` to the tool's status command for DB.
status_cmd() {
  local tool=$1 db=$2 dir=$3
  case "$tool" in
    mongrate) cmd=("$mongrate" --url "$(db_url "$db")" --migrations-dir "$dir" status) ;;
    migrate-mongo) cmd=("$migrate_mongo" status -f "$(migrate_mongo_config "$db" "$dir")") ;;
  esac
}

# verify TOOL DB DIR N: the database holds the N collections with their document (and index), and
# the tool's own status says N applied, 0 pending.
verify() {
  local tool=$1 db=$2 dir=$3 n=$4 out log="$tmp/logs/verify-$2.log"
  out=$(node "$check_js" verify "$server_url" "$db" "$n" "$INDEX" 2>&1) || die "$tool on $backend: wrong database contents after up: $out"
  case "$tool" in
    mongrate*)
      "$mongrate" --url "$(db_url "$db")" --migrations-dir "$dir" --json status >"$log" 2>&1 \
        || die "mongrate --json status on $db failed: $(tail -c 2000 "$log")"
      check_reported mongrate mongrate "$n" "$log"
      ;;
    migrate-mongo)
      status_cmd migrate-mongo "$db" "$dir"
      (cd "$tmp" && exec "${cmd[@]}") >"$log" 2>&1 \
        || die "migrate-mongo status on $db failed: $(tail -c 2000 "$log")"
      check_reported migrate-mongo migrate-mongo "$n" "$log"
      ;;
  esac
}

# up_cmd TOOL DB DIR: sets the array `cmd` to the tool's `up` (TOOL mongrate-gN: --group-size N).
up_cmd() {
  local tool=$1 db=$2 dir=$3
  case "$tool" in
    mongrate*) cmd=("$mongrate" --url "$(db_url "$db")" --migrations-dir "$dir" up --quiet)
      if [[ $tool == mongrate-g* ]]; then cmd+=(--group-size "${tool#mongrate-g}"); fi ;;
    migrate-mongo) cmd=("$migrate_mongo" up -f "$(migrate_mongo_config "$db" "$dir")") ;;
  esac
}

# apply PHASE TOOL RUN DB DIR N: `up` on the empty database DB (a name never used before).
apply() {
  local phase=$1 tool=$2 run=$3 db=$4 dir=$5 n=$6 log="$tmp/logs/$backend-$1-$2-$3.log"
  if [ "$backend" = mongodb ]; then created_on_mongodb+=("$db"); fi
  up_cmd "$tool" "$db" "$dir"
  COUNT_N=$n timed "$phase" "$tool" "$run" "$log" -- "${cmd[@]}"
  verify "$tool" "$db" "$dir" "$n"
}

# deploy TOOL RUN DB: `up` of the DEPLOY_N new migrations on DB (STATUS_N applied); then, untimed,
# the tool reverts them and their collections are dropped, which restores DB's state.
deploy() {
  local tool=$1 run=$2 db=$3 log="$tmp/logs/deploy-$1-$2.log" i first
  up_cmd "$tool" "$db" "$tmp/deploy/$tool"
  COUNT_N=$DEPLOY_N timed deploy "$tool" "$run" "$log" -- "${cmd[@]}"
  verify "$tool" "$db" "$tmp/deploy/$tool" $((STATUS_N + DEPLOY_N))
  case "$tool" in
    mongrate) "$mongrate" --url "$(db_url "$db")" --migrations-dir "$tmp/deploy/mongrate" --quiet down --steps "$DEPLOY_N" \
      >"$log.down" 2>&1 || die "mongrate down --steps $DEPLOY_N on $db failed: $(tail -c 2000 "$log.down")" ;;
    migrate-mongo)
      for ((i = 0; i < DEPLOY_N; i++)); do
        (cd "$tmp" && exec "$migrate_mongo" down -f "$(migrate_mongo_config "$db" "$tmp/deploy/migrate-mongo")") >"$log.down" 2>&1 \
          || die "migrate-mongo down on $db failed: $(tail -c 2000 "$log.down")"
      done ;;
  esac
  first=$((STATUS_N + 1))
  node "$check_js" drop "$server_url" "$db" "$first" $((STATUS_N + DEPLOY_N)) >"$log.drop" 2>&1 \
    || die "dropping the deployed collections of $db failed: $(cat "$log.drop")"
  verify "$tool" "$db" "$tmp/status/$tool" "$STATUS_N"
}

# db_name PHASE TOOL RUN: a database name never used before (on BENCH_MONGODB_URI's server, with
# this script's pid in it, as earlier runs may have left theirs).
db_name() { echo "bench$([ "$backend" = mongodb ] && echo "$$")_$1_${2//-/_}_$3"; }

# Alternate which tool goes first, so neither always meets a colder or warmer server.
order() { if (($1 % 2)); then echo "mongrate migrate-mongo"; else echo "migrate-mongo mongrate"; fi; }
# The apply rounds on BENCH_MONGODB_URI also run `mongrate --group-size N`, reversed every other round.
sweep_order() {
  local tools="" size
  for size in $MONGODB_GROUP_SIZES; do tools+=" mongrate-g$size"; done
  if (($1 % 2)); then echo "$(order "$1")$tools"; else echo "$(tr ' ' '\n' <<<"$tools" | tac | tr '\n' ' ') $(order "$1")"; fi
}

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
probe_json="$tmp/probe.json"
# measure_probe: what one snapshot costs the current server itself, the difference between two in
# a row, into $probe_json (timed() subtracts it).
measure_probe() {
  [ "$COUNTS" != 0 ] || return 0
  snapshot "$tmp/probe-a.json"
  snapshot "$tmp/probe-b.json"
  python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
json.dump({k: v - a.get(k, 0) for k, v in b.items() if v != a.get(k, 0)}, open(sys.argv[3], "w"))' \
    "$tmp/probe-a.json" "$tmp/probe-b.json" "$probe_json"
}
measure_probe

# apply_rounds: the warm-up and the APPLY_RUNS timed rounds on the current server.
apply_rounds() {
  local tools=$1 run tool
  if [ "$WARMUP" != 0 ]; then
    for tool in mongrate migrate-mongo; do
      note "$backend warm-up: $tool up, $WARMUP_N migrations (untimed)"
      apply apply "$tool" warmup "$(db_name warmup "$tool" 1)" "$tmp/warmup/${tool%%-g*}" "$WARMUP_N"
    done
  fi
  wait_for_quiet "$backend: apply $APPLY_N"
  for ((run = 1; run <= APPLY_RUNS; run++)); do
    for tool in $($tools "$run"); do
      note "$backend apply: $tool up, $APPLY_N migrations, run $run/$APPLY_RUNS"
      apply apply "$tool" "$run" "$(db_name apply "$tool" "$run")" "$tmp/apply/${tool%%-g*}" "$APPLY_N"
    done
  done
}

apply_rounds order

# The databases status and deploy run on: apply run 1's when it applied STATUS_N migrations.
declare -A status_db status_dir
for tool in mongrate migrate-mongo; do
  if [ "$STATUS_N" = "$APPLY_N" ]; then
    status_db[$tool]=$(db_name apply "$tool" 1)
    status_dir[$tool]="$tmp/apply/$tool"
  else
    note "status setup: $tool up, $STATUS_N migrations (one run, not part of the goals)"
    status_db[$tool]=$(db_name status "$tool" 1)
    status_dir[$tool]="$tmp/status/$tool"
    apply setup "$tool" 1 "${status_db[$tool]}" "$tmp/status/$tool" "$STATUS_N"
  fi
done

wait_for_quiet "$backend: status over $STATUS_N"
note "status: $STATUS_RUNS runs per tool over $STATUS_N applied migrations"
for ((run = 1; run <= STATUS_RUNS; run++)); do
  for tool in $(order "$run"); do
    log="$tmp/logs/status-$tool-$run.log"
    status_cmd "$tool" "${status_db[$tool]}" "${status_dir[$tool]}"
    COUNT_N=$STATUS_N timed status "$tool" "$run" "$log" -- "${cmd[@]}"
    # Every timed run must have shown the whole list as applied.
    case "$tool" in
      mongrate) check_reported mongrate mongrate-text "$STATUS_N" "$log" ;;
      migrate-mongo) check_reported migrate-mongo migrate-mongo "$STATUS_N" "$log" ;;
    esac
  done
done

wait_for_quiet "$backend: deploy $DEPLOY_N on top of $STATUS_N"
for ((run = 1; run <= DEPLOY_RUNS; run++)); do
  for tool in $(order "$run"); do
    note "deploy: $tool up, $DEPLOY_N new on top of $STATUS_N, run $run/$DEPLOY_RUNS"
    deploy "$tool" "$run" "${status_db[$tool]}"
  done
done

if [ -n "${BENCH_MONGODB_URI:-}" ]; then
  use_server mongodb
  measure_probe
  apply_rounds sweep_order
  use_server ferretdb
fi

# ---------------------------------------------------------------------------------------------
# Breakdown: where the time goes
# ---------------------------------------------------------------------------------------------
# median_of RUNS -- COMMAND...: median wall-clock seconds of COMMAND (output discarded; must succeed).
median_of() {
  local runs=$1 i start times=()
  shift 2
  for ((i = 0; i < runs; i++)); do
    start=$EPOCHREALTIME
    (cd "$tmp" && exec "$@") >"$tmp/logs/breakdown.log" 2>&1 \
      || die "breakdown: $* failed: $(tail -c 2000 "$tmp/logs/breakdown.log")"
    times+=("$(seconds_since "$start")")
  done
  printf '%s\n' "${times[@]}" | python3 -c 'import statistics, sys; print(f"{statistics.median(float(l) for l in sys.stdin):.3f}")'
}

breakdown=""
if [ "$BREAKDOWN" != 0 ]; then
  note "breakdown: process start, status on an empty database, server-side query costs"
  empty_db=bench_breakdown_empty
  mg_status_db=${status_db[mongrate]}
  mm_status_db=${status_db[migrate-mongo]}
  b_runs=$STATUS_RUNS
  breakdown=$(
    printf '%-74s %8s %14s\n' "command (median of $b_runs, wall-clock)" mongrate migrate-mongo
    printf '%-74s %7ss %13ss\n' "process start and exit (--version)" \
      "$(median_of "$b_runs" -- "$mongrate" --version)" "$(median_of "$b_runs" -- "$migrate_mongo" --version)"
    printf '%-74s %8s %13ss\n' "  of which node itself (node -e '')" "" "$(median_of "$b_runs" -- node -e '')"
    for what in "empty database (no changelog yet)" "all applied (the measured command)"; do
      case "$what" in
        empty*) mg_db=$empty_db mm_db=$empty_db ;;
        *) mg_db=$mg_status_db mm_db=$mm_status_db ;;
      esac
      status_cmd mongrate "$mg_db" "${status_dir[mongrate]}"
      mg_s=$(median_of "$b_runs" -- "${cmd[@]}")
      status_cmd migrate-mongo "$mm_db" "${status_dir[migrate-mongo]}"
      mm_s=$(median_of "$b_runs" -- "${cmd[@]}")
      printf '%-74s %7ss %13ss\n' "status, $STATUS_N files, $what" "$mg_s" "$mm_s"
    done
    echo
    echo "server-side, from one connected Node.js client (median of 5):"
    node "$check_js" probe "$fdb_url" "$mg_status_db" "$mm_status_db" 5 | sed 's/^/  /'
    echo
    echo "time per migration during up, from the appliedAt times each tool recorded:"
    echo "  apply run 1, $APPLY_N migrations:"
    node "$check_js" gaps "$fdb_url" "$(db_name apply mongrate 1)" "$(db_name apply migrate-mongo 1)" | sed 's/^/    /'
    if [ "$STATUS_N" != "$APPLY_N" ]; then
      echo "  status setup, $STATUS_N migrations:"
      node "$check_js" gaps "$fdb_url" "$mg_status_db" "$mm_status_db" | sed 's/^/    /'
    fi
  ) || exit 1
fi

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
work="one insertOne {_id: 1, v: \"x\"} into its own collection"
[ "$INDEX" = 1 ] && work+=" + createIndex {v: 1}"
{
  echo
  echo "mongrate vs migrate-mongo: apply $APPLY_N to an empty database (median of $APPLY_RUNS fresh databases, after $([ "$WARMUP" != 0 ] && echo "1 untimed warm-up apply of $WARMUP_N" || echo "no warm-up apply") per tool), status over $STATUS_N applied (median of $STATUS_RUNS), deploy of $DEPLOY_N on top of $STATUS_N (median of $DEPLOY_RUNS)"
  echo "migration:     $work"
  echo "machine:       nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mongrate:      $("$mongrate" --version) (target/release, git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- crates 2>/dev/null || echo ', crates/ has uncommitted changes'))"
  echo "migrate-mongo: $mm_version (mongodb driver $(node -p "require('$node_modules/mongodb/package.json').version"), Node.js $(node --version)), lockTtl 0"
  echo "server:        ferretdb = $server_line on SQLite, loopback TCP; data in $(df -PT "$tmp" | awk 'NR == 2 { print $2 " (" $1 ")" }')"
  echo "               mongodb = $mongodb_line"
  print_loads
  echo
  python3 "$bench_dir/summarize.py" "$results" --other migrate-mongo \
    --label "apply=apply $APPLY_N to an empty database (up / up)" \
    --label "status=status over $STATUS_N (status / status)" \
    --label "setup=apply $STATUS_N (status setup)" \
    --label "deploy=deploy $DEPLOY_N on top of $STATUS_N (up / up)" \
    --goal "apply=$APPLY_GOAL" --goal "status=$STATUS_GOAL" --goal "deploy=$DEPLOY_GOAL"
  if [ -s "$counts" ]; then
    echo
    echo "commands the server ran for run 1 of each (serverStatus metrics.commands before and after, minus the snapshot's own;"
    echo "every command is one round trip; hello, isMaster, buildInfo and FerretDB's 'unknown' are the connection handshake):"
    python3 "$bench_dir/round_trips.py" commands-table "$counts"
  fi
  if [ -n "$breakdown" ]; then
    echo
    echo "$breakdown"
  fi
  echo
  echo "total runtime: $(printf '%.0f' "$(seconds_since "$script_start")") s (including the build)"
}
