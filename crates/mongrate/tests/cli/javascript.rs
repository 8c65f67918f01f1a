//! JavaScript migrations (migrate-mongo's format and the seed styles) run by the embedded engine
//! on the MongoDB-wire test server.

use std::time::{Duration, Instant};

use bson::spec::BinarySubtype;
use bson::{Binary, Bson, DateTime, Document, Regex, Timestamp, doc, oid::ObjectId};
use futures_util::TryStreamExt;

use crate::mongo_dump::{count, dump, insert};
use crate::support::{Backend, Project, Runner, block_on};

fn project() -> Project {
    Project::new(Backend::Mongo)
}

fn find_all(db: &mongodb::Database, collection: &str) -> Vec<Document> {
    block_on(async {
        let cursor = db.collection::<Document>(collection).find(doc! {}).sort(doc! { "_id": 1 }).await.expect("find");
        cursor.try_collect().await.expect("documents")
    })
}

const COMMONJS: &str = r#"
// migrate-mongo's format
module.exports = {
  description: 'Give users preferences',
  async up(db, client) {
    await db.collection('users').updateMany(
      { schema_version: { $exists: false } },
      { $set: { schema_version: 2, preferences: { theme: 'light', notifications: true } } },
    );
  },
  async down(db, client) {
    await db.collection('users').updateMany({ schema_version: 2 }, { $unset: { schema_version: '', preferences: '' } });
  },
};
"#;

const ESM: &str = r#"
import { ObjectId } from 'mongodb';
export const name = 'Split names';
export async function up(db) {
  const users = await db.collection('users').find({ schema_version: 2 }).sort({ _id: 1 }).toArray();
  for (const user of users) {
    const [first_name, ...rest] = user.name.split(' ');
    await db.collection('users').updateOne({ _id: user._id }, { $set: { first_name, last_name: rest.join(' ') }, $unset: { name: '' } });
  }
  await db.collection('audit').insertOne({ _id: new ObjectId('65a1b2c3d4e5f60718293a4b'), step: 'split' });
}
export async function down(db) {
  for await (const user of db.collection('users').find({ first_name: { $exists: true } })) {
    await db.collection('users').updateOne({ _id: user._id }, { $set: { name: `${user.first_name} ${user.last_name}`.trim() }, $unset: { first_name: '', last_name: '' } });
  }
  await db.collection('audit').drop();
}
"#;

// Seed 001's style: no arguments, a global `mongoose`, a session without a transaction.
const SEED_001: &str = r#"
export const name = 'Add User Index';
export const description = 'Create index on user email field';
export async function up() {
  const db = mongoose.connection.db;
  const session = await mongoose.startSession();
  try {
    await db.collection('users').createIndex({ email: 1 }, { unique: true });
    await db.collection('users').updateOne({ _id: 1 }, { $set: { indexed: true } }, { session });
  } finally {
    await session.endSession();
  }
  console.log('✓ Created email index on users collection');
}
export async function down() {
  const db = mongoose.connection.db;
  await db.collection('users').dropIndex('email_1');
  await db.collection('users').updateOne({ _id: 1 }, { $unset: { indexed: '' } });
}
"#;

// Seed 004's style: one exported object, no down (irreversible).
const SEED_004: &str = r#"
export const migration = {
  version: 4,
  description: 'Archive nobody',
  async up() {
    const db = mongoose.connection.db;
    await db.collection('users').updateMany({}, { $set: { archived: false } });
  },
};
"#;

fn seed(project: &Project) {
    insert(
        &project.mongo(),
        "users",
        serde_json::json!([
            { "_id": 1, "name": "Ada Lovelace", "email": "ada@example.com" },
            { "_id": 2, "name": "Alan Mathison Turing", "email": "alan@example.com" },
        ]),
    );
}

#[test]
fn javascript_lifecycle_in_every_module_style() {
    let project = project();
    seed(&project);
    let before = dump(&project.mongo());
    project.write("001-preferences.js", COMMONJS);
    project.write("002-split.mjs", ESM);
    project.write("003-index.js", SEED_001);

    let status = project.run(&["status", "--json"]).expect(0).json();
    let pending = &status["pending"];
    assert_eq!(pending[0]["name"], "preferences", "a file without a name export is named by its slug: {status}");
    assert_eq!(pending[0]["description"], "Give users preferences");
    assert_eq!(pending[1]["name"], "Split names");
    assert_eq!(pending[2]["name"], "Add User Index");
    assert_eq!(pending[2]["reversible"], true);

    let up = project.run(&["up"]).expect(0);
    assert!(
        up.stderr.contains("[003-index.js] ✓ Created email index"),
        "console.log reaches the output: {}",
        up.stderr
    );
    let users = find_all(&project.mongo(), "users");
    assert_eq!(users[1].get_str("first_name").unwrap(), "Alan");
    assert_eq!(users[1].get_str("last_name").unwrap(), "Mathison Turing");
    assert!(!users[1].contains_key("name"));
    assert_eq!(users[0].get_document("preferences").unwrap().get_str("theme").unwrap(), "light");
    assert!(users[0].get_bool("indexed").unwrap());
    let dumped = dump(&project.mongo());
    assert!(dumped.contains("index email_1 { \"email\": 1 } unique=true"), "{dumped}");

    project.write("004-archive.js", SEED_004);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["pending"][0]["reversible"], false, "no down: irreversible: {status}");
    assert_eq!(status["pending"][0]["description"], "Archive nobody");
    project.remove("004-archive.js");

    project.run(&["down", "--to", "0"]).expect(0);
    assert_eq!(dump(&project.mongo()), before, "every down restores the data and indexes");
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(history.as_array().map(Vec::len), Some(6), "{history}");
}

#[test]
fn values_keep_their_bson_types_through_a_read_and_a_write_back() {
    let project = project();
    let original = doc! {
        "_id": ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap(),
        "int32": 7i32,
        "int64": 9_007_199_254_740_993i64,
        "small_long": 5i64,
        "double_whole": 5.0f64,
        "double": 2.5f64,
        "negative_zero": -0.0f64,
        "string": "text",
        "bool": true,
        "null": Bson::Null,
        "date": DateTime::from_millis(1_704_164_645_678),
        "binary": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 2, 255] },
        "uuid": Binary { subtype: BinarySubtype::Uuid, bytes: (0u8..16).collect() },
        "timestamp": Timestamp { time: 1_700_000_000, increment: 3 },
        "regex": Regex { pattern: "ab+c".try_into().unwrap(), options: "i".try_into().unwrap() },
        "nested": { "list": [1i32, "two", { "three": 3.5f64 }, { "four": 4i64 }], "empty": {} },
    };
    block_on(project.mongo().collection::<Document>("source").insert_one(original.clone())).expect("insert");
    project.write(
        "001-copy.js",
        r#"
const { Long, Double, Int32 } = require('mongodb');
module.exports = {
  async up(db) {
    const doc = await db.collection('source').findOne({});
    await db.collection('copy').insertOne(doc);
    const all = await db.collection('source').find().toArray();
    await db.collection('copy_via_cursor').insertMany(all);
    // Arithmetic works on the number wrappers; explicit constructors pick the type.
    if (doc.small_long + 1 !== 6 || doc.double_whole * 2 !== 10) throw new Error('wrappers do not convert to numbers');
    await db.collection('made').insertOne({ _id: 1, long: Long.fromString('12345678901234'), double: new Double(3), int: new Int32(4), big: 12n, plain: 3, frac: 0.5 });
  },
};
"#,
    );
    project.run(&["up"]).expect(0);
    let db = project.mongo();
    assert_eq!(find_all(&db, "copy"), vec![original.clone()], "findOne → insertOne keeps every type");
    assert_eq!(find_all(&db, "copy_via_cursor"), vec![original], "a cursor keeps every type");
    let made = &find_all(&db, "made")[0];
    assert_eq!(made.get("long"), Some(&Bson::Int64(12_345_678_901_234)));
    assert_eq!(made.get("double"), Some(&Bson::Double(3.0)));
    assert_eq!(made.get("int"), Some(&Bson::Int32(4)));
    assert_eq!(made.get("big"), Some(&Bson::Int64(12)));
    assert_eq!(made.get("plain"), Some(&Bson::Int32(3)), "an integer number is an Int32, as in the Node driver");
    assert_eq!(made.get("frac"), Some(&Bson::Double(0.5)));
}

#[test]
fn a_syntax_error_names_file_line_and_column_before_anything_runs() {
    let project = project();
    project.write(
        "001-fine.js",
        "module.exports = { async up(db) { await db.collection('a').insertOne({ _id: 1 }); } };\n",
    );
    project.write(
        "002-broken.js",
        "module.exports = {\n  async up(db) {\n    await db.collection('a').insertOne({ _id: 2 };\n  },\n};\n",
    );
    for args in [&["validate"][..], &["up"][..]] {
        let run = project.run(args).expect(4);
        assert!(run.stderr.contains("002-broken.js:3:"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("SyntaxError"), "{}", run.stderr);
    }
    assert_eq!(count(&project.mongo(), "a", doc! {}), 0, "nothing ran");
    // `status` lists the file with its error; `--exit-code` says something is wrong.
    let status = project.run(&["status"]).expect(0);
    assert!(
        status.stdout.contains("cannot load 002-broken.js") && status.stdout.contains("002-broken.js:3:"),
        "{}",
        status.stdout
    );
    let json = project.run(&["status", "--json"]).expect(0).json();
    assert!(json["pending"][1]["loadError"].as_str().unwrap().contains("SyntaxError"), "{json}");
    project.run(&["status", "--exit-code"]).expect(4);
}

#[test]
fn an_exception_fails_the_migration_with_message_and_stack() {
    let project = project();
    project.write(
        "001-throws.js",
        "module.exports = {\n  async up(db) {\n    await db.collection('a').insertOne({ _id: 1 });\n    throw new Error('no phone column');\n  },\n};\n",
    );
    let run = project.run(&["up"]).expect(1);
    assert!(run.stderr.contains("Error: no phone column"), "{}", run.stderr);
    assert!(run.stderr.contains("001-throws.js:4:"), "the stack names the line: {}", run.stderr);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["failed"][0]["version"], "1", "{status}");
    assert!(status["failed"][0]["error"].as_str().unwrap().contains("no phone column"), "{status}");
}

#[test]
fn server_errors_are_exceptions_a_migration_can_catch() {
    let project = project();
    project.write(
        "001-duplicate.js",
        r#"
module.exports = {
  async up(db) {
    await db.collection('a').createIndex({ email: 1 }, { unique: true });
    await db.collection('a').insertOne({ _id: 1, email: 'x' });
    try {
      await db.collection('a').insertOne({ _id: 2, email: 'x' });
    } catch (e) {
      await db.collection('caught').insertOne({ _id: 1, name: e.name, code: e.code, isError: e instanceof Error });
    }
    try {
      await db.collection('a').insertMany([{ _id: 3, email: 'y' }, { _id: 4, email: 'y' }]);
    } catch (e) {
      await db.collection('caught').insertOne({ _id: 2, name: e.name, code: e.code, inserted: e.result.insertedCount });
    }
    await db.command({ notACommand: 1 });
  },
};
"#,
    );
    let run = project.run(&["up"]).expect(1);
    assert!(run.stderr.contains("MongoServerError"), "an uncaught server error fails the migration: {}", run.stderr);
    assert!(run.stderr.contains("001-duplicate.js:16:"), "at the line that called: {}", run.stderr);
    assert!(run.stderr.contains("CommandNotFound (59)"), "the server's code and its name: {}", run.stderr);
    let caught = find_all(&project.mongo(), "caught");
    assert_eq!(caught[0], doc! { "_id": 1, "name": "MongoServerError", "code": 11000, "isError": true });
    assert_eq!(caught[1], doc! { "_id": 2, "name": "MongoBulkWriteError", "code": 11000, "inserted": 1 });
}

#[test]
fn modules_resolve_mongodb_and_relative_files_and_refuse_the_rest() {
    let project = project();
    std::fs::create_dir(project.migrations().join("lib")).unwrap();
    std::fs::write(
        project.migrations().join("lib/names.js"),
        "module.exports = { collection: () => 'from_helper' };\n",
    )
    .unwrap();
    std::fs::write(project.migrations().join("lib/esm.mjs"), "export const value = 42;\n").unwrap();
    project.write(
        "001-helpers.js",
        "const { collection } = require('./lib/names');\nmodule.exports = { async up(db) { await db.collection(collection()).insertOne({ _id: 1 }); } };\n",
    );
    project.write(
        "002-esm.mjs",
        "import { value } from './lib/esm.mjs';\nimport helper from './lib/names.js';\nexport async function up(db) { await db.collection(helper.collection()).insertOne({ _id: value }); }\n",
    );
    project.run(&["up"]).expect(0);
    assert_eq!(count(&project.mongo(), "from_helper", doc! {}), 2);

    project.write("003-lodash.js", "const _ = require('lodash');\nmodule.exports = { async up() {} };\n");
    let run = project.run(&["validate"]).expect(4);
    assert!(
        run.stderr.contains("003-lodash.js") && run.stderr.contains("Cannot find module 'lodash'"),
        "{}",
        run.stderr
    );
    project.remove("003-lodash.js");
    project.write("003-no-up.js", "module.exports = { async down() {} };\n");
    let run = project.run(&["validate"]).expect(4);
    assert!(run.stderr.contains("003-no-up.js: exports no up function"), "{}", run.stderr);
}

#[test]
fn dry_run_reads_counts_writes_by_line_and_writes_nothing() {
    let project = project();
    seed(&project);
    project.write("001-preferences.js", COMMONJS);
    project.write(
        "002-loop.js",
        "module.exports = {\n  async up(db) {\n    const users = await db.collection('users').find().toArray();\n    for (const u of users) {\n      await db.collection('users').updateOne({ _id: u._id }, { $set: { seen: true } });\n    }\n    await db.collection('users').deleteMany({ email: /example/ });\n  },\n};\n",
    );
    let before = dump(&project.mongo());
    let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
    let loop_ops = &preview["preview"][1]["operations"];
    assert_eq!(loop_ops[0]["line"], 5, "{preview}");
    assert_eq!(loop_ops[0]["summary"], "updateOne users");
    assert_eq!(loop_ops[0]["affected"], 2, "two calls of one line make one plan line: {preview}");
    assert_eq!(loop_ops[1]["line"], 7);
    assert_eq!(loop_ops[1]["affected"], 2);
    assert_eq!(preview["preview"][0]["operations"][0]["affected"], 2, "{preview}");
    assert_eq!(dump(&project.mongo()), before, "nothing was written");
    let names = block_on(project.mongo().list_collection_names()).unwrap();
    assert!(!names.iter().any(|n| n.starts_with("mongrate_")), "not even the changelog: {names:?}");
}

/// Long enough for any server, short enough that a process hanging at exit fails the test.
const EXIT_LIMIT: Duration = Duration::from_secs(60);

/// Sends SIGINT (Ctrl-C) to the runner once `collection` has a document: its migration has started.
fn interrupt_when_written(project: &Project, runner: &Runner, collection: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&project.mongo(), collection, doc! {}) == 0 {
        assert!(Instant::now() < deadline, "the migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let interrupted = std::process::Command::new("kill").args(["-INT", &runner.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
}

#[test]
fn ctrl_c_stops_a_running_javascript_migration_and_records_it() {
    let project = project();
    project.write(
        "001-forever.js",
        "module.exports = { async up(db) { await db.collection('a').insertOne({ _id: 1 }); for (;;) {} } };\n",
    );
    let runner = project.spawn(&["up"]);
    interrupt_when_written(&project, &runner, "a");
    let run = runner.finish_within(EXIT_LIMIT).expect(1);
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["failed"][0]["version"], "1", "the interrupted migration is recorded: {status}");
    assert!(status["locked"].is_null(), "the lock is released: {status}");
}

/// A small migration: inserts `{ _id: n }` into `steps`, with its down.
fn small_step(n: u32) -> String {
    format!(
        "module.exports = {{\n  async up(db) {{ await db.collection('steps').insertOne({{ _id: {n} }}); }},\n  \
         async down(db) {{ await db.collection('steps').deleteOne({{ _id: {n} }}); }},\n}};\n"
    )
}

// The migrations of a run share one JavaScript I/O thread and its connection: a run of several,
// its dry-run and its revert all work, and the process exits once the run is done.
#[test]
fn a_run_of_several_javascript_migrations_works_and_exits() {
    let project = project();
    for n in 1..=4 {
        project.write(&format!("00{n}-step.js"), &small_step(n));
    }
    // One that leaves a cursor open with a batch read ahead, and a session never ended.
    project.write(
        "005-open-ends.mjs",
        "export async function up(db, client) {\n  const cursor = db.collection('steps').find({}).batchSize(1);\n  \
         await cursor.next();\n  const session = client.startSession();\n  \
         await db.collection('steps').insertOne({ _id: 5 }, { session });\n}\n\
         export async function down(db) { await db.collection('steps').deleteOne({ _id: 5 }); }\n",
    );
    let preview = project.run_within(&["up", "--dry-run", "--json"], EXIT_LIMIT).expect(0).json();
    assert_eq!(preview["preview"].as_array().map(Vec::len), Some(5), "{preview}");
    assert_eq!(count(&project.mongo(), "steps", doc! {}), 0, "a dry-run writes nothing");
    project.run_within(&["up"], EXIT_LIMIT).expect(0);
    let ids: Vec<i32> = find_all(&project.mongo(), "steps").iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], 5, "{status}");
    project.run_within(&["down", "--all"], EXIT_LIMIT).expect(0);
    assert_eq!(count(&project.mongo(), "steps", doc! {}), 0, "every down ran");
}

// Ctrl-C while a later migration of the run awaits something that never comes (no JavaScript
// runs, so nothing can stop it): the migrations before it stay applied, it is recorded, the lock
// is released, and the process exits without waiting for the abandoned migration.
#[test]
fn ctrl_c_during_a_waiting_javascript_migration_records_it_and_exits() {
    let project = project();
    project.write("001-step.js", &small_step(1));
    project.write("002-step.js", &small_step(2));
    project.write(
        "003-waits.js",
        "module.exports = { async up(db) {\n  await db.collection('b').insertOne({ _id: 1 });\n  \
         await new Promise((resolve) => setTimeout(resolve, 3600 * 1000));\n} };\n",
    );
    let runner = project.spawn(&["up"]);
    interrupt_when_written(&project, &runner, "b");
    let run = runner.finish_within(EXIT_LIMIT).expect(1);
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], 2, "{status}");
    assert_eq!(status["failed"][0]["version"], "3", "the interrupted migration is recorded: {status}");
    assert!(status["locked"].is_null(), "the lock is released: {status}");
}

// Cursors are read one batch ahead (the next batch is fetched while the migration works on the
// last): every document still comes once and in order while the migration writes to the same
// collection, and a cursor closed with a batch on its way closes cleanly.
const READ_AHEAD: &str = r#"
module.exports = {
  async up(db) {
    const users = db.collection('users');
    let seen = 0;
    let last = 0;
    let ids = [];
    for await (const user of users.find({}).sort({ _id: 1 }).batchSize(100)) {
      if (user._id !== last + 1) throw new Error(`document ${user._id} came after ${last}`);
      last = user._id;
      seen++;
      ids.push(user._id);
      if (ids.length === 100) {
        await users.updateMany({ _id: { $in: ids } }, { $set: { seen: true } });
        ids = [];
      }
    }
    const cursor = users.find({}).sort({ _id: 1 }).batchSize(100);
    const first = await cursor.next();
    for (let i = 1; i < 150; i++) await cursor.next();
    await cursor.close();
    const tail = await users.find({ _id: { $gt: 900 } }).toArray();
    await db.collection('report').insertOne({ _id: 'cursor', seen, first: first._id, tail: tail.length });
  },
};
"#;

#[test]
fn cursors_read_ahead_return_every_document_once_in_order() {
    let project = project();
    let users: Vec<serde_json::Value> = (1..=1000).map(|id| serde_json::json!({ "_id": id })).collect();
    insert(&project.mongo(), "users", serde_json::Value::Array(users));
    project.write("001-read-ahead.js", READ_AHEAD);
    project.run(&["up"]).expect(0);
    let report = find_all(&project.mongo(), "report");
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0].get_i32("seen").ok(), Some(1000), "{report:?}");
    assert_eq!(report[0].get_i32("first").ok(), Some(1), "{report:?}");
    assert_eq!(report[0].get_i32("tail").ok(), Some(100), "{report:?}");
    assert_eq!(count(&project.mongo(), "users", doc! { "seen": true }), 1000);
}

#[test]
fn a_failed_operation_nobody_awaited_fails_the_migration() {
    let project = project();
    project.write(
        "001-forgot-await.js",
        "module.exports = {\n  async up(db) {\n    await db.collection('a').insertOne({ _id: 1 });\n    db.collection('a').insertOne({ _id: 1 });\n  },\n};\n",
    );
    let run = project.run(&["up"]).expect(1);
    assert!(
        run.stderr.contains("rejected and never awaited") && run.stderr.contains("DuplicateKey (11000)"),
        "{}",
        run.stderr
    );
}

#[test]
fn create_writes_a_javascript_migration_that_runs() {
    let project = project();
    let created = project.run(&["create", "it's new", "--format", "js", "--json"]).expect(0).json();
    let file = created["file"].as_str().unwrap();
    assert!(file.ends_with("-it-s-new.js"), "{created}");
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["pending"][0]["description"], "it's new", "{status}");
    assert_eq!(status["pending"][0]["reversible"], true);
    project.run(&["up"]).expect(0);
    project.run(&["down"]).expect(0);
}
