#!/usr/bin/env bash
# Benchmark: `mongrate up` of N small JavaScript migrations on FerretDB, where the per-migration
# overhead of the JavaScript engine shows (each migration inserts one document:
# `await db.collection('c').insertOne({ n: N })`, down: `deleteOne({ n: N })`).
#
#   bash bench/js_many_small.sh                                        (from the repository root)
#   BASELINE=/tmp/before/mongrate ROUNDS=7 bash bench/js_many_small.sh
#
# It measures the release build of this work tree (`cargo build --release -p mongrate`) and, with
# BASELINE, another mongrate binary too (an older commit's build, see bench/README.md), the two
# alternating within each round (which goes first alternates too). Every run applies the N
# migrations to a database never used before, then the script checks that the collection holds
# exactly the documents n = 1..N and that `mongrate --json status` reports N applied, 0 pending.
#
# Knobs (environment):
#   N=100          migrations
#   ROUNDS=5       timed runs per binary
#   WARMUP=1       untimed runs per binary first (0: none)
#   BASELINE       path of a mongrate binary to compare with (none: only this tree's build)
#   BENCH_TMPDIR   where the scratch directory and the server's SQLite files go
#                  (default $TMPDIR or /tmp)
# The checks use the `mongodb` driver of tools/node/node_modules (what the test suite installs).
set -euo pipefail

N=${N:-100}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-1}
BASELINE=${BASELINE:-}

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)
cd "$root"
script_start=$EPOCHREALTIME

bench_name=js_many_small
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
require_tools cargo python3 node
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be 1 or more"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be 1 or more"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a number"
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || die "BASELINE=$BASELINE is not an executable"
node_modules="$root/tools/node/node_modules"
[ -d "$node_modules/mongodb" ] || die "$node_modules/mongodb missing (tools/setup.sh installs it)"

make_scratch mongrate-bench-js-small
mkdir -p "$tmp/bin" "$tmp/logs" "$tmp/migrations" "$tmp/run"

# The binaries are copied into the scratch directory: a rebuild during the run cannot change them.
note "building mongrate (cargo build --release -p mongrate)"
cargo build --release -p mongrate >&2 || die "cargo build --release -p mongrate failed"
cp "$root/target/release/mongrate" "$tmp/bin/mongrate"
tools=(mongrate)
mongrate_line=$(build_line "$tmp/bin/mongrate")
if [ -n "$BASELINE" ]; then
  cp "$BASELINE" "$tmp/bin/baseline"
  tools+=(baseline)
fi

fdb_url=$("$root/tools/ferretdb-test-server.sh" start "$fdb_dir" $$) || die "tools/ferretdb-test-server.sh start failed"
fdb_started=1
fdb_base=${fdb_url%/}

for i in $(seq "$N"); do
  printf -v name '20250101%06d-m%04d.js' "$i" "$i"
  cat >"$tmp/migrations/$name" <<EOF
module.exports = {
  async up(db) { await db.collection('c').insertOne({ n: $i }) },
  async down(db) { await db.collection('c').deleteOne({ n: $i }) },
};
EOF
done

# verify TOOL DB: the collection holds exactly n = 1..N, and the tool's status says N applied.
verify() {
  local tool=$1 db=$2 reported
  BENCH_NODE_MODULES="$node_modules" node - "$fdb_url" "$db" "$N" <<'EOF' || die "$tool: database $db is not as N migrations leave it"
const { MongoClient } = require(require('path').join(process.env.BENCH_NODE_MODULES, 'mongodb'));
const [uri, name, n] = process.argv.slice(2);
(async () => {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  try {
    const found = (await client.db(name).collection('c').find({}).toArray()).map((d) => d.n).sort((a, b) => a - b);
    const expected = Array.from({ length: Number(n) }, (_, i) => i + 1);
    if (JSON.stringify(found) !== JSON.stringify(expected)) {
      console.error(`collection c holds n = ${JSON.stringify(found).slice(0, 300)}, expected 1..${n}`);
      process.exit(1);
    }
  } finally {
    await client.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
EOF
  (cd "$tmp/run" && "$tmp/bin/$tool" --json --url "$fdb_base/$db" --migrations-dir "$tmp/migrations" status) \
    >"$tmp/logs/status-$db.log" 2>&1 || die "$tool status on $db failed: $(tail -c 1500 "$tmp/logs/status-$db.log")"
  reported=$(python3 "$bench_dir/check_status.py" mongrate <"$tmp/logs/status-$db.log") \
    || die "cannot read the status output of $tool in $tmp/logs/status-$db.log"
  [ "$reported" = "$N applied, 0 pending" ] || die "$tool status on $db: $reported (expected $N applied, 0 pending)"
}

# apply TOOL RUN: `up` of the N migrations to a fresh database, timed unless RUN is warmup.
runs=0
apply() {
  local tool=$1 run=$2
  runs=$((runs + 1))
  local db="bench_js_small_${runs}_$tool"
  record_timed ferretdb up "$tool" "$run" "$tmp/logs/$db.log" "$tmp/run" -- \
    "$tmp/bin/$tool" --quiet --url "$fdb_base/$db" --migrations-dir "$tmp/migrations" up
  verify "$tool" "$db"
}

results="$tmp/results.tsv"
: >"$results"
for run in $(seq "$WARMUP"); do
  for tool in "${tools[@]}"; do apply "$tool" warmup; done
done
for round in $(seq "$ROUNDS"); do
  order=("${tools[@]}")
  if ((round % 2 == 0)) && ((${#tools[@]} == 2)); then order=("${tools[1]}" "${tools[0]}"); fi
  for tool in "${order[@]}"; do
    note "round $round of $ROUNDS: $tool up of $N migrations"
    apply "$tool" "$round"
  done
done

{
  echo
  echo "js_many_small: mongrate up of $N JavaScript migrations (one insertOne each), $ROUNDS timed run(s) per binary, each on a fresh database"
  echo "machine:  nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "mongrate: $mongrate_line"
  [ -z "$BASELINE" ] || echo "baseline: $("$tmp/bin/baseline" --version) ($BASELINE)"
  echo "server:   $(BENCH_NODE_MODULES="$node_modules" node "$bench_dir/mongo_check.js" server "$fdb_url") on SQLite, loopback TCP; data in $(df -PT "$tmp" | awk 'NR == 2 { print $2 }')"
  echo
  if [ -n "$BASELINE" ]; then
    python3 "$bench_dir/summarize.py" "$results" --other baseline --label up="up of $N JavaScript migrations"
  else
    python3 - "$results" <<'EOF'
import statistics, sys
seconds = [float(line.split("\t")[4]) for line in open(sys.argv[1])]
print(f"mongrate up: median {statistics.median(seconds):.3f} s; runs: {' '.join(f'{s:.3f}' for s in seconds)}")
EOF
  fi
  echo
  echo "total runtime: $(printf '%.0f' "$(seconds_since "$script_start")") s (including the build)"
}
