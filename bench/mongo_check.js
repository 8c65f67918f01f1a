#!/usr/bin/env node
// Helper of bench/mongo_vs_migrate_mongo.sh: checks and probes a MongoDB-wire server with the
// `mongodb` driver that migrate-mongo installs (bench/.tools/node/node_modules, or
// $BENCH_NODE_MODULES).
//
//   node mongo_check.js server URI
//       one line: the server's name and versions
//   node mongo_check.js verify URI DB N INDEX
//       checks that DB holds exactly the collections items_0001..items_N, each with exactly the
//       document {_id: 1, v: "x"} (and, when INDEX is 1, an index v_1 on {v: 1}); prints a summary,
//       or the problems and exits 1
//   node mongo_check.js probe URI MONGRATE_DB MIGRATE_MONGO_DB REPEAT
//       server-side costs seen from one client: the changelog queries each tool's status sends,
//       and a lookup by a field other than _id against one by _id
//   node mongo_check.js gaps URI MONGRATE_DB MIGRATE_MONGO_DB
//       from each tool's changelog, the median time between consecutive migrations at the start
//       and at the end of the run (does each migration get slower as the database fills?)
//   node mongo_check.js counters URI
//       the server's command counters, serverStatus metrics.commands.<name>.total, as JSON
//   node mongo_check.js drop URI DB FIRST LAST
//       drops the collections items_FIRST..items_LAST of DB (those that exist)
//   node mongo_check.js dropdb URI DB...
//       drops the databases
'use strict';

const path = require('path');
const modules = process.env.BENCH_NODE_MODULES || path.join(__dirname, '.tools', 'node', 'node_modules');
const { MongoClient } = require(path.join(modules, 'mongodb'));

const MONGRATE_CHANGELOG = 'mongrate_migrations';
const MIGRATE_MONGO_CHANGELOG = 'changelog';

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function withClient(uri, body) {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  try {
    await client.connect();
    return await body(client);
  } finally {
    await client.close();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeMs(body) {
  const start = process.hrtime.bigint();
  const result = await body();
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

async function server(uri) {
  await withClient(uri, async (client) => {
    const build = await client.db('admin').command({ buildInfo: 1 });
    const ferret = build.ferretdbVersion || (build.ferretdbFeatures && 'FerretDB') || null;
    const backend = build.ferretdb && build.ferretdb.package ? `, ${build.ferretdb.package}` : '';
    console.log(ferret ? `FerretDB ${ferret} (reports MongoDB ${build.version}${backend})` : `MongoDB ${build.version}`);
  });
}

async function verify(uri, dbName, n, withIndex) {
  const problems = [];
  let documents = 0;
  let indexes = 0;
  await withClient(uri, async (client) => {
    const db = client.db(dbName);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    const items = new Set(names.filter((name) => /^items_/.test(name)));
    const expected = [];
    for (let i = 1; i <= n; i++) expected.push(`items_${String(i).padStart(4, '0')}`);
    for (const name of expected) if (!items.has(name)) problems.push(`collection ${name} is missing`);
    for (const name of items) if (!expected.includes(name)) problems.push(`unexpected collection ${name}`);
    const present = expected.filter((name) => items.has(name));
    for (let start = 0; start < present.length; start += 50) {
      await Promise.all(present.slice(start, start + 50).map(async (name) => {
        const docs = await db.collection(name).find({}).toArray();
        if (docs.length === 1 && docs[0]._id === 1 && docs[0].v === 'x' && Object.keys(docs[0]).length === 2) {
          documents += 1;
        } else {
          problems.push(`${name} holds ${JSON.stringify(docs)}, expected [{"_id":1,"v":"x"}]`);
        }
        if (withIndex) {
          const found = (await db.collection(name).listIndexes().toArray())
            .find((index) => index.name === 'v_1' && JSON.stringify(index.key) === '{"v":1}');
          if (found) indexes += 1;
          else problems.push(`${name} has no index v_1 on {v: 1}`);
        }
      }));
    }
  });
  if (problems.length) {
    fail(`database ${dbName}: ${problems.length} problem(s):\n  ${problems.slice(0, 10).join('\n  ')}`);
  }
  console.log(`${n} collections items_*, ${documents} documents {_id: 1, v: "x"}` +
    (withIndex ? `, ${indexes} indexes v_1` : ''));
}

async function probe(uri, mongrateDb, migrateMongoDb, repeat) {
  await withClient(uri, async (client) => {
    const line = async (label, body) => {
      const times = [];
      let result;
      for (let i = 0; i < repeat; i++) {
        let ms;
        [ms, result] = await timeMs(body);
        times.push(ms);
      }
      console.log(`${label.padEnd(74)} ${median(times).toFixed(1).padStart(7)} ms${result ? `  (${result})` : ''}`);
    };
    const size = (docs) => docs.length ? `${docs.length} documents, ~${Math.round(
      docs.reduce((sum, d) => sum + JSON.stringify(d).length, 0) / docs.length)} bytes of JSON each` : '0 documents';
    await line('ping (one round trip)', async () => { await client.db('admin').command({ ping: 1 }); });
    await line(`mongrate status query: ${MONGRATE_CHANGELOG}.find({})`,
      async () => size(await client.db(mongrateDb).collection(MONGRATE_CHANGELOG).find({}).toArray()));
    await line(`migrate-mongo status query: ${MIGRATE_MONGO_CHANGELOG}.find({})`,
      async () => size(await client.db(migrateMongoDb).collection(MIGRATE_MONGO_CHANGELOG).find({}).toArray()));
    const last = await client.db(mongrateDb).collection(MONGRATE_CHANGELOG).find({}).sort({ version: -1 }).limit(1).next();
    if (last) {
      await line(`a filter other than _id on mongrate's changelog: findOne({version})`,
        async () => { await client.db(mongrateDb).collection(MONGRATE_CHANGELOG).findOne({ version: last.version }); });
      await line(`the same document by _id: findOne({_id})`,
        async () => { await client.db(mongrateDb).collection(MONGRATE_CHANGELOG).findOne({ _id: last._id }); });
    }
  });
}

async function gaps(uri, mongrateDb, migrateMongoDb) {
  await withClient(uri, async (client) => {
    const report = async (label, docs) => {
      const at = docs.map((d) => new Date(d.appliedAt).getTime());
      if (at.length < 3 || at.some(Number.isNaN)) {
        console.log(`${label}: too few applied migrations to tell`);
        return;
      }
      const deltas = at.slice(1).map((t, i) => t - at[i]);
      const k = Math.max(1, Math.min(20, Math.floor(deltas.length / 4)));
      console.log(`${label}: ${median(deltas.slice(0, k)).toFixed(1)} ms per migration over the first ${k}, ` +
        `${median(deltas.slice(-k)).toFixed(1)} ms over the last ${k} (of ${docs.length})`);
    };
    await report('mongrate', await client.db(mongrateDb).collection(MONGRATE_CHANGELOG)
      .find({}, { projection: { version: 1, appliedAt: 1 } }).sort({ version: 1 }).toArray());
    await report('migrate-mongo', await client.db(migrateMongoDb).collection(MIGRATE_MONGO_CHANGELOG)
      .find({}, { projection: { fileName: 1, appliedAt: 1 } }).sort({ fileName: 1 }).toArray());
  });
}

async function counters(uri) {
  await withClient(uri, async (client) => {
    const status = await client.db('admin').command({ serverStatus: 1 });
    const totals = {};
    for (const [name, value] of Object.entries((status.metrics && status.metrics.commands) || {})) {
      if (value && typeof value === 'object' && value.total !== undefined) totals[name] = Number(value.total);
    }
    if (!Object.keys(totals).length) fail('serverStatus has no metrics.commands counters');
    console.log(JSON.stringify(totals));
  });
}

async function drop(uri, dbName, first, last) {
  await withClient(uri, async (client) => {
    const db = client.db(dbName);
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (let i = first; i <= last; i++) {
      const name = `items_${String(i).padStart(4, '0')}`;
      if (existing.has(name)) await db.collection(name).drop();
    }
  });
}

async function dropDatabases(uri, names) {
  await withClient(uri, async (client) => {
    for (const name of names) await client.db(name).dropDatabase();
  });
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'server': return server(args[0]);
    case 'verify': return verify(args[0], args[1], Number(args[2]), args[3] === '1');
    case 'probe': return probe(args[0], args[1], args[2], Number(args[3] || 5));
    case 'gaps': return gaps(args[0], args[1], args[2]);
    case 'counters': return counters(args[0]);
    case 'drop': return drop(args[0], args[1], Number(args[2]), Number(args[3]));
    case 'dropdb': return dropDatabases(args[0], args.slice(1));
    default: fail('usage: mongo_check.js server URI | verify URI DB N INDEX | probe URI MONGRATE_DB MIGRATE_MONGO_DB [REPEAT] | gaps URI MONGRATE_DB MIGRATE_MONGO_DB | counters URI | drop URI DB FIRST LAST | dropdb URI DB...');
  }
}

main().catch((error) => fail(`mongo_check.js ${process.argv[2]}: ${error && error.stack || error}`));
