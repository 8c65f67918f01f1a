//! Backups: taken before a migration, restored when it fails without a transaction, managed with
//! `mongrate backup …`; on FerretDB (streamed), PostgreSQL, and a real MongoDB (`$out`, ignored
//! unless MONGRATE_TEST_MONGODB_URI names one).

use bson::{Bson, Document, doc};
use serde_json::json;

use crate::mongo_dump::insert;
use crate::support::{Backend, Project, block_on};

/// Every collection but mongrate's own, exactly: its options, every field of every index
/// specification, and its documents in `_id` order with their fields in stored order, as
/// canonical extended JSON (so BSON types count).
fn exact_dump(db: &mongodb::Database) -> String {
    block_on(async {
        let reply = db.run_command(doc! { "listCollections": 1 }).await.expect("list collections");
        let mut infos: Vec<Document> = reply
            .get_document("cursor")
            .and_then(|c| c.get_array("firstBatch"))
            .expect("a first batch")
            .iter()
            .filter_map(Bson::as_document)
            .filter(|info| !info.get_str("name").unwrap_or("").starts_with("mongrate_"))
            .cloned()
            .collect();
        infos.sort_by_key(|info| info.get_str("name").unwrap_or("").to_owned());
        let mut out = String::new();
        for info in infos {
            let name = info.get_str("name").unwrap();
            let options = info.get_document("options").cloned().unwrap_or_default();
            out.push_str(&format!("collection {name} options {}\n", Bson::Document(options).into_canonical_extjson()));
            let mut cursor = db.run_cursor_command(doc! { "listIndexes": name }).await.expect("list indexes");
            let mut indexes = Vec::new();
            while cursor.advance().await.expect("indexes") {
                let index: Document = cursor.deserialize_current().expect("an index");
                indexes.push(format!("  index {}\n", Bson::Document(index).into_canonical_extjson()));
            }
            indexes.sort();
            out.extend(indexes);
            for document in crate::mongo_dump::in_id_order(&db.collection::<Document>(name)).await {
                out.push_str(&format!("  {}\n", Bson::Document(document).into_canonical_extjson()));
            }
        }
        out
    })
}

/// Users with values of many BSON types, and three secondary indexes.
fn seed_users(project: &Project) {
    let db = project.mongo();
    insert(
        &db,
        "users",
        json!([
            { "_id": { "$numberInt": "1" }, "email": "a@example.com", "age": { "$numberInt": "31" },
              "score": { "$numberDouble": "2.5" }, "visits": { "$numberLong": "9007199254740993" },
              "joined": { "$date": { "$numberLong": "1705314600000" } }, "ref": { "$oid": "507f1f77bcf86cd799439011" },
              "avatar": { "$binary": { "base64": "AAEC", "subType": "00" } }, "tags": ["a", { "$numberLong": "2" }],
              "address": { "city": "Oslo", "zip": null }, "active": true },
            { "_id": { "$numberInt": "2" }, "email": "b@example.com", "age": { "$numberLong": "40" },
              "score": { "$numberDouble": "-0.0" }, "legacy": "x" },
            { "_id": { "$numberLong": "3" }, "email": "c@example.com", "nick": "cee" },
        ]),
    );
    block_on(async {
        db.run_command(doc! { "createIndexes": "users", "indexes": [
            { "key": { "email": 1 }, "name": "email_1", "unique": true },
            { "key": { "age": -1, "email": 1 }, "name": "by_age" },
            { "key": { "nick": 1 }, "name": "nick_1", "sparse": true },
        ] })
        .await
    })
    .expect("create indexes");
}

fn write_config(project: &Project, body: &str) {
    std::fs::write(project.path().join("mongrate.toml"), body).expect("write mongrate.toml");
}

/// The migration of the failure tests: it removes a field and an index, deletes a document, then
/// fails on a duplicate `_id`. `transaction: false` makes it run without one on any server.
const FAILING: &str = "backup: [users]\n\
transaction: false\n\
up:\n\
  - removeField: { collection: users, field: email }\n\
  - dropIndex: { collection: users, name: by_age }\n\
  - deleteMany: { collection: users, filter: { nick: cee } }\n\
  - insertMany: { collection: users, documents: [ { _id: 9 }, { _id: 1 } ] }\n";

#[test]
fn a_migration_that_fails_without_a_transaction_gets_its_backups_restored_exactly() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    let before = exact_dump(&project.mongo());
    project.write("1-strip-users.yaml", FAILING);

    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("Its backups of users were restored"), "{}", failed.stderr);
    assert!(failed.stderr.contains("nothing of it remains"), "{}", failed.stderr);
    assert_eq!(exact_dump(&project.mongo()), before, "documents, types, indexes and options as before");

    let history = project.run(&["history", "--json"]).expect(0).json();
    let actions: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, [("up", "failed"), ("restore", "completed")]);

    // Nothing of it remains, so it is pending again, not blocking: fixed, it runs without --retry.
    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    assert_eq!(backups.as_array().unwrap().len(), 1, "{backups}");
    assert_eq!(backups[0]["collection"], "users");
    assert_eq!(backups[0]["version"], "1");
    assert_eq!(backups[0]["documents"], 3);
    assert!(backups[0]["restoredAt"].is_string(), "{backups}");
    project.write("1-strip-users.yaml", &FAILING.replace(", { _id: 1 }", ""));
    project.run(&["up"]).expect(0);
    assert_eq!(project.run(&["backup", "list", "--json"]).expect(0).json().as_array().unwrap().len(), 2);
}

#[test]
fn a_failure_that_also_changed_other_collections_says_what_may_remain() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    insert(&project.mongo(), "audit", json!([{ "_id": 1 }]));
    project.write(
        "1-two.yaml",
        "backup: users\ntransaction: false\nup:\n  - addField: { collection: audit, field: seen, value: true }\n  - deleteMany: { collection: users, filter: {} }\n  - insertMany: { collection: users, documents: [ { _id: 1 }, { _id: 1 } ] }\n",
    );
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("Its backups of users were restored"), "{}", failed.stderr);
    assert!(failed.stderr.contains("what it changed elsewhere may remain"), "{}", failed.stderr);
    let blocked = project.run(&["up"]);
    assert!(blocked.code != 0 && blocked.stderr.contains("--retry"), "a partial failure blocks: {}", blocked.stderr);
    assert_eq!(crate::mongo_dump::count(&project.mongo(), "users", doc! {}), 3);
}

#[test]
fn a_backup_restores_after_a_successful_migration_and_into_another_collection() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    let before = exact_dump(&project.mongo());
    project.write(
        "1-strip.yaml",
        "backup: [users]\nup:\n  - removeField: { collection: users, field: email }\n  - dropIndex: { collection: users, name: email_1 }\n",
    );
    project.run(&["up"]).expect(0);
    assert_ne!(exact_dump(&project.mongo()), before);

    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    let name = backups[0]["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with("mongrate_backup_users_"), "{name}");
    assert!(["streamed", "$out"].contains(&backups[0]["method"].as_str().unwrap()), "{backups}");
    let listing = project.run(&["backup", "list"]).expect(0);
    assert!(listing.stdout.contains(&name) && listing.stdout.contains("COLLECTION"), "{}", listing.stdout);

    let restored = project.run(&["backup", "restore", &name, "--json"]).expect(0).json();
    assert_eq!(restored, json!({ "backup": name, "collection": "users", "documents": 3 }));
    assert_eq!(exact_dump(&project.mongo()), before);
    // Entries of one second from two processes may list in either order.
    let history = project.run(&["history", "--json"]).expect(0).json();
    let restore = history.as_array().unwrap().iter().find(|e| e["action"] == "restore").expect("a restore entry");
    assert_eq!(restore["status"], "completed", "{history}");
    assert_eq!(restore["name"], format!("backup {name} → users"), "{history}");

    project.run(&["backup", "restore", &name, "--to", "users_copy"]).expect(0);
    let dump = exact_dump(&project.mongo());
    let users_part = |collection: &str| {
        dump.split("collection ").find(|part| part.starts_with(&format!("{collection} "))).unwrap().to_owned()
    };
    assert_eq!(users_part("users_copy").replacen("users_copy", "users", 1), users_part("users"));

    let dropped = project.run(&["backup", "drop", &name, "--json"]).expect(0).json();
    assert_eq!(dropped["dropped"]["name"], name.as_str());
    assert!(project.run(&["backup", "list", "--json"]).expect(0).json().as_array().unwrap().is_empty());
    assert!(!project.has_table(&name), "the backup's collection is dropped");
    let unknown = project.run(&["backup", "restore", &name]).expect(2);
    assert!(unknown.stderr.contains("no backup named"), "{}", unknown.stderr);
}

#[test]
fn automatic_backups_are_kept_to_the_retention_and_pruned() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    write_config(&project, "[backup]\nauto = true\nretain = 2\n");
    for n in 1..=3 {
        project.write(
            &format!("{n}-step.yaml"),
            &format!("up:\n  - updateMany: {{ collection: users, update: {{ $set: {{ step: {n} }} }} }}\n  - createIndex: {{ collection: audit{n}, keys: {{ at: 1 }} }}\n"),
        );
        // One migration per run, so each backup has its own time.
        project.run(&["up", "--to", &n.to_string()]).expect(0);
    }
    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    let versions: Vec<&str> = backups.as_array().unwrap().iter().map(|b| b["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["2", "3"], "updateMany is destructive, createIndex is not: {backups}");
    let names: Vec<String> =
        backups.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap().to_owned()).collect();

    let by_hand = project.run(&["backup", "create", "users", "--json"]).expect(0).json();
    assert_eq!(by_hand["version"], serde_json::Value::Null);
    let after = project.run(&["backup", "list", "--json"]).expect(0).json();
    assert_eq!(after.as_array().unwrap().len(), 2, "retention applies to backups by hand too: {after}");
    assert!(!project.has_table(&names[0]), "the pruned backup's collection is dropped");

    let pruned = project.run(&["backup", "prune", "--keep", "1", "--json"]).expect(0).json();
    assert_eq!(pruned["pruned"].as_array().unwrap().len(), 1);
    let left = project.run(&["backup", "list", "--json"]).expect(0).json();
    assert_eq!(left[0]["name"], by_hand["name"]);
    let missing = project.run(&["backup", "create", "nothing_here"]).expect(2);
    assert!(missing.stderr.contains("no collection nothing_here"), "{}", missing.stderr);
}

#[test]
fn a_dry_run_names_the_backups_it_would_take_with_their_size() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    write_config(&project, "[backup]\nauto = true\n");
    project.write(
        "1-archive.yaml",
        "backup: [orders]\nup:\n  - archive: { collection: users, to: old_users, filter: { legacy: x } }\n",
    );
    let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
    let summaries: Vec<&str> = preview["preview"][0]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["summary"].as_str().unwrap())
        .collect();
    assert!(summaries[0].starts_with("backup orders (absent now"), "{summaries:?}");
    assert!(summaries[1].starts_with("backup users (3 documents"), "{summaries:?}");
    assert!(summaries[2].starts_with("backup old_users (absent now"), "{summaries:?}");
    assert!(project.run(&["backup", "list", "--json"]).expect(0).json().as_array().unwrap().is_empty());
}

#[test]
fn a_collection_the_failed_migration_created_is_dropped_by_the_restore() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    let before = exact_dump(&project.mongo());
    project.write(
        "1-archive.yaml",
        "backup: [users, old_users]\ntransaction: false\nup:\n  - archive: { collection: users, to: old_users, filter: { legacy: x } }\n  - insertMany: { collection: users, documents: [ { _id: 1 } ] }\n",
    );
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("Its backups of users, old_users were restored"), "{}", failed.stderr);
    assert_eq!(exact_dump(&project.mongo()), before, "old_users did not exist before: it is gone again");
}

/// `$out` backups and `$merge` restores, with collection options: on a real MongoDB only.
/// `MONGRATE_TEST_MONGODB_URI=mongodb://host/?replicaSet=rs0 cargo test -- --include-ignored`.
#[test]
#[ignore = "needs a MongoDB replica set in MONGRATE_TEST_MONGODB_URI (FerretDB has no $out)"]
fn server_side_backups_keep_options_and_restore_after_a_failure() {
    let project = Project::new(Backend::Mongo);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["server"]["ferretdb"], false, "the server must be MongoDB: {status}");
    block_on(project.mongo().run_command(doc! {
        "create": "users",
        "validator": { "$jsonSchema": { "required": ["_id"] } },
        "validationLevel": "moderate",
        "collation": { "locale": "en", "strength": 2 },
    }))
    .expect("create users with options");
    seed_users(&project);
    insert(&project.mongo(), "users", json!([{ "_id": { "$numberInt": "4" }, "price": { "$numberDecimal": "1.10" } }]));
    let before = exact_dump(&project.mongo());
    project.write("1-strip-users.yaml", FAILING);
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("Its backups of users were restored"), "{}", failed.stderr);
    assert_eq!(exact_dump(&project.mongo()), before);
    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    assert_eq!(backups[0]["method"], "$out", "{backups}");
    assert_eq!(backups[0]["documents"], 4);
    assert!(backups[0]["sizeBytes"].as_u64().is_some_and(|size| size > 0), "{backups}");

    // A transactional migration takes its backup before its transaction; the backup restores later.
    project.remove("1-strip-users.yaml");
    project.write("2-strip.yaml", "backup: [users]\nup:\n  - removeField: { collection: users, field: email }\n");
    project.run(&["up"]).expect(0);
    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    let name = backups.as_array().unwrap().last().unwrap()["name"].as_str().unwrap().to_owned();
    project.run(&["backup", "restore", &name]).expect(0);
    assert_eq!(exact_dump(&project.mongo()), before);
}

/// The tables `users`, `teams` and the sequences of `users` as pg_dump writes them: columns,
/// defaults, identity, generated columns, constraints and indexes with their names, rows, and
/// each sequence's state.
fn pg_dump_users(project: &Project) -> String {
    let output = std::process::Command::new("pg_dump")
        .args(["--no-owner", "--restrict-key=mongratetest", "-t", "users", "-t", "users_*_seq", "-t", "teams"])
        .arg(&project.url)
        .output()
        .expect("pg_dump runs");
    assert!(output.status.success(), "pg_dump: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn seed_postgres(project: &Project) {
    project.sql(
        "CREATE TABLE teams (id int PRIMARY KEY);
         INSERT INTO teams VALUES (1);
         CREATE TABLE users (
           id serial PRIMARY KEY,
           email text NOT NULL,
           age int CHECK (age > 0),
           code bigint GENERATED ALWAYS AS IDENTITY,
           shout text GENERATED ALWAYS AS (upper(email)) STORED,
           prefs jsonb DEFAULT '{}'::jsonb,
           team_id int REFERENCES teams (id),
           joined timestamptz DEFAULT now(),
           CONSTRAINT users_email_unique UNIQUE (email));
         CREATE INDEX by_age ON users (age DESC) WHERE age IS NOT NULL;
         COMMENT ON COLUMN users.email IS 'where we write';
         INSERT INTO users (email, age, prefs, team_id, joined) VALUES
           ('a@x', 30, '{\"theme\": \"dark\"}', 1, '2024-01-15T10:30:00Z'),
           ('b@x', 40, '{}', NULL, '2024-01-16T10:30:00Z'),
           ('c@x', NULL, '[1, 2.5]', 1, '2024-01-17T10:30:00Z');",
    );
}

#[test]
fn postgres_a_failed_migration_without_a_transaction_gets_its_tables_restored_exactly() {
    let project = Project::new(Backend::Postgres);
    seed_postgres(&project);
    let before = pg_dump_users(&project);
    for part in [
        "CREATE INDEX by_age",
        "users_email_unique",
        "users_team_id_fkey",
        "setval('public.users_id_seq', 3, true)",
        "a@x\t",
    ] {
        assert!(before.contains(part), "the dump shows {part}:\n{before}");
    }
    project.write(
        "1_strip.sql",
        "-- mongrate:backup users\n-- mongrate:no-transaction\n-- mongrate:up\n\
         ALTER TABLE users DROP COLUMN age;\n\
         DELETE FROM users WHERE email = 'a@x';\n\
         INSERT INTO users (email) VALUES ('b@x');\n",
    );
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("Its backups of users were restored"), "{}", failed.stderr);
    assert_eq!(pg_dump_users(&project), before, "columns, constraints, indexes, rows and sequences as before");
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(history[1]["action"], "restore", "{history}");
    assert_eq!(history[1]["status"], "completed", "{history}");
    // The next row gets the next id, as before the migration.
    project.sql("INSERT INTO users (email) VALUES ('d@x')");
    assert_eq!(project.sql("SELECT id || ',' || code FROM users WHERE email = 'd@x'"), "4,4");
}

#[test]
fn postgres_backups_restore_after_success_and_are_listed_dropped_and_pruned() {
    let project = Project::new(Backend::Postgres);
    seed_postgres(&project);
    let before = pg_dump_users(&project);
    // A migration that drops the table it backed up: the backup must not depend on it.
    project.write("1_drop.sql", "-- mongrate:backup users\n-- mongrate:up\nDROP TABLE users;\n");
    let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
    let first = preview["preview"][0]["operations"][0]["summary"].as_str().unwrap().to_owned();
    assert!(first.starts_with("backup users (3 rows, "), "{first}");
    project.run(&["up"]).expect(0);
    assert!(!project.has_table("users"));

    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    assert_eq!(backups[0]["collection"], "users");
    assert_eq!(backups[0]["documents"], 3);
    assert_eq!(backups[0]["method"], "sql-copy");
    let name = backups[0]["name"].as_str().unwrap().to_owned();
    project.run(&["backup", "restore", &name]).expect(0);
    assert_eq!(pg_dump_users(&project), before);

    let copy = project.run(&["backup", "restore", &name, "--to", "users_copy", "--json"]).expect(0).json();
    assert_eq!(copy["documents"], 3);
    assert_eq!(project.sql("SELECT string_agg(email, ',' ORDER BY id) FROM users_copy"), "a@x,b@x,c@x");

    for _ in 0..2 {
        project.run(&["backup", "create", "users"]).expect(0);
    }
    let pruned = project.run(&["backup", "prune", "--keep", "1", "--json"]).expect(0).json();
    assert_eq!(pruned["pruned"].as_array().unwrap().len(), 2, "{pruned}");
    let left = project.run(&["backup", "list", "--json"]).expect(0).json();
    let left_name = left[0]["name"].as_str().unwrap().to_owned();
    assert!(!project.has_table(&name), "the pruned backup's table is dropped");
    project.run(&["backup", "drop", &left_name]).expect(0);
    assert_eq!(project.run(&["backup", "list"]).expect(0).stdout.trim(), "no backups");
    let no_prune = project.run(&["backup", "prune"]).expect(2);
    assert!(no_prune.stderr.contains("--keep"), "{}", no_prune.stderr);
}

#[test]
fn sqlite_refuses_backups_in_words() {
    let project = Project::new(Backend::Sqlite);
    project.write("1_x.sql", "-- mongrate:backup users\n-- mongrate:up\nCREATE TABLE t (id int);\n");
    let refused = project.run(&["up"]).expect(4);
    assert!(refused.stderr.contains("`-- mongrate:backup` is for PostgreSQL"), "{}", refused.stderr);
    let list = project.run(&["backup", "list"]).expect(2);
    assert!(list.stderr.contains("backups are taken on MongoDB and PostgreSQL"), "{}", list.stderr);
}

#[test]
fn a_javascript_migration_declares_its_backups_and_gets_them_restored() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project);
    let before = exact_dump(&project.mongo());
    project.write(
        "1-js.js",
        "module.exports = {\n  backup: ['users'],\n  async up(db) {\n    await db.collection('users').deleteMany({});\n    throw new Error('halfway');\n  },\n};\n",
    );
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("halfway"), "{}", failed.stderr);
    assert!(failed.stderr.contains("Its backups of users were restored"), "{}", failed.stderr);
    assert_eq!(exact_dump(&project.mongo()), before);
}
