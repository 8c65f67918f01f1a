//! Document versions on the FerretDB test server (and any MongoDB in MONGRATE_TEST_MONGODB_URI):
//! `schema census` before and after `up` and `down` of a versioned declarative migration
//! (`documents: { collection, from, to }`), the census in `status` for `[schema] collections`,
//! versioned migrations refused where one update per document cannot hold, and a batched one
//! killed with SIGKILL at random moments that leaves only whole documents and is finished by
//! the next `up`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bson::doc;
use serde_json::{Value, json};

use crate::mongo_dump::{count, insert};
use crate::support::{Backend, Project};

/// `users`: `at_two` documents at version 2 (an int, as applications write it) with a phone and
/// an email, 4 without a version, 1 whose version is the string "2".
fn seed_users(project: &Project, at_two: usize) {
    let db = project.mongo();
    let docs: Vec<Value> = (1..=at_two)
        .map(|i| {
            json!({
                "_id": { "$oid": format!("{i:024x}") },
                "schema_version": 2,
                "name": format!("user {i}"),
                "phone": format!("+41 {i}"),
                "email": format!("u{i}@example.com"),
            })
        })
        .collect();
    for chunk in docs.chunks(5000) {
        insert(&db, "users", json!(chunk));
    }
    let others: Vec<Value> = (1..=4)
        .map(|i| json!({ "_id": { "$oid": format!("f{i:023x}") }, "name": format!("legacy {i}") }))
        .chain([json!({ "_id": { "$oid": format!("e{:023x}", 1) }, "schema_version": "2", "name": "typed" })])
        .collect();
    insert(&db, "users", json!(others));
    project.index_id_lookups("users");
}

/// `schema census users --json`: the one collection's census.
#[track_caller]
fn census(project: &Project) -> Value {
    let run = project.run(&["schema", "census", "users", "--json"]).expect(0).json();
    assert_eq!(run["field"], "schema_version", "{run}");
    run["collections"][0].clone()
}

/// `[(version, count)]` of a census, the version as JSON text.
fn versions(census: &Value) -> Vec<(String, u64)> {
    census["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| (v["version"].to_string(), v["count"].as_u64().expect("count")))
        .collect()
}

const SPLIT: &str = "description: users 2 → 3, phoneNumber and preferences\n\
documents: { collection: users, from: 2, to: 3, batchSize: 7 }\n\
up:\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - addField: { collection: users, field: preferences, value: { theme: light } }\n\
  - createIndex: { collection: users, keys: { phoneNumber: 1 } }\n";

#[test]
fn the_census_shows_documents_move_with_up_and_back_with_down() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project, 20);
    project.write("001_split.yaml", SPLIT);

    let before = census(&project);
    assert_eq!(
        (before["exists"].as_bool(), before["total"].as_u64(), before["none"].as_u64()),
        (Some(true), Some(25), Some(4))
    );
    assert_eq!(versions(&before), [("2".to_owned(), 20), ("\"2\"".to_owned(), 1)]);
    assert_eq!(before["versions"][1]["type"], "string", "{before}");

    // `mongrate test` round-trips it on a scratch copy: the down restores every document.
    project.run(&["test"]).expect(0);
    // A dry-run counts the documents the step would move, and moves none.
    let preview = project.run(&["up", "--dry-run"]).expect(0);
    assert!(preview.stdout.contains("documents users.schema_version 2 → 3"), "{}", preview.stdout);
    assert_eq!(versions(&census(&project)), versions(&before));

    project.run(&["up"]).expect(0);
    let after = census(&project);
    assert_eq!(versions(&after), [("3".to_owned(), 20), ("\"2\"".to_owned(), 1)], "{after}");
    assert_eq!(after["none"], 4);
    let db = project.mongo();
    let whole_at_three = doc! {
        "schema_version": 3, "phone": { "$exists": false }, "phoneNumber": { "$exists": true }, "preferences.theme": "light",
    };
    assert_eq!(count(&db, "users", whole_at_three), 20);
    // Documents at other versions (none, the string "2") are not touched.
    assert_eq!(count(&db, "users", doc! { "preferences": { "$exists": true } }), 20);

    let text = project.run(&["schema", "census"]).expect(0).stdout;
    assert!(text.contains("users (schema_version): 25 documents") && text.contains("TYPE"), "{text}");
    assert!(
        text.contains("(none)") && !text.contains("mongrate_migrations"),
        "only the application's collections: {text}"
    );

    project.run(&["down"]).expect(0);
    let reverted = census(&project);
    assert_eq!(versions(&reverted), versions(&before), "{reverted}");
    assert_eq!(reverted["none"], 4);
    let whole_at_two = doc! {
        "schema_version": 2, "phone": { "$exists": true }, "phoneNumber": { "$exists": false }, "preferences": { "$exists": false },
    };
    assert_eq!(count(&db, "users", whole_at_two), 20);
}

#[test]
fn status_counts_the_collections_of_the_schema_section_by_its_field() {
    let project = Project::new(Backend::Mongo);
    let db = project.mongo();
    insert(&db, "accounts", json!([{ "_id": 1, "v": 5 }, { "_id": 2 }, { "_id": 3 }]));
    std::fs::write(
        project.path().join("mongrate.toml"),
        "[schema]\ncollections = [\"accounts\", \"ghosts\"]\nfield = \"v\"\n",
    )
    .expect("mongrate.toml");
    // Seed 004's first step: documents without a version get one (the field from mongrate.toml).
    project.write(
        "001_versions.yaml",
        "documents: { collection: accounts, from: null, to: 1 }\n\
         up:\n  - addField: { collection: accounts, field: active, value: true }\n",
    );
    let status = project.run(&["status", "--json"]).expect(0).json();
    let census = &status["census"];
    assert_eq!(census["field"], "v", "{status}");
    assert_eq!(census["collections"][0]["none"], 2, "{status}");
    assert_eq!(census["collections"][1]["exists"], false, "{status}");

    project.run(&["up"]).expect(0);
    let text = project.run(&["status"]).expect(0).stdout;
    assert!(text.contains("documents by v:") && text.contains("accounts: 2 at 1, 1 at 5"), "{text}");
    assert!(text.contains("ghosts: no such collection"), "{text}");
    // The documents without a version moved whole; the one at another version is not touched.
    assert_eq!(count(&db, "accounts", doc! { "v": 1, "active": true }), 2);
    assert_eq!(count(&db, "accounts", doc! { "v": 5, "active": { "$exists": false } }), 1);
    project.run(&["down"]).expect(0);
    assert_eq!(count(&db, "accounts", doc! { "v": { "$exists": false }, "active": { "$exists": false } }), 2);
    assert_eq!(count(&db, "accounts", doc! { "v": 5 }), 1);
}

#[test]
fn versioned_migrations_that_cannot_be_one_write_per_document_are_refused_before_running() {
    let project = Project::new(Backend::Mongo);
    seed_users(&project, 3);
    project.write(
        "001_twice.yaml",
        "documents: { collection: users, from: 2, to: 3 }\n\
         up:\n  - addField: { collection: users, field: contact, value: {} }\n\
         \x20 - copyField: { collection: users, from: email, to: contact.email }\n",
    );
    let refused = project.run(&["up"]).expect(4);
    assert!(
        refused.stderr.contains("001_twice.yaml") && refused.stderr.contains("up[1] (copyField)"),
        "{}",
        refused.stderr
    );
    assert_eq!(count(&project.mongo(), "users", doc! { "schema_version": 3 }), 0, "nothing ran");
    // `status` lists the file with why it cannot run (a file that cannot be loaded blocks only
    // the runs that need it).
    let status = project.run(&["status", "--json"]).expect(0).json();
    let error = status["pending"][0]["loadError"].as_str().unwrap_or_default();
    assert!(error.contains("001_twice.yaml") && error.contains("up[1] (copyField)"), "{status}");
}

#[test]
fn schema_census_is_a_mongodb_command() {
    let project = Project::new(Backend::Sqlite);
    let refused = project.run(&["schema", "census"]).expect(2);
    assert!(refused.stderr.contains("MongoDB"), "{}", refused.stderr);
}

/// A versioned migration with a copy (read and written per document) in batches of 25.
const COPY: &str = "documents: { collection: users, from: 2, to: 3, batchSize: 25 }\n\
up:\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - copyField: { collection: users, from: email, to: login }\n\
  - addField: { collection: users, field: preferences, value: { theme: light } }\n";

/// Documents whole at 2 (old fields only) and whole at 3 (new fields only).
fn whole(db: &mongodb::Database) -> (u64, u64) {
    let at_two = count(
        db,
        "users",
        doc! {
            "schema_version": 2, "phone": { "$exists": true }, "phoneNumber": { "$exists": false },
            "login": { "$exists": false }, "preferences": { "$exists": false },
        },
    );
    let at_three = count(
        db,
        "users",
        doc! {
            "schema_version": 3, "phone": { "$exists": false }, "phoneNumber": { "$exists": true },
            "login": { "$exists": true }, "preferences.theme": "light",
        },
    );
    (at_two, at_three)
}

#[test]
fn a_versioned_migration_killed_at_random_moments_leaves_whole_documents_and_up_finishes_it() {
    const DOCUMENTS: u64 = 600;
    let project = Project::new(Backend::Mongo);
    seed_users(&project, DOCUMENTS as usize);
    project.write("001_copy.yaml", COPY);
    let db = project.mongo();
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(13, |d| d.as_nanos() as u64) | 1;
    println!("random seed {seed}");
    let up = ["--lock-ttl", "2", "--lock-timeout", "30", "up"];
    let (mut kills, mut mixed) = (0, 0);
    for _ in 0..3 {
        let mut runner = project.spawn(&up);
        // Until the run has moved documents (after a kill: more than the one before it).
        let moved_before = count(&db, "users", doc! { "schema_version": 3 });
        let started = Instant::now();
        while count(&db, "users", doc! { "schema_version": 3 }) <= moved_before && !runner.has_exited() {
            assert!(started.elapsed() < Duration::from_secs(120), "the run moved no document");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(xorshift(&mut seed) % 800));
        if runner.has_exited() {
            break;
        }
        let killed = std::process::Command::new("kill").args(["-KILL", &runner.id().to_string()]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -9");
        runner.finish();
        kills += 1;
        // The server finishes the write it was given before the kill.
        settle(&db);
        let (at_two, at_three) = whole(&db);
        assert_eq!(
            at_two + at_three,
            DOCUMENTS,
            "after kill {kills}: a document is neither whole at 2 nor at 3 (seed {seed})"
        );
        if at_two > 0 && at_three > 0 {
            mixed += 1;
        }
    }
    project.run_within(&up, Duration::from_secs(300)).expect(0);
    println!("{kills} kills, {mixed} left documents at both versions");
    let status = project.run(&["status", "--json"]).expect(0).json();
    if status["server"]["transactions"] == false {
        assert!(mixed >= 1, "no kill landed while documents were moving (seed {seed})");
    }
    assert_eq!(status["summary"]["applied"], 1, "{status}");
    assert_eq!(whole(&db), (0, DOCUMENTS));
    // Each copied value is the document's own.
    let documents = crate::support::block_on(crate::mongo_dump::in_id_order(&db.collection("users")));
    let copied = documents.iter().filter(|d| d.get("login").is_some() && d.get("login") == d.get("email")).count();
    assert_eq!(copied as u64, DOCUMENTS);
    let finished = census(&project);
    assert_eq!(versions(&finished), [("3".to_owned(), DOCUMENTS), ("\"2\"".to_owned(), 1)], "{finished}");

    // The derived down moves every document back, whole.
    project.run_within(&["down"], Duration::from_secs(300)).expect(0);
    assert_eq!(whole(&db), (DOCUMENTS, 0));
}

/// Waits until the documents at 3 stop changing.
fn settle(db: &mongodb::Database) {
    let mut last = count(db, "users", doc! { "schema_version": 3 });
    let mut same = 0;
    while same < 3 {
        std::thread::sleep(Duration::from_millis(150));
        let now = count(db, "users", doc! { "schema_version": 3 });
        same = if now == last { same + 1 } else { 0 };
        last = now;
    }
}

/// A small random number from the clock's seed.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
