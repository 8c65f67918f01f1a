#!/usr/bin/env bash
# Benchmark: mongrate vs migrate-mongo 14 on the same MongoDB-wire server (the test suite's FerretDB).
#
#   bash bench/mongo_vs_migrate_mongo.sh            (from the repository root)
#
# Measures:
#   status  over STATUS_N (1000) applied migrations: `mongrate status` vs `migrate-mongo status`
#           (STATUS_RUNS repetitions per tool, median). Each tool first applies the STATUS_N
#           migrations, untimed, to its own database; that apply's time is shown too.
#   apply   APPLY_N (200) small migrations to an empty database: `mongrate up` vs `migrate-mongo up`
#           (APPLY_RUNS fresh databases per tool, median)
# and prints wall-clock seconds, the ratio mongrate/migrate-mongo and the speed-up
# migrate-mongo/mongrate against the goals (status 10x, apply 3x); then a breakdown of where the
# time goes (process start, reading the files, the server's share).
#
# Each migration inserts one document {_id: 1, v: "x"} into its own collection items_NNNN
# (INDEX=1: and creates an index {v: 1} on it). mongrate gets that as declarative YAML,
# migrate-mongo as JavaScript; the versions and names are the same.
#
# Knobs (environment): STATUS_N=1000 APPLY_N=200 STATUS_RUNS=10 APPLY_RUNS=5 WARMUP=1 INDEX=0
#                      BREAKDOWN=1 BENCH_TMPDIR=<dir for the server's data>
# migrate-mongo is installed with npm into bench/.tools/node on first use.
set -euo pipefail

STATUS_N=${STATUS_N:-1000}
APPLY_N=${APPLY_N:-200}
STATUS_RUNS=${STATUS_RUNS:-10}
APPLY_RUNS=${APPLY_RUNS:-5}
WARMUP=${WARMUP:-1}
INDEX=${INDEX:-0}
BREAKDOWN=${BREAKDOWN:-1}
MIGRATE_MONGO_MAJOR=14
STATUS_GOAL=10
APPLY_GOAL=3

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
[[ $STATUS_N =~ ^[0-9]+$ && $APPLY_N =~ ^[0-9]+$ && STATUS_N -ge 1 && APPLY_N -ge 1 && STATUS_N -le 9999 && APPLY_N -le 9999 ]] \
  || die "STATUS_N and APPLY_N must be between 1 and 9999"
[[ $STATUS_RUNS =~ ^[1-9][0-9]*$ && $APPLY_RUNS =~ ^[1-9][0-9]*$ ]] || die "STATUS_RUNS and APPLY_RUNS must be 1 or more"
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
make_scratch mongrate-bench-mongo

note "starting FerretDB (tools/ferretdb-test-server.sh; the first run builds it with Go)"
fdb_url=$("$root/tools/ferretdb-test-server.sh" start "$fdb_dir" $$) || die "tools/ferretdb-test-server.sh start failed"
fdb_started=1
fdb_base=${fdb_url%/}
server_line=$(node "$check_js" server "$fdb_url") || die "cannot reach the server at $fdb_url: $server_line"

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
note "writing $STATUS_N + $APPLY_N migrations for each tool"
write_migrations "$tmp/status/mongrate" "$tmp/status/migrate-mongo" "$STATUS_N"
write_migrations "$tmp/apply/mongrate" "$tmp/apply/migrate-mongo" "$APPLY_N"
mkdir -p "$tmp/logs" "$tmp/config"

# migrate-mongo_config DB MIGRATIONS_DIR: writes the config file for one database, prints its path.
# lockTtl 0 turns migrate-mongo's lock off: it is a TTL index, which FerretDB does not have.
migrate_mongo_config() {
  local db=$1 dir=$2 file="$tmp/config/$1.js"
  cat >"$file" <<EOF
module.exports = {
  mongodb: { url: "$fdb_url", databaseName: "$db", options: {} },
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
: >"$results"


# timed PHASE TOOL RUN LOG -- COMMAND...: runs COMMAND in $tmp with its output to LOG (a file: a
# pipe would cut migrate-mongo's output short, as it exits before a pipe is drained), records its
# wall-clock seconds unless RUN is "warmup"; aborts with the log when it fails.
timed() {
  local phase=$1 tool=$2 run=$3 log=$4
  shift 5
  record_timed ferretdb "$phase" "$tool" "$run" "$log" "$tmp" -- "$@"
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
    mongrate) cmd=("$mongrate" --url "$fdb_base/$db" --migrations-dir "$dir" status) ;;
    migrate-mongo) cmd=("$migrate_mongo" status -f "$(migrate_mongo_config "$db" "$dir")") ;;
  esac
}

# verify TOOL DB DIR N: the database holds the N collections with their document (and index), and
# the tool's own status says N applied, 0 pending.
verify() {
  local tool=$1 db=$2 dir=$3 n=$4 out log="$tmp/logs/verify-$2.log"
  out=$(node "$check_js" verify "$fdb_url" "$db" "$n" "$INDEX" 2>&1) || die "$tool: wrong database contents after up: $out"
  case "$tool" in
    mongrate)
      "$mongrate" --url "$fdb_base/$db" --migrations-dir "$dir" --json status >"$log" 2>&1 \
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

# apply PHASE TOOL RUN DB DIR N: `up` on the empty database DB (a name never used before).
apply() {
  local phase=$1 tool=$2 run=$3 db=$4 dir=$5 n=$6 log="$tmp/logs/$1-$2-$3.log"
  case "$tool" in
    mongrate) timed "$phase" mongrate "$run" "$log" -- \
      "$mongrate" --url "$fdb_base/$db" --migrations-dir "$dir" up --quiet ;;
    migrate-mongo) timed "$phase" migrate-mongo "$run" "$log" -- \
      "$migrate_mongo" up -f "$(migrate_mongo_config "$db" "$dir")" ;;
  esac
  verify "$tool" "$db" "$dir" "$n"
}

db_name() { echo "bench_$1_${2//-/_}_$3"; } # db_name PHASE TOOL RUN

# Alternate which tool goes first, so neither always meets a colder or warmer server.
order() { if (($1 % 2)); then echo "mongrate migrate-mongo"; else echo "migrate-mongo mongrate"; fi; }

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
if [ "$WARMUP" != 0 ]; then
  for tool in mongrate migrate-mongo; do
    note "warm-up: $tool up, $APPLY_N migrations (untimed)"
    apply apply "$tool" warmup "$(db_name apply "$tool" warmup)" "$tmp/apply/$tool" "$APPLY_N"
  done
fi

for ((run = 1; run <= APPLY_RUNS; run++)); do
  for tool in $(order "$run"); do
    note "apply: $tool up, $APPLY_N migrations, run $run/$APPLY_RUNS"
    apply apply "$tool" "$run" "$(db_name apply "$tool" "$run")" "$tmp/apply/$tool" "$APPLY_N"
  done
done

for tool in mongrate migrate-mongo; do
  note "status setup: $tool up, $STATUS_N migrations (one run, not part of the goals)"
  apply setup "$tool" 1 "$(db_name status "$tool" 1)" "$tmp/status/$tool" "$STATUS_N"
done

note "status: $STATUS_RUNS runs per tool over $STATUS_N applied migrations"
for ((run = 1; run <= STATUS_RUNS; run++)); do
  for tool in $(order "$run"); do
    log="$tmp/logs/status-$tool-$run.log"
    status_cmd "$tool" "$(db_name status "$tool" 1)" "$tmp/status/$tool"
    timed status "$tool" "$run" "$log" -- "${cmd[@]}"
    # Every timed run must have shown the whole list as applied.
    case "$tool" in
      mongrate) check_reported mongrate mongrate-text "$STATUS_N" "$log" ;;
      migrate-mongo) check_reported migrate-mongo migrate-mongo "$STATUS_N" "$log" ;;
    esac
  done
done

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
  mg_status_db=$(db_name status mongrate 1)
  mm_status_db=$(db_name status migrate-mongo 1)
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
      status_cmd mongrate "$mg_db" "$tmp/status/mongrate"
      mg_s=$(median_of "$b_runs" -- "${cmd[@]}")
      status_cmd migrate-mongo "$mm_db" "$tmp/status/migrate-mongo"
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
    echo "  status setup, $STATUS_N migrations:"
    node "$check_js" gaps "$fdb_url" "$mg_status_db" "$mm_status_db" | sed 's/^/    /'
  ) || exit 1
fi

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
work="one insertOne {_id: 1, v: \"x\"} into its own collection"
[ "$INDEX" = 1 ] && work+=" + createIndex {v: 1}"
{
  echo
  echo "mongrate vs migrate-mongo: status over $STATUS_N applied (median of $STATUS_RUNS), apply $APPLY_N to an empty database (median of $APPLY_RUNS fresh databases, after $([ "$WARMUP" != 0 ] && echo 1 || echo no) untimed warm-up apply per tool)"
  echo "migration:     $work"
  echo "machine:       nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mongrate:      $("$mongrate" --version) (target/release, git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- crates 2>/dev/null || echo ', crates/ has uncommitted changes'))"
  echo "migrate-mongo: $mm_version (mongodb driver $(node -p "require('$node_modules/mongodb/package.json').version"), Node.js $(node --version)), lockTtl 0"
  echo "server:        $server_line on SQLite, loopback TCP; data in $(df -PT "$tmp" | awk 'NR == 2 { print $2 " (" $1 ")" }')"
  echo
  python3 "$bench_dir/summarize.py" "$results" --other migrate-mongo \
    --label "apply=apply $APPLY_N (up / up)" \
    --label "status=status over $STATUS_N (status / status)" \
    --label "setup=apply $STATUS_N (status setup)" \
    --goal "apply=$APPLY_GOAL" --goal "status=$STATUS_GOAL"
  if [ -n "$breakdown" ]; then
    echo
    echo "$breakdown"
  fi
  echo
  echo "total runtime: $(printf '%.0f' "$(seconds_since "$script_start")") s (including the build)"
}
