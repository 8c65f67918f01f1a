#!/usr/bin/env node
// Helper of bench/js_transform.sh: seeds and verifies the `users` collection of one database with
// the `mongodb` driver that migrate-mongo installs (bench/.tools/node/node_modules, or
// $BENCH_NODE_MODULES).
//
//   node js_transform.js seed URI DB N
//       drops DB.users and inserts N users {_id: ObjectId, name: 'First Last', email, schema_version: 2}
//       with insertMany, 1000 documents per command
//   node js_transform.js verify URI DB N
//       reads every document of DB.users once (one cursor) and checks that there are exactly N, the
//       N seeded _ids once each, each transformed: no `name`, `first_name` and `last_name` equal to
//       the split of the seeded name, schema_version 3, an `updated_at` date, the email unchanged.
//       Prints a summary, or the problems and exits 1.
//   node js_transform.js verify URI DB N passes
//       the same, for bench/js_transform/eachbatch.js with COUNT_PASSES: each document also has
//       `passes` (how often it was written) and `pass_run` (the run that wrote it last); prints
//       a last line `passes {"twice":…,"byRun":{"<run>":documents,…}}` (twice: passes above 1)
//   node js_transform.js settle URI DB
//       inserts one document into DB.bench_settle (a collection no contender reads), so that every
//       contender starts right after a small write through FerretDB, as mongrate's own lock and
//       changelog writes give it anyway. Observed on FerretDB v1.24 (SQLite, WAL): when the last
//       write before the contender's cursor opened was the index that js_transform.sh creates with
//       sqlite3, the updates made while that cursor was open got slower and slower (100000
//       documents: ~10 minutes instead of ~1, for the floor and for migrate-mongo); one write
//       through FerretDB in between, and the same runs were linear.
//   node js_transform.js drop URI DB
//       drops DB
//   node js_transform.js nameOf I
//       the name seeded for _id I (for eyeballing)
'use strict';

const path = require('path');
const modules = process.env.BENCH_NODE_MODULES || path.join(__dirname, '.tools', 'node', 'node_modules');
const { MongoClient, ObjectId } = require(path.join(modules, 'mongodb'));

// The _id of user I (1-based): an ObjectId, not a number. FerretDB v1 on SQLite looks a document up
// by its _id through the table's primary key only when the _id is an ObjectId or a string; with a
// number every `updateOne({_id})` reads the whole collection.
const ID_PREFIX = '65000000';
function idOf(i) {
  return new ObjectId(ID_PREFIX + i.toString(16).padStart(16, '0'));
}
function indexOf(id) {
  const hex = id instanceof ObjectId ? id.toHexString() : '';
  return hex.startsWith(ID_PREFIX) ? parseInt(hex.slice(ID_PREFIX.length), 16) : NaN;
}

// Deterministic names from the _id: some last names have several words, a few people one name.
const FIRST = ['Ada', 'Grace', 'Alan', 'Katherine', 'Edsger', 'Barbara', 'Linus', 'Margaret', 'Donald', 'Frances',
  'John', 'Radia', 'Ken', 'Hedy', 'Dennis', 'Annie', 'Tim', 'Mary', 'Claude', 'Sophie', 'Guido', 'Jean'];
const LAST = ['Lovelace', 'Brewster Hopper', 'Turing', 'Johnson', 'W. Dijkstra', 'Liskov', 'Torvalds', 'Hamilton',
  'Knuth', 'Allen', 'von Neumann', 'Perlman', 'Thompson', 'Lamarr', 'Ritchie', 'Easley', 'Berners-Lee', 'Shannon',
  'Wilson', 'van Rossum', 'E. Sammet', 'Jackson Bartik', 'Clarke', 'Goldberg', 'Wirth'];

function nameOf(i) {
  const first = FIRST[i % FIRST.length];
  if (i % 97 === 0) return first; // one word: last_name ''
  return `${first} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
}

function emailOf(i) {
  return `${nameOf(i).toLowerCase().replace(/[^a-z]+/g, '.')}.${i}@example.com`;
}

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

async function seed(uri, dbName, n) {
  await withClient(uri, async (client) => {
    const users = client.db(dbName).collection('users');
    await users.drop().catch(() => {});
    const started = Date.now();
    for (let start = 1; start <= n; start += 1000) {
      const docs = [];
      for (let i = start; i < start + 1000 && i <= n; i++) {
        docs.push({ _id: idOf(i), name: nameOf(i), email: emailOf(i), schema_version: 2 });
      }
      const r = await users.insertMany(docs, { ordered: true });
      if (r.insertedCount !== docs.length) fail(`seed ${dbName}: inserted ${r.insertedCount} of ${docs.length}`);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`seeded ${dbName}.users with ${n} documents in ${seconds.toFixed(1)} s`);
  });
}

async function verify(uri, dbName, n, counted) {
  const problems = [];
  const problem = (text) => { if (problems.length < 20) problems.push(text); };
  const seen = new Uint8Array(n + 1);
  let documents = 0;
  let twice = 0;
  const byRun = {};
  await withClient(uri, async (client) => {
    const users = client.db(dbName).collection('users');
    // One pass over the collection with one cursor (nothing writes meanwhile). A paged read by
    // `_id: {$gt: last}` would make FerretDB read and sort the whole collection for each page.
    for await (const doc of users.find({}).batchSize(10000)) {
      documents += 1;
      const i = indexOf(doc._id);
      if (!(i >= 1 && i <= n)) { problem(`unexpected _id: ${JSON.stringify(doc)}`); continue; }
      if (seen[i]) problem(`_id ${doc._id} twice`);
      seen[i] = 1;
      const [first, ...rest] = nameOf(i).split(' ');
      const ok = doc.name === undefined && doc.first_name === first && doc.last_name === rest.join(' ')
        && doc.schema_version === 3 && doc.updated_at instanceof Date && doc.email === emailOf(i)
        && Object.keys(doc).length === (counted ? 8 : 6);
      if (!ok) problem(`not transformed (or wrongly): ${JSON.stringify(doc)}`);
      if (counted) {
        if (!(doc.passes >= 1)) problem(`no passes counted: ${JSON.stringify(doc)}`);
        if (doc.passes > 1) twice += 1;
        byRun[doc.pass_run] = (byRun[doc.pass_run] || 0) + 1;
      }
    }
  });
  if (documents !== n) problem(`${documents} documents, expected ${n}`);
  let missing = 0;
  for (let i = 1; i <= n; i++) if (!seen[i]) missing += 1;
  if (missing > 0) problem(`${missing} of the ${n} seeded _ids are missing`);
  if (problems.length > 0) fail(`${dbName}.users is not fully transformed:\n  ${problems.join('\n  ')}`);
  console.log(`${dbName}.users: ${n} documents, all transformed`);
  if (counted) console.log(`passes ${JSON.stringify({ twice, byRun })}`);
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'seed': return seed(args[0], args[1], Number(args[2]));
    case 'verify': return verify(args[0], args[1], Number(args[2]), args[3] === 'passes');
    case 'settle': return withClient(args[0], (client) => client.db(args[1]).collection('bench_settle').insertOne({ at: new Date() }));
    case 'drop': return withClient(args[0], (client) => client.db(args[1]).dropDatabase());
    case 'nameOf': return console.log(nameOf(Number(args[0])), emailOf(Number(args[0])));
    default: return fail('usage: js_transform.js seed|verify URI DB N [passes] | settle|drop URI DB | nameOf I');
  }
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
