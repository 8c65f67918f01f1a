//! The MongoDB target on a real MongoDB-wire server (FerretDB, or MONGRATE_TEST_MONGODB_URI).

use std::time::{Duration, Instant};

use bson::doc;
use serde_json::json;

use crate::mongo_dump::{count, insert};
use crate::support::{Backend, MongoUrl, Project};

fn project() -> Project {
    Project::new(Backend::Mongo)
}

const USERS: &str = "description: Users get a unique email index and a preferences object\n\
up:\n\
  - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true } }\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - addField:    { collection: users, field: preferences, value: { theme: light }, filter: { schema_version: 1 } }\n\
  - setSchemaVersion: { collection: users, from: 1, to: 2 }\n";

fn seed_users(project: &Project) {
    insert(
        &project.mongo(),
        "users",
        json!([
            { "_id": 1, "email": "a@example.com", "phone": "+1 555", "schema_version": 1, "joined": { "$date": "2024-01-15T10:30:00Z" } },
            { "_id": 2, "email": "b@example.com", "phone": "+1 556", "schema_version": 1, "score": { "$numberLong": "42" } },
            { "_id": 3, "email": "c@example.com", "schema_version": 2, "ref": { "$oid": "507f1f77bcf86cd799439011" } },
        ]),
    );
}

#[test]
fn lifecycle_on_mongodb() {
    let project = project();
    seed_users(&project);
    project.write("20250101000000-users.yaml", USERS);
    project.write(
        "20250101000100-seed.json",
        r#"{"up": [{"insertMany": {"collection": "plans", "documents": [{"_id": "free", "price": 0}, {"_id": "pro", "price": {"$numberLong": "999"}}]}}]}"#,
    );
    project.write("20250101000200-cleanup.yaml", "up:\n  - removeField: { collection: users, field: legacy }\n");

    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["pending"], 3);
    assert_eq!(status["server"]["kind"], "mongodb");
    assert!(status["server"]["version"].is_string());
    if std::env::var("MONGRATE_TEST_MONGODB_URI").is_err() {
        assert_eq!(status["server"]["ferretdb"], true);
        assert_eq!(status["server"]["transactions"], false);
        let human = project.run(&["status"]).expect(0);
        assert!(human.stdout.contains("server: FerretDB, no transactions"), "{}", human.stdout);
    }
    assert_eq!(status["pending"][2]["reversible"], false, "removeField without down is irreversible");
    let list = project.run(&["list"]).expect(0);
    assert!(list.stdout.contains("cleanup") && list.stdout.contains(" no "), "{}", list.stdout);

    let up = project.run(&["up"]).expect(0);
    assert!(up.stdout.contains("ran 3 migrations"), "{}", up.stdout);
    let db = project.mongo();
    assert_eq!(count(&db, "users", doc! { "phoneNumber": { "$exists": true } }), 2);
    assert_eq!(count(&db, "users", doc! { "phone": { "$exists": true } }), 0);
    assert_eq!(count(&db, "users", doc! { "preferences.theme": "light" }), 2);
    assert_eq!(count(&db, "users", doc! { "schema_version": 2 }), 3);
    assert_eq!(count(&db, "plans", doc! {}), 2);
    assert!(project.dump().contains("email_1"), "the index exists");

    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], 3);
    assert!(status["applied"][0]["appliedAt"].as_str().unwrap().ends_with('Z'));
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(history.as_array().unwrap().len(), 3);
    assert_eq!(history[0]["version"], "20250101000200");

    // The changelog uses seed 001's field names.
    let record = crate::support::block_on(
        db.collection::<bson::Document>("mongrate_migrations").find_one(doc! { "version": "20250101000000" }),
    )
    .unwrap()
    .expect("a changelog document");
    for field in [
        "version",
        "name",
        "description",
        "status",
        "appliedAt",
        "executionTime",
        "reversible",
        "checksum",
        "batch",
        "appliedBy",
        "createdAt",
        "updatedAt",
    ] {
        assert!(record.contains_key(field), "changelog document lacks {field}: {record}");
    }
    assert!(matches!(record.get("appliedAt"), Some(bson::Bson::DateTime(_))));

    let refused = project.run(&["down"]).expect(4);
    assert!(refused.stderr.contains("irreversible"), "{}", refused.stderr);
    project.run(&["mark", "20250101000200", "--pending"]).expect(0);
    project.run(&["down", "--steps", "2"]).expect(0);
    assert_eq!(count(&db, "plans", doc! {}), 0);
    assert_eq!(count(&db, "users", doc! { "phone": { "$exists": true } }), 2);
    project.run(&["migrate", "20250101000100"]).expect(0);
    assert_eq!(count(&db, "plans", doc! {}), 2);
    project.run(&["validate"]).expect(0);

    // Drift and repair.
    project.write(
        "20250101000100-seed.json",
        &std::fs::read_to_string(project.migrations().join("20250101000100-seed.json")).unwrap().replace("999", "1999"),
    );
    project.run(&["up"]).expect(4);
    project.run(&["repair"]).expect(0);
    project.run(&["validate"]).expect(0);
}

/// Each migration: data before `up` and after `down` must be identical, documents (with their
/// BSON types) and indexes.
#[test]
fn every_derived_down_restores_the_data() {
    let project = project();
    seed_users(&project);
    // setSchemaVersion's inverse is exact when no document was at the target version before.
    crate::support::block_on(
        project
            .mongo()
            .collection::<bson::Document>("users")
            .update_one(doc! { "_id": 3 }, doc! { "$set": { "schema_version": 3 } }),
    )
    .unwrap();
    insert(
        &project.mongo(),
        "events",
        json!([
            { "_id": 1, "at": { "$date": "2020-01-01T00:00:00Z" }, "kind": "old" },
            { "_id": 2, "at": { "$date": "2026-01-01T00:00:00Z" }, "kind": "new" },
        ]),
    );
    let migrations = [
        ("createCollection", "up:\n  - createCollection: { collection: audit }\n"),
        ("renameCollection", "up:\n  - renameCollection: { from: events, to: happenings }\n"),
        (
            "createIndex",
            "up:\n  - createIndex: { collection: users, keys: { email: 1, schema_version: -1 }, options: { unique: true, name: by_email } }\n",
        ),
        (
            "addField",
            "up:\n  - addField: { collection: users, field: flags, value: { beta: true, since: { $date: \"2026-01-01T00:00:00Z\" } } }\n",
        ),
        ("renameField", "up:\n  - renameField: { collection: users, from: phone, to: phoneNumber }\n"),
        ("copyField", "up:\n  - copyField: { collection: users, from: email, to: login }\n"),
        (
            "insertMany",
            "up:\n  - insertMany: { collection: users, documents: [ { _id: 10, email: x@example.com, n: { $numberInt: \"7\" } } ] }\n",
        ),
        (
            "archive",
            "up:\n  - archive: { collection: events, to: events_archive, filter: { at: { $lt: { $date: \"2024-01-01T00:00:00Z\" } } } }\n",
        ),
        ("setSchemaVersion", "up:\n  - setSchemaVersion: { collection: users, from: 1, to: 2 }\n"),
        ("several", USERS),
    ];
    for (index, (name, body)) in migrations.iter().enumerate() {
        let file = format!("{:03}_{name}.yaml", index + 1);
        project.write(&file, body);
        let before = project.dump();
        project.run(&["up"]).expect(0);
        assert_ne!(project.dump(), before, "{name}: up changed something");
        project.run(&["down"]).expect(0);
        assert_eq!(project.dump(), before, "{name}: down restored the data exactly");
        project.run(&["up"]).expect(0);
        project.run(&["down"]).expect(0);
        project.remove(&file);
        project.run(&["mark", &(index + 1).to_string(), "--pending"]).expect(4);
    }
}

#[test]
fn explicit_down_wins_and_lossy_operations_run() {
    let project = project();
    seed_users(&project);
    project.write(
        "001_lossy.yaml",
        "up:\n  - updateMany: { collection: users, filter: { _id: 1 }, update: { $set: { email: changed@example.com } } }\n  - deleteMany: { collection: users, filter: { _id: 3 } }\n  - removeField: { collection: users, field: phone, filter: { _id: 2 } }\n\
down:\n  - updateMany: { collection: users, filter: { _id: 1 }, update: { $set: { email: a@example.com } } }\n",
    );
    project.run(&["up"]).expect(0);
    let db = project.mongo();
    assert_eq!(count(&db, "users", doc! { "email": "changed@example.com" }), 1);
    assert_eq!(count(&db, "users", doc! {}), 2);
    assert_eq!(count(&db, "users", doc! { "phone": { "$exists": true } }), 1);
    project.run(&["down"]).expect(0);
    assert_eq!(count(&db, "users", doc! { "email": "a@example.com" }), 1);
}

#[test]
fn remove_duplicates_keeps_one_per_key() {
    let project = project();
    insert(
        &project.mongo(),
        "contacts",
        json!([
            { "_id": 1, "email": "a", "org": 1 }, { "_id": 2, "email": "a", "org": 1 }, { "_id": 3, "email": "a", "org": 2 },
            { "_id": 4, "email": "b", "org": 1 }, { "_id": 5, "email": "a", "org": 1 },
        ]),
    );
    project.write("001_dedupe.yaml", "up:\n  - removeDuplicates: { collection: contacts, keys: [email, org] }\n");
    let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
    assert_eq!(preview["dryRun"], true);
    project.run(&["up"]).expect(0);
    let db = project.mongo();
    assert_eq!(count(&db, "contacts", doc! {}), 3);
    assert_eq!(count(&db, "contacts", doc! { "_id": { "$in": [1, 3, 4] } }), 3, "the first of each group stays");
}

#[test]
fn dry_run_writes_nothing_and_counts_matches() {
    let project = project();
    seed_users(&project);
    project.write("001_users.yaml", USERS);
    let before = project.dump();
    let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
    let operations = preview["preview"][0]["operations"].as_array().unwrap().clone();
    assert_eq!(operations.len(), 4);
    assert_eq!(operations[1]["affected"], 2, "renameField would touch the two documents with a phone");
    assert!(operations[1]["note"].as_str().unwrap().contains("phone → phoneNumber"));
    assert_eq!(operations[3]["affected"], 2, "setSchemaVersion would touch the two version-1 documents");
    assert_eq!(project.dump(), before);
    assert!(!project.has_table("mongrate_migrations"), "not even the changelog is created");
    assert!(!project.has_table("mongrate_lock"));
    let human = project.run(&["up", "--dry-run"]).expect(0);
    assert!(
        human.stdout.contains("renameField users: phone → phoneNumber") && human.stdout.contains("[2 documents"),
        "{}",
        human.stdout
    );
}

#[test]
fn bad_files_are_refused_with_file_line_and_column() {
    let project = project();
    project.write("001_ok.yaml", "up:\n  - createCollection: { collection: ok }\n");
    project.write("002_broken.yaml", "up:\n  - createIndex: { collection: users, keys: { email: 1 }\n");
    let run = project.run(&["up"]).expect(4);
    assert!(
        run.stderr.contains("002_broken.yaml") && run.stderr.contains("line") && run.stderr.contains("column"),
        "{}",
        run.stderr
    );
    project.write("002_broken.yaml", "up:\n  - renameFeild: { collection: users, from: a, to: b }\n");
    let run = project.run(&["up"]).expect(4);
    assert!(
        run.stderr.contains("renameFeild")
            && run.stderr.contains("Valid operations")
            && run.stderr.contains("setSchemaVersion"),
        "{}",
        run.stderr
    );
    project.write("002_broken.yaml", "up:\n  - addField: { collection: users, field: 7, value: 1, filter: nope }\n");
    let run = project.run(&["up"]).expect(4);
    assert!(run.stderr.contains("002_broken.yaml"), "{}", run.stderr);
    project.write(
        "002_broken.yaml",
        "up:\n  - insertMany: { collection: t, documents: [ { _id: { $oid: not-an-id } } ] }\n",
    );
    let run = project.run(&["up"]).expect(4);
    assert!(run.stderr.contains("up[0] (insertMany)"), "{}", run.stderr);
    project.write("002_broken.sql", "-- mongrate:up\nSELECT 1;\n");
    project.remove("002_broken.yaml");
    let run = project.run(&["up"]).expect(4);
    assert!(run.stderr.contains("002_broken.sql") && run.stderr.contains(".yaml"), "{}", run.stderr);
    assert!(!project.has_table("ok"), "nothing was applied");
    assert!(!project.has_table("mongrate_migrations"));
}

#[test]
fn an_unreachable_server_is_named_with_the_cause_once() {
    let project = project();
    // Nothing listens on port 1 (a privileged port), so the connection is refused.
    let mut command = project.command(&["status", "--connect-timeout", "2"]);
    command.arg("--url").arg("mongodb://user:secret@127.0.0.1:1/x");
    let started = Instant::now();
    let stderr = command.run().expect(1).stderr;
    assert!(stderr.contains("cannot connect to mongodb://user:***@127.0.0.1:1/x"), "{stderr}");
    assert!(stderr.contains("tried 127.0.0.1:1: "), "the address tried, with its cause: {stderr}");
    assert_eq!(stderr.to_lowercase().matches("refused").count(), 1, "the cause once: {stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
    // Not a speed check: proof that the server-selection timeout is applied instead of the driver's 30 s.
    assert!(started.elapsed() < Duration::from_secs(25), "took {:?}", started.elapsed());
}

#[test]
fn a_bad_port_in_the_url_is_named() {
    let project = project();
    let mut command = project.command(&["status"]);
    command.arg("--url").arg("mongodb://x:secret@h:bad/db");
    let stderr = command.run().expect(2).stderr;
    assert!(stderr.contains("invalid MongoDB URL mongodb://x:***@h:bad/db: "), "{stderr}");
    assert!(stderr.contains("the port must be an integer between 1 and 65535"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
}

/// A server's refusal reads `operation: CodeName (code): the server's message`; the code and
/// its name are what every MongoDB-compatible server shares, so they are what is asserted.
#[test]
fn a_server_error_names_the_operation_the_code_and_its_name() {
    let project = project();
    insert(&project.mongo(), "users", json!([{ "_id": 1, "email": "a@example.com" }]));
    project.write("001_drop.yaml", "up:\n  - dropIndex: { collection: users, name: email_1 }\n");
    let stderr = project.run(&["up"]).expect(1).stderr;
    assert!(stderr.contains("dropIndex users email_1: IndexNotFound (27)"), "{stderr}");
}

#[test]
fn a_url_without_a_database_is_refused() {
    let project = project();
    let server = MongoUrl::parse(&project.url).with_database("");
    let mut command = project.command(&["status"]);
    command.arg("--url").arg(&server);
    let run = command.run().expect(2);
    assert!(run.stderr.contains("--database"), "{}", run.stderr);
    let mut command = project.command(&["status", "--json", "--database", "named_by_flag"]);
    command.arg("--url").arg(&server);
    command.run().expect(0);
}

#[test]
fn six_runners_apply_each_migration_once_on_mongodb() {
    let project = project();
    let db = project.mongo();
    // Enough documents that the copy takes a while, so the runners overlap.
    let documents: Vec<serde_json::Value> = (0..300).map(|i| json!({ "_id": i, "n": i })).collect();
    insert(&db, "big", serde_json::Value::Array(documents));
    project.write("001_counter.yaml", "up:\n  - insertMany: { collection: counter, documents: [ { _id: 1 } ] }\n");
    project.write("002_slow.yaml", "up:\n  - copyField: { collection: big, from: n, to: m }\n  - insertMany: { collection: counter, documents: [ { _id: 2 } ] }\n");
    project.write("003_more.yaml", "up:\n  - insertMany: { collection: counter, documents: [ { _id: 3 } ] }\n");
    let runners: Vec<_> = (0..6).map(|_| project.spawn(&["up", "--lock-timeout", "120"])).collect();
    for runner in runners {
        runner.finish().expect(0);
    }
    assert_eq!(count(&db, "counter", doc! {}), 3, "each insert ran once (a second would fail on _id)");
    assert_eq!(count(&db, "big", doc! { "m": { "$exists": true } }), 300);
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(history.as_array().unwrap().len(), 3);
}

/// A migration that holds the lock until the test inserts `{ _id: "release" }` into `holder`:
/// it says it started (counting its runs), then waits for the marker, whatever the server's speed.
const HOLDER: &str = "module.exports = {\n\
  transaction: false,\n\
  async up(db) {\n\
    const holder = db.collection('holder');\n\
    await holder.updateOne({ _id: 'started' }, { $inc: { runs: 1 } }, { upsert: true });\n\
    while (!(await holder.findOne({ _id: 'release' }))) await new Promise((resolve) => setTimeout(resolve, 50));\n\
    await db.collection('counter').insertOne({ _id: 1 });\n\
  },\n\
};\n";

#[test]
fn a_killed_holder_is_taken_over_after_expiry_on_mongodb() {
    let project = project();
    let db = project.mongo();
    project.write("001_hold.js", HOLDER);
    project.write("002_after.yaml", "up:\n  - insertMany: { collection: counter, documents: [ { _id: 2 } ] }\n");
    let holder = project.spawn(&["up", "--lock-ttl", "2"]);
    // Started means: the lock is held and the migration recorded `running` (it has no transaction).
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&db, "holder", doc! { "_id": "started" }) == 0 {
        assert!(Instant::now() < deadline, "the holder's migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    holder.kill();
    assert!(!project.run(&["lock", "status", "--json"]).expect(0).json()["locked"].is_null());

    // The killed run left its migration `running`: the successor waits for the lease to expire,
    // then stops with the choices instead of guessing.
    let successor = project.run(&["up", "--lock-ttl", "2", "--lock-timeout", "30"]).expect(1);
    assert!(successor.stderr.contains("mongrate up --retry"), "{}", successor.stderr);
    assert_eq!(count(&db, "counter", doc! {}), 0, "nothing after the interrupted migration ran");
    insert(&db, "holder", json!([{ "_id": "release" }]));
    project.run(&["up", "--retry"]).expect(0);
    assert_eq!(count(&db, "holder", doc! { "_id": "started", "runs": 2 }), 1, "the retry ran it again");
    assert_eq!(count(&db, "counter", doc! {}), 2);
    assert!(project.run(&["lock", "status", "--json"]).expect(0).json()["locked"].is_null());
}

#[test]
fn lock_status_and_release_on_mongodb() {
    let project = project();
    project.write("001_a.yaml", "up:\n  - createCollection: { collection: a }\n");
    project.run(&["up"]).expect(0);
    insert(
        &project.mongo(),
        "mongrate_lock",
        json!([{
            "_id": "mongrate", "owner": "someone", "host": "other-host", "pid": 7, "reason": "test",
            "lockedAt": { "$date": "2026-01-01T00:00:00Z" }, "heartbeatAt": { "$date": "2026-01-01T00:00:00Z" },
            "expiresAt": { "$date": "2099-01-01T00:00:00Z" },
        }]),
    );
    let held = project.run(&["lock", "status", "--json"]).expect(0).json();
    assert_eq!(held["locked"]["host"], "other-host");
    // `status` reads the lock together with the running marker: the same lease, and one migration.
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["locked"], held["locked"], "{status}");
    assert_eq!(status["summary"]["applied"], 1);
    project.write("002_b.yaml", "up:\n  - createCollection: { collection: b }\n");
    project.run(&["up", "--lock-timeout", "1"]).expect(3);
    project.run(&["lock", "release"]).expect(2);
    project.run(&["lock", "release", "--confirm"]).expect(0);
    project.run(&["up"]).expect(0);
    assert!(project.has_table("b"));
}

#[test]
fn init_on_mongodb_writes_a_yaml_example_that_runs() {
    let project = project();
    project.run(&["init"]).expect(0);
    let config = std::fs::read_to_string(project.path().join("mongrate.toml")).unwrap();
    assert!(config.contains("url = \"mongodb://"), "{config}");
    let files: Vec<_> = std::fs::read_dir(project.migrations()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(files.iter().any(|f| f.to_string_lossy().ends_with("-create-users.yaml")), "{files:?}");
    project.run(&["up"]).expect(0);
    assert!(project.dump().contains("email_1"));
    project.run(&["down"]).expect(0);
}

#[test]
fn create_writes_a_yaml_template_for_mongodb() {
    let project = project();
    let created = project.run(&["create", "add email index"]).expect(0);
    assert!(created.stdout.contains("-add-email-index.yaml"), "{}", created.stdout);
    let json = project.run(&["create", "seed plans", "--format", "json"]).expect(0);
    assert!(json.stdout.contains("-seed-plans.json"), "{}", json.stdout);
    project.run(&["up"]).expect(0);
    assert!(project.dump().contains("email_1"));
}

/// Transactions need a replica set; FerretDB has none:
/// `MONGRATE_TEST_MONGODB_URI=mongodb://host/?replicaSet=rs0 cargo test -- --include-ignored`.
#[test]
#[ignore = "needs a MongoDB replica set in MONGRATE_TEST_MONGODB_URI (FerretDB has no transactions)"]
fn a_failed_migration_in_a_transaction_leaves_nothing_behind() {
    let project = project();
    insert(&project.mongo(), "users", json!([{ "_id": 1, "v": 1 }, { "_id": 2, "v": 1 }]));
    project.write(
        "1-v2.yaml",
        "up:\n  - setSchemaVersion: { collection: users, field: v, from: 1, to: 2 }\n  - insertMany: { collection: users, documents: [{ _id: 1 }] }\n",
    );
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["server"]["transactions"], true, "the server must be a replica set: {status}");
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("rolled back"), "{}", failed.stderr);
    assert_eq!(count(&project.mongo(), "users", doc! { "v": 2 }), 0, "the first operation was rolled back too");
    // Nothing of it was applied: once fixed, the next run simply runs it.
    project.write("1-v2.yaml", "up:\n  - setSchemaVersion: { collection: users, field: v, from: 1, to: 2 }\n");
    project.run(&["up"]).expect(0);
    assert_eq!(count(&project.mongo(), "users", doc! { "v": 2 }), 2);

    project.write(
        "2-js.js",
        "module.exports = {\n  transaction: true,\n  async up(db) {\n    await db.collection('users').updateMany({}, { $set: { v: 3 } });\n    throw new Error('stop');\n  },\n};\n",
    );
    project.run(&["up"]).expect(1);
    assert_eq!(
        count(&project.mongo(), "users", doc! { "v": 3 }),
        0,
        "the JavaScript migration's writes were rolled back"
    );
}

/// Group commit on a server with transactions: a failure in a group is pinned to its migration.
#[test]
#[ignore = "needs a MongoDB replica set in MONGRATE_TEST_MONGODB_URI (FerretDB has no transactions)"]
fn a_failure_in_a_transaction_group_is_pinned_to_its_migration() {
    let project = project();
    let insert_one = |n: u32| format!("up:\n  - insertMany: {{ collection: steps, documents: [ {{ _id: {n} }} ] }}\n");
    for n in [1, 2, 4, 5] {
        project.write(&format!("{n}-step.yaml"), &insert_one(n));
    }
    // The third inserts a document and then one whose `_id` is taken: a duplicate key.
    project.write("3-bad.yaml", "up:\n  - insertMany: { collection: steps, documents: [ { _id: 30 }, { _id: 1 } ] }\n");
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["server"]["transactions"], true, "the server must be a replica set: {status}");
    let failed = project.run(&["up", "--json"]).expect(1);
    let report = failed.json();
    let applied: Vec<&str> =
        report["steps"].as_array().unwrap().iter().map(|s| s["version"].as_str().unwrap()).collect();
    assert_eq!(applied, ["1", "2"], "{report}");
    assert!(
        failed.stderr.contains("DuplicateKey (11000)") && failed.stderr.contains("rolled back"),
        "{}",
        failed.stderr
    );
    let ids: Vec<i64> = crate::mongo_dump::ids(&project.mongo(), "steps");
    assert_eq!(ids, [1, 2], "the failed migration's first insert was rolled back, later ones never ran");

    project.write("3-bad.yaml", &insert_one(3));
    project.run(&["up"]).expect(0);
    assert_eq!(crate::mongo_dump::ids(&project.mongo(), "steps"), [1, 2, 3, 4, 5]);
    let history = project.run(&["history", "--json", "--status", "completed"]).expect(0).json();
    assert_eq!(history.as_array().unwrap().len(), 5, "one history entry per migration: {history}");
}
