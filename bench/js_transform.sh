#!/usr/bin/env bash
# Benchmark: a JavaScript data migration over N documents (split `name` into `first_name` and
# `last_name`, $unset `name`, schema_version 2 → 3), on FerretDB, by
#
#   floor                    a plain Rust program on the `mongodb` crate (bench/transform-floor):
#                            cursor, `update` commands of PER_COMMAND statements
#   mongrate bulkWrite       `mongrate up` running bench/js_transform/bulkwrite.js (cursor + bulkWrite)
#   migrate-mongo bulkWrite  `migrate-mongo up` (migrate-mongo 14, Node.js) running the same file
#   mongrate loop            `mongrate up` running bench/js_transform/loop.js (toArray + updateOne
#                            per document, the seed example as written)
#   migrate-mongo loop       `migrate-mongo up` running the same file
#   mongrate eachBatch       `mongrate up` running bench/js_transform/eachbatch.js (mongrate's
#                            resumable loop: 1000 a batch, checkpointed after each); -c2: with
#                            `concurrency: 2` (the next batch's write starts while one is in flight)
#   mongrate eachBatch resume  the eachBatch run killed (SIGKILL) once its JSON progress says 50%,
#                            then `mongrate up` again until done, both with `--lock-ttl 2`: total
#                            time, documents written twice (must be 0), work redone; -c2-resume too
#
#   bash bench/js_transform.sh                     (from the repository root)
#   BENCH_DOCS=100000 BENCH_TMPDIR=/dev/shm bash bench/js_transform.sh
#
# Each contender gets its own freshly started server and database, seeded just before its run with N users
# {_id: ObjectId, name, email, schema_version: 2}. The script measures each run's wall-clock time
# and peak RSS (GNU time), checks that every document was transformed, and prints a table with the
# ratios to the floor and between the tools.
#
# Knobs (environment):
#   BENCH_DOCS=1000000   documents per database
#   LOOP_DOCS=BENCH_DOCS documents for the two loop contenders (the loop is slower on FerretDB and
#                        holds the whole collection in memory)
#   CONTENDERS="floor mongrate-bulkwrite migrate-mongo-bulkwrite mongrate-loop migrate-mongo-loop"
#                        which ones to run, in this order; also mongrate-eachbatch,
#                        mongrate-eachbatch-c2, mongrate-eachbatch-resume, mongrate-eachbatch-c2-resume
#   KILL_AT=0.5          the resume contenders' kill point, as a fraction of the documents
#   ROUNDS=1             how many times to run the CONTENDERS in turn (floor, mongrate, migrate-mongo,
#                        floor, mongrate, …); the ratios then compare the medians, and each round's
#                        own ratios are printed too (the machine drifts slowly: neighbours compare best)
#   PER_COMMAND=50       update statements per command of the floor (FerretDB v1 hangs at ~100)
#   ID_INDEX=1           add the SQLite index that FerretDB's _id lookups can use (see README);
#                        0 leaves the server as it is: every updateOne by _id then scans the collection
#   RUN_TIMEOUT=10800    seconds after which a contender's run is killed and the benchmark fails
#   BENCH_TMPDIR         where the scratch directory and the server's SQLite files go
#                        (default $TMPDIR or /tmp)
# migrate-mongo is installed with npm into bench/.tools/node on first use (as by
# bench/mongo_vs_migrate_mongo.sh).
set -euo pipefail

BENCH_DOCS=${BENCH_DOCS:-1000000}
LOOP_DOCS=${LOOP_DOCS:-$BENCH_DOCS}
CONTENDERS=${CONTENDERS:-floor mongrate-bulkwrite migrate-mongo-bulkwrite mongrate-loop migrate-mongo-loop}
PER_COMMAND=${PER_COMMAND:-50}
ID_INDEX=${ID_INDEX:-1}
RUN_TIMEOUT=${RUN_TIMEOUT:-10800}
ROUNDS=${ROUNDS:-1}
KILL_AT=${KILL_AT:-0.5}
MIGRATE_MONGO_MAJOR=14

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)
cd "$root"
script_start=$EPOCHREALTIME

bench_name=js_transform
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
require_tools cargo python3 node npm timeout
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 \
  || die "GNU time is needed at /usr/bin/time for the peak RSS (Debian: apt-get install time)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "migrate-mongo $MIGRATE_MONGO_MAJOR needs Node.js 20 or newer, found $(node --version)"
[[ $BENCH_DOCS =~ ^[1-9][0-9]*$ && $LOOP_DOCS =~ ^[1-9][0-9]*$ ]] || die "BENCH_DOCS and LOOP_DOCS must be 1 or more"
[[ $PER_COMMAND =~ ^[1-9][0-9]*$ ]] || die "PER_COMMAND must be 1 or more"
[[ $ID_INDEX == 0 || $ID_INDEX == 1 ]] || die "ID_INDEX must be 0 or 1"
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "RUN_TIMEOUT must be a number of seconds"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be 1 or more"
[[ $KILL_AT =~ ^0?\.[0-9]+$ ]] || die "KILL_AT must be a fraction between 0 and 1, such as 0.5"
for contender in $CONTENDERS; do
  case "$contender" in
    floor | mongrate-bulkwrite | migrate-mongo-bulkwrite | mongrate-loop | migrate-mongo-loop) ;;
    mongrate-eachbatch | mongrate-eachbatch-c2 | mongrate-eachbatch-resume | mongrate-eachbatch-c2-resume) ;;
    *) die "unknown contender '$contender' in CONTENDERS" ;;
  esac
done
python3 -c 'import sqlite3, sys; sys.exit(sqlite3.sqlite_version_info < (3, 38))' \
  || die "python3's sqlite3 module must be SQLite 3.38 or newer (the -> operator) for ID_INDEX=1"

# ---------------------------------------------------------------------------------------------
# Scratch space (made first: the binaries are copied into it), FerretDB server, cleanup
# ---------------------------------------------------------------------------------------------
make_scratch mongrate-bench-js
mkdir -p "$tmp/bin" "$tmp/logs" "$tmp/config" "$tmp/rss" "$tmp/migrations" "$tmp/run"

# ---------------------------------------------------------------------------------------------
# Tools. The binaries are copied into the scratch directory, so that a rebuild in the work tree
# during the (long) run cannot change what is measured.
# ---------------------------------------------------------------------------------------------
note "building mongrate (cargo build --release -p mongrate)"
cargo build --release -p mongrate >&2 || die "cargo build --release -p mongrate failed"
cp "$root/target/release/mongrate" "$tmp/bin/mongrate"
mongrate="$tmp/bin/mongrate"
mongrate_version=$(build_line "$mongrate")

note "building the floor (bench/transform-floor, CARGO_TARGET_DIR=target)"
CARGO_TARGET_DIR="$root/target" cargo build --release --locked --manifest-path "$bench_dir/transform-floor/Cargo.toml" >&2 \
  || die "building bench/transform-floor failed"
cp "$root/target/release/transform-floor" "$tmp/bin/transform-floor"
floor="$tmp/bin/transform-floor"

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
export BENCH_NODE_MODULES="$node_modules"
helper="$bench_dir/js_transform.js"

# start_server: a fresh FerretDB with an empty data directory; sets fdb_url, fdb_base, server_line.
# Each contender gets its own server: on one shared server the contender that ran second was ~10%
# slower whatever it was (100,000 documents: mongrate 0.92 of the floor when it ran first, 1.11 when
# second), so a run's state (the Go heap, the freed GiBs of tmpfs WAL) weighed on the next one.
start_server() {
  fdb_url=$("$root/tools/ferretdb-test-server.sh" start "$fdb_dir" $$) || die "tools/ferretdb-test-server.sh start failed"
  fdb_started=1
  fdb_base=${fdb_url%/}
  server_line=$(node "$bench_dir/mongo_check.js" server "$fdb_url") || die "cannot reach the server at $fdb_url: $server_line"
}
stop_server() {
  "$root/tools/ferretdb-test-server.sh" stop "$fdb_dir" || die "tools/ferretdb-test-server.sh stop failed"
  fdb_started=
  rm -rf "$fdb_dir"
}
note "building FerretDB if needed (tools/ferretdb-test-server.sh; the first run builds it with Go)"
"$root/tools/ferretdb-test-server.sh" build || die "tools/ferretdb-test-server.sh build failed"

# ---------------------------------------------------------------------------------------------
# Migrations: one directory per file, holding only that file (same version and name for both tools)
# ---------------------------------------------------------------------------------------------
mkdir -p "$tmp/migrations/loop" "$tmp/migrations/bulkwrite"
cp "$bench_dir/js_transform/loop.js" "$tmp/migrations/loop/20250101000000-transform-users.js"
cp "$bench_dir/js_transform/bulkwrite.js" "$tmp/migrations/bulkwrite/20250101000000-transform-users.js"
# eachbatch.js with its settings: DIR CONCURRENCY COUNT_PASSES.
for variant in "eachbatch 1 false" "eachbatch-c2 2 false" "eachbatch-resume 1 true" "eachbatch-c2-resume 2 true"; do
  read -r dir concurrency passes <<<"$variant"
  mkdir -p "$tmp/migrations/$dir"
  sed -e "s/^const CONCURRENCY = 1;$/const CONCURRENCY = $concurrency;/" -e "s/^const COUNT_PASSES = false;$/const COUNT_PASSES = $passes;/" \
    "$bench_dir/js_transform/eachbatch.js" >"$tmp/migrations/$dir/20250101000000-transform-users.js"
  grep -q "^const CONCURRENCY = $concurrency;$" "$tmp/migrations/$dir/20250101000000-transform-users.js" \
    && grep -q "^const COUNT_PASSES = $passes;$" "$tmp/migrations/$dir/20250101000000-transform-users.js" \
    || die "bench/js_transform/eachbatch.js no longer has the lines CONCURRENCY = 1 and COUNT_PASSES = false"
done

# migrate_mongo_config DB DIR: writes migrate-mongo's config for DB, prints its path. lockTtl 0
# turns migrate-mongo's lock off: it needs a TTL index, which FerretDB does not have.
migrate_mongo_config() {
  local file="$tmp/config/$1.js"
  cat >"$file" <<EOF
module.exports = {
  mongodb: { url: "$fdb_url", databaseName: "$1", options: {} },
  migrationsDir: "$2",
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

# add_id_index DB: FerretDB v1.24's SQLite backend indexes a collection's _id as
# `_ferretdb_sjson->"_id"` but looks documents up by `_ferretdb_sjson->'$._id' = ?`, an expression
# SQLite does not match with that index: every updateOne({_id}) reads the whole table. This adds
# an index on the expression the lookups use (FerretDB never sees it: it is not in its metadata).
add_id_index() {
  python3 - "$fdb_dir/data/$1.sqlite" <<'EOF' || die "cannot add the _id expression index to $1"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=60)
(table,) = db.execute("SELECT table_name FROM _ferretdb_collections WHERE name = 'users'").fetchone()
db.execute(f"""CREATE INDEX IF NOT EXISTS "{table}__id_lookup" ON "{table}" (_ferretdb_sjson->'$._id')""")
plan = " ".join(str(row) for row in db.execute(
    f"""EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "{table}" WHERE _ferretdb_sjson->'$._id' = ?""", ('"x"',)))
if f"{table}__id_lookup" not in plan:
    sys.exit(f"the lookup by _id does not use the new index: {plan}")
db.commit()
EOF
}

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
results="$tmp/results.tsv"
: >"$results"
details="$tmp/details.tsv" # contender round docs seed_s rss_kb cpu_s server_files_mib server_cpu_s load
: >"$details"
# contender round killed_s killed_at written_by_killed written_by_resumed twice settle_written settle_redone
resumes="$tmp/resumes.tsv"
: >"$resumes"

# run_resume CONTENDER ROUND LOG RSS_FILE: runs CMD (mongrate … up) in the background, kills it
# (SIGKILL) once its JSON progress reaches KILL_AT of the documents, then runs the same command
# until it finishes. Appends the total wall-clock time (both runs, the wait for the dead run's
# lease included) to $results, and writes "rss_kb cpu_s" of both runs to RSS_FILE and the kill to
# $tmp/kill-CONTENDER-ROUND.
run_resume() {
  local contender=$1 round=$2 log=$3 rss_file=$4 start pid end status=0
  : >"$log.killed" # there before the watcher opens it
  start=$EPOCHREALTIME
  (cd "$tmp/run" && exec "${cmd[@]}") >"$log.killed" 2>&1 &
  pid=$!
  # Polls the log; kills the run the moment a progress event says KILL_AT; prints the kill's
  # seconds since the start, the processed count it saw, and the run's CPU and peak RSS.
  python3 - "$log.killed" "$pid" "$KILL_AT" "$start" >"$tmp/kill-$contender-$round" <<'EOF' || status=$?
import json, os, signal, sys, time
log, pid, at, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
hz = os.sysconf("SC_CLK_TCK")
seen = 0
with open(log) as f:
    buffer = ""
    while True:
        chunk = f.read()
        if not chunk:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    ended = stat.read().rsplit(")", 1)[1].split()[0] == "Z"
            except FileNotFoundError:
                ended = True
            if ended:
                sys.exit(f"the run ended before {at:.0%} of its loop (last progress: {seen})")
            time.sleep(0.01)
            continue
        buffer += chunk
        *lines, buffer = buffer.split("\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") != "progress" or not event.get("total"):
                continue
            seen = event["processed"]
            if seen >= at * event["total"]:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / hz
                with open(f"/proc/{pid}/status") as status:
                    hwm = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
                os.kill(pid, signal.SIGKILL)
                print(f"{time.time() - start:.3f} {seen} {cpu:.2f} {hwm}")
                sys.exit(0)
EOF
  wait "$pid" 2>/dev/null || true
  [ "$status" = 0 ] || die "$contender (round $round): $(tail -c 1000 "$log.killed")"
  (cd "$tmp/run" && exec /usr/bin/time -f 'maxrss_kb %M cpu_s %U %S' -o "$rss_file.resumed" timeout "$RUN_TIMEOUT" "${cmd[@]}") >"$log" 2>&1 \
    || die "$contender (round $round): the resumed run failed: $(tail -c 3000 "$log")"
  end=$EPOCHREALTIME
  seconds_between "$start" "$end" | sed "s/^/ferretdb\ttransform\t$contender\t$round\t/" >>"$results"
  read -r _ _ killed_cpu killed_hwm <"$tmp/kill-$contender-$round"
  awk -v cpu="$killed_cpu" -v hwm="$killed_hwm" '$1 == "maxrss_kb" {
    print "maxrss_kb", ($2 > hwm ? $2 : hwm), "cpu_s", $4 + $5 + cpu, 0 }' "$rss_file.resumed" >"$rss_file"
}

# server_cpu_ticks: user + system clock ticks the FerretDB process has used so far.
server_cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$(cat "$fdb_dir/ferretdb.pid")/stat"
}

for round in $(seq "$ROUNDS"); do
for contender in $CONTENDERS; do
  case "$contender" in
    *-loop) n=$LOOP_DOCS ;;
    *) n=$BENCH_DOCS ;;
  esac
  db="bench_js_${contender//-/_}"
  log="$tmp/logs/$contender-$round.log"
  rss_file="$tmp/rss/$contender-$round"
  start_server

  # The WAL grows by ~15 KiB per updated document (it is never restarted while the updates run) and
  # stays until the database is dropped; on tmpfs that is memory.
  if [ "$(stat -f -c %T "$fdb_dir/data")" = tmpfs ]; then
    need_mib=$((n * 16 / 1024 + n / 2000 + 512))
    avail_mib=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
    ((need_mib < avail_mib)) || die "$contender: about $need_mib MiB of tmpfs needed for $n documents, $avail_mib MiB available"
  fi
  note "$contender: seeding $db.users with $n documents"
  seed_start=$EPOCHREALTIME
  node "$helper" seed "$fdb_url" "$db" "$n" >"$tmp/logs/seed-$contender.log" 2>&1 \
    || die "seeding $db failed: $(tail -c 2000 "$tmp/logs/seed-$contender.log")"
  seed_seconds=$(seconds_since "$seed_start")
  if [ "$ID_INDEX" = 1 ]; then add_id_index "$db"; fi
  # One small write to the database (another collection) just before the run: see settle in
  # js_transform.js. Without it, a cursor opened first thing can make the run quadratic.
  node "$helper" settle "$fdb_url" "$db" >>"$tmp/logs/seed-$contender.log" 2>&1 || die "settle write to $db failed"

  case "$contender" in
    floor) cmd=("$floor" "$fdb_url" "$db" "$PER_COMMAND") ;;
    *-resume) cmd=("$mongrate" --lock-ttl 2 --log-format json --url "$fdb_base/$db"
      --migrations-dir "$tmp/migrations/${contender#mongrate-}" up) ;;
    mongrate-*) cmd=("$mongrate" --url "$fdb_base/$db" --migrations-dir "$tmp/migrations/${contender#mongrate-}" up) ;;
    # NODE_PATH: the migration files' require('mongodb') resolves to migrate-mongo's driver.
    migrate-mongo-*) cmd=(env "NODE_PATH=$node_modules" "$migrate_mongo" up
      -f "$(migrate_mongo_config "$db" "$tmp/migrations/${contender#migrate-mongo-}")") ;;
  esac
  note "$contender (round $round of $ROUNDS): transforming $n documents ($(date +%H:%M:%S))"
  # Run in an empty directory: no mongrate.toml or migrate-mongo-config.js is picked up there.
  server_cpu_before=$(server_cpu_ticks)
  if [[ $contender == *-resume ]]; then
    run_resume "$contender" "$round" "$log" "$rss_file"
  else
    record_timed ferretdb transform "$contender" "$round" "$log" "$tmp/run" -- \
      /usr/bin/time -f 'maxrss_kb %M cpu_s %U %S' -o "$rss_file" timeout "$RUN_TIMEOUT" "${cmd[@]}"
  fi
  server_cpu_s=$(awk -v a="$server_cpu_before" -v b="$(server_cpu_ticks)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", (b - a) / hz }')
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r rss_kb cpu_s < <(awk '$1 == "maxrss_kb" { print $2, $4 + $5 }' "$rss_file")
  [[ ${rss_kb:-} =~ ^[0-9]+$ ]] || die "no peak RSS for $contender in $rss_file: $(cat "$rss_file")"
  # The server's files of this database: the WAL keeps its largest size until the database closes.
  db_mib=$(du -smc "$fdb_dir/data/$db".sqlite* | tail -n 1 | cut -f1)
  note "$contender: $(tail -n 1 "$results" | cut -f5) s, peak RSS $((rss_kb / 1024)) MiB; verifying"

  passes=
  if [[ $contender == *-resume ]]; then passes=passes; fi
  node "$helper" verify "$fdb_url" "$db" "$n" $passes >"$tmp/logs/verify-$contender.log" 2>&1 \
    || die "$contender did not transform all $n documents: $(tail -c 3000 "$tmp/logs/verify-$contender.log") (its output: $(tail -c 1500 "$log"))"
  if [ -n "$passes" ]; then
    # Who wrote what (pass_run: the run's start time, the killed run's is the smaller) and what
    # the resumed run said of the batch(es) the killed one was writing.
    python3 - "$tmp/logs/verify-$contender.log" "$log" "$tmp/kill-$contender-$round" "$contender" "$round" >>"$resumes" <<'EOF' \
      || die "$contender: cannot read the resume's figures"
import json, re, sys
verify, log, kill, contender, round_ = sys.argv[1:6]
line = next(l for l in open(verify) if l.startswith("passes "))
passes = json.loads(line[len("passes "):])
runs = sorted(passes["byRun"].items(), key=lambda kv: float(kv[0]))
if len(runs) != 2:
    sys.exit(f"expected documents written by two runs, found {runs}")
killed_s, killed_at, _, _ = open(kill).read().split()
settle = re.search(r"(\d+) of its (\d+) documents were written, (\d+) go through the callback now", open(log).read())
if not settle:
    sys.exit("the resumed run did not say it settled a batch the killed run was writing")
print("\t".join(map(str, [contender, round_, killed_s, killed_at, runs[0][1], runs[1][1], passes["twice"],
                          settle.group(1), settle.group(3)])))
EOF
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$contender" "$round" "$n" "$seed_seconds" "$rss_kb" "$cpu_s" "$db_mib" "$server_cpu_s" "$load" >>"$details"
  # The next contender gets the server's memory and disk back (the WAL can be GiBs).
  node "$helper" drop "$fdb_url" "$db" >>"$tmp/logs/verify-$contender.log" 2>&1 || die "dropping $db failed"
  if compgen -G "$fdb_dir/data/$db.sqlite*" >/dev/null; then note "warning: $db's SQLite files are still there after dropDatabase"; fi
  stop_server
done
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
{
  echo
  echo "js_transform: split name into first_name/last_name over N users, $ROUNDS round(s) of one run per contender, each on a freshly started server and seeded database"
  echo "machine:       nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 " GiB RAM" }'), $(uname -sr), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mongrate:      $mongrate_version"
  echo "migrate-mongo: $mm_version (mongodb driver $(node -p "require('$node_modules/mongodb/package.json').version"), Node.js $(node --version)), lockTtl 0"
  echo "floor:         bench/transform-floor (mongodb crate $(awk '/^name = "mongodb"$/ { getline; gsub(/[^0-9.]/, ""); print }' "$bench_dir/transform-floor/Cargo.lock")), $PER_COMMAND statements per update command"
  echo "files:         bench/js_transform/bulkwrite.js, loop.js and eachbatch.js"
  echo "server:        $server_line on SQLite, loopback TCP; data in $(df -PT "$tmp" | awk 'NR == 2 { print $2 " (" $1 ")" }'); _id lookup index: $([ "$ID_INDEX" = 1 ] && echo added || echo "none (FerretDB as it is)")"
  echo
  python3 - "$results" "$details" "$resumes" <<'EOF'
import statistics
import sys

# runs[tool][round] = {"seconds": …, "docs": …, …}; a contender's figure is its median over the rounds.
runs = {}
for line in open(sys.argv[1]):
    _backend, _phase, tool, round_, value = line.rstrip("\n").split("\t")
    runs.setdefault(tool, {})[int(round_)] = {"seconds": float(value)}
for line in open(sys.argv[2]):
    tool, round_, docs, seed, rss, cpu, files, server_cpu, load = line.rstrip("\n").split("\t")
    runs[tool][int(round_)].update({"docs": int(docs), "seed": float(seed), "rss": int(rss), "cpu": float(cpu),
                                    "files": int(files), "server_cpu": float(server_cpu), "load": float(load)})
rounds = sorted({r for by_round in runs.values() for r in by_round})

names = {
    "floor": ("floor (Rust, mongodb crate)", "floor"),
    "mongrate-bulkwrite": ("mongrate, cursor + bulkWrite", "mongrate bulkWrite"),
    "migrate-mongo-bulkwrite": ("migrate-mongo, cursor + bulkWrite", "migrate-mongo bulkWrite"),
    "mongrate-loop": ("mongrate, loop (toArray + updateOne)", "mongrate loop"),
    "migrate-mongo-loop": ("migrate-mongo, loop (toArray + updateOne)", "migrate-mongo loop"),
    "mongrate-eachbatch": ("mongrate, eachBatch", "mongrate eachBatch"),
    "mongrate-eachbatch-c2": ("mongrate, eachBatch, concurrency 2", "mongrate eachBatch c2"),
    "mongrate-eachbatch-resume": ("mongrate, eachBatch killed at 50%, resumed", "eachBatch resumed"),
    "mongrate-eachbatch-c2-resume": ("mongrate, eachBatch c2 killed, resumed", "eachBatch c2 resumed"),
}

def per_doc(tool, round_=None):
    """Seconds per document: of one round's run, or the median over the rounds."""
    if round_ is not None:
        run = runs[tool][round_]
        return run["seconds"] / run["docs"]
    return statistics.median(run["seconds"] / run["docs"] for run in runs[tool].values())

print(f"{'contender':<42} {'round':>5} {'documents':>9} {'seconds':>8} {'us/doc':>6} {'peak RSS MiB':>12} {'/ floor':>8}"
      f" {'CPU s':>6} {'server CPU s':>12} {'load':>5} {'seed s':>6} {'server MiB':>10}")
starred = False
for tool, (label, _) in names.items():
    for round_, d in sorted(runs.get(tool, {}).items()):
        floor = runs.get("floor", {}).get(round_)
        if floor is None:
            ratio = "-"
        elif d["docs"] == floor["docs"]:
            ratio = f"{d['seconds'] / floor['seconds']:.2f}"
        else:
            ratio, starred = f"{per_doc(tool, round_) / per_doc('floor', round_):.2f}*", True
        print(f"{label:<42} {round_:>5} {d['docs']:>9} {d['seconds']:>8.1f} {per_doc(tool, round_) * 1e6:>6.0f}"
              f" {d['rss'] / 1024:>12.1f} {ratio:>8} {d['cpu']:>6.1f} {d['server_cpu']:>12.1f} {d['load']:>5.2f}"
              f" {d['seed']:>6.1f} {d['files']:>10}")
if starred:
    print("* N differs from the floor's: ratio of the times per document")
print("/ floor: against the floor's run of the same round; CPU s: user + system time of the contender's")
print("process; server CPU s: of the FerretDB process during the run; load: 1-minute load average at the")
print("end of the run (2 cores: above ~2, something else ran); server MiB: the database's SQLite files (the")
print("WAL at its largest) after the run")
print()

def ratio(a, b, goal=None, better=None):
    if a not in runs or b not in runs:
        return
    same = {d["docs"] for d in runs[a].values()} == {d["docs"] for d in runs[b].values()}
    value = per_doc(a) / per_doc(b)
    verdict = ""
    if goal is not None:
        met = value <= goal if better == "<=" else value < goal
        verdict = f"  (goal {better} {goal}: {'met' if met else 'NOT met'})"
    note = "" if same else " (per document: different N)"
    each = ""
    if len(rounds) > 1:
        paired = [f"{per_doc(a, r) / per_doc(b, r):.3f}" for r in rounds if r in runs[a] and r in runs[b]]
        each = f"; by round: {', '.join(paired)}"
    print(f"{names[a][1] + ' / ' + names[b][1] + ':':<50} {value:.3f}{note}{verdict}{each}")

if len(rounds) > 1:
    print(f"ratios of the medians over {len(rounds)} rounds")
ratio("mongrate-bulkwrite", "floor", 1.3, "<=")
ratio("mongrate-bulkwrite", "migrate-mongo-bulkwrite", 1.0, "<")
ratio("mongrate-loop", "migrate-mongo-loop")
ratio("mongrate-loop", "mongrate-bulkwrite")
ratio("migrate-mongo-loop", "migrate-mongo-bulkwrite")
ratio("mongrate-eachbatch", "floor", 1.05, "<=")
ratio("mongrate-eachbatch-c2", "floor", 1.0, "<")
ratio("mongrate-eachbatch", "migrate-mongo-bulkwrite")
ratio("mongrate-eachbatch-c2", "mongrate-eachbatch")
ratio("mongrate-eachbatch-resume", "mongrate-eachbatch")
ratio("mongrate-eachbatch-c2-resume", "mongrate-eachbatch-c2")

resumes = [line.rstrip("\n").split("\t") for line in open(sys.argv[3])]
if resumes:
    print()
    print("resume: the run killed (SIGKILL) at its first progress event at or past KILL_AT, then `up` again (--lock-ttl 2)")
    print(f"{'contender':<42} {'round':>5} {'total s':>8} {'killed at s':>11} {'progress at kill':>16}"
          f" {'written by killed':>17} {'by resumed':>10} {'twice':>5} {'settled: written':>16} {'redone':>6} {'beyond rest':>11}")
    for contender, round_, killed_s, killed_at, by_killed, by_resumed, twice, settled, redone in resumes:
        d = runs[contender][int(round_)]
        # What the resumed run wrote beyond what was left after the killed run's last progress event.
        beyond = int(by_resumed) - (d["docs"] - int(killed_at))
        print(f"{names[contender][0]:<42} {round_:>5} {d['seconds']:>8.1f} {float(killed_s):>11.1f} {int(killed_at):>16}"
              f" {int(by_killed):>17} {int(by_resumed):>10} {int(twice):>5} {int(settled):>16} {int(redone):>6} {beyond:>11}")
    print("written by killed / by resumed: the documents each run wrote last (passes counted in the data); twice: written")
    print("more than once (goal 0); settled: written: of the batch(es) the killed run was writing, the documents it had written;")
    print("redone: the rest, which went through the callback again (the work the kill lost; goal: under one batch, 1000)")
    print("beyond rest: what the resumed run wrote minus what the killed run's last progress event left (0 or less: none redone)")
EOF
  echo
  echo "total runtime: $(printf '%.0f' "$(seconds_since "$script_start")") s (including the builds)"
}
