//! Moving a migrate-mongo project to mongrate: its configuration is read as it is, its changelog
//! imported, and afterwards both tools agree on what is applied and pending.

use bson::doc;

use crate::migrate_mongo::MigrateMongo;
use crate::mongo_dump::count;
use crate::support::{Backend, MongoUrl, Mongrate, Project, Run};

const CONFIG: &str = "require('dotenv').config();\n\
module.exports = {\n\
  mongodb: { url: process.env.APP_MONGO_SERVER, databaseName: process.env.APP_DATABASE, options: {} },\n\
  migrationsDir: 'db-migrations',\n\
  changelogCollectionName: 'applied_changes',\n\
  lockCollectionName: 'applied_changes_lock',\n\
  lockTtl: 0,\n\
  migrationFileExtension: '.js',\n\
  useFileHash: true,\n\
  moduleSystem: 'commonjs',\n\
};\n";

fn migration(n: u32) -> String {
    format!(
        "module.exports = {{\n  async up(db) {{ await db.collection('steps').insertOne({{ _id: {n} }}); }},\n  \
         async down(db) {{ await db.collection('steps').deleteOne({{ _id: {n} }}); }},\n}};\n"
    )
}

/// mongrate in the migrate-mongo project directory, with no URL but what the project gives.
fn mongrate(theirs: &MigrateMongo, args: &[&str]) -> Run {
    let mut command = Mongrate::new(theirs.dir.path());
    for (key, value) in &theirs.env {
        command.env(key, value);
    }
    command.args(args).run()
}

#[track_caller]
fn succeeded(run: Run) -> String {
    run.expect(0).stdout
}

/// The text without terminal colour codes (`ESC [ … m`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for inner in chars.by_ref() {
                if inner == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The file names migrate-mongo's `status` table marks PENDING.
fn their_pending(status: &str) -> Vec<String> {
    without_colours(status)
        .lines()
        .filter(|line| line.contains("PENDING"))
        .filter_map(|line| line.split('│').map(str::trim).find(|cell| cell.ends_with(".js")).map(str::to_owned))
        .collect()
}

/// A migrate-mongo project configured by [`CONFIG`], its migrations folder empty: the project, that
/// folder, and the empty corpus folder it was made from (kept while the project lives).
fn configured_project() -> (MigrateMongo, std::path::PathBuf, tempfile::TempDir) {
    let url = Project::new(Backend::Mongo).url;
    let empty = tempfile::tempdir().unwrap();
    let mut theirs = MigrateMongo::with_corpus(&url, empty.path());
    // The URL comes from process.env, one variable of it from .env through dotenv. The server's
    // URL keeps its credentials and options; the database is named apart.
    let url = MongoUrl::parse(&url);
    theirs.env = vec![("APP_MONGO_SERVER".into(), url.with_database(""))];
    std::fs::write(theirs.dir.path().join(".env"), format!("APP_DATABASE={}\n", url.database)).unwrap();
    std::fs::write(theirs.dir.path().join("migrate-mongo-config.js"), CONFIG).unwrap();
    let dir = theirs.dir.path().join("db-migrations");
    std::fs::create_dir_all(&dir).unwrap();
    (theirs, dir, empty)
}

#[test]
fn a_migrate_mongo_project_is_adopted_with_nothing_applied_twice() {
    let (theirs, dir, _empty) = configured_project();
    std::fs::write(dir.join("20240101000000-first.js"), migration(1)).unwrap();
    std::fs::write(dir.join("20240102000000-second.js"), migration(2)).unwrap();
    theirs.run(&["up"]);
    std::fs::write(dir.join("20240103000000-third.js"), migration(3)).unwrap();
    theirs.run(&["up"]);
    std::fs::write(dir.join("20240104000000-fourth.js"), migration(4)).unwrap();

    let preview = succeeded(mongrate(&theirs, &["import", "migrate-mongo", "--dry-run"]));
    assert!(preview.contains("would import 3 migration(s) from migrate-mongo's `applied_changes`"), "{preview}");
    let imported = succeeded(mongrate(&theirs, &["import", "migrate-mongo"]));
    assert!(imported.contains("imported 3"), "{imported}");
    assert!(!imported.contains("changed since"), "the file hashes match: {imported}");

    let status: serde_json::Value =
        serde_json::from_str(&succeeded(mongrate(&theirs, &["status", "--json"]))).expect("status JSON");
    let ours_pending: Vec<String> =
        status["pending"].as_array().unwrap().iter().map(|p| p["file"].as_str().unwrap().to_owned()).collect();
    let their_status = theirs.run(&["status"]);
    assert_eq!(ours_pending, their_pending(&their_status), "both tools list the same pending files: {their_status}");
    assert_eq!(ours_pending, vec!["20240104000000-fourth.js".to_owned()]);
    let applied = status["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 3);
    assert_eq!(applied[0]["batch"], 1, "one migrate-mongo run, one batch: {status}");
    assert_eq!(applied[2]["batch"], 2, "{status}");

    succeeded(mongrate(&theirs, &["up"]));
    assert_eq!(count(&theirs.database, "steps", doc! {}), 4, "only the pending migration ran");
    let again = succeeded(mongrate(&theirs, &["import", "migrate-mongo"]));
    assert!(again.contains("imported 0") && again.contains("already applied in mongrate"), "{again}");
    // The last migrate-mongo batch is mongrate's newest but one: `down` reverts mongrate's own first.
    succeeded(mongrate(&theirs, &["down"]));
    assert_eq!(count(&theirs.database, "steps", doc! { "_id": 4 }), 0);
    assert_eq!(count(&theirs.database, "steps", doc! { "_id": 3 }), 1);
}

/// A file migrate-mongo applied as `.js` and renamed since (`.cjs`, when the package became an ES
/// module): the import matches it by version, says so, and nothing runs twice.
#[test]
fn a_file_renamed_since_migrate_mongo_applied_it_is_matched_by_version() {
    let (theirs, dir, _empty) = configured_project();
    std::fs::write(dir.join("20240101000000-first.js"), migration(1)).unwrap();
    std::fs::write(dir.join("20240102000000-second.js"), migration(2)).unwrap();
    theirs.run(&["up"]);
    std::fs::rename(dir.join("20240102000000-second.js"), dir.join("20240102000000-second.cjs")).unwrap();

    let imported = succeeded(mongrate(&theirs, &["import", "migrate-mongo"]));
    assert!(imported.contains("imported 2"), "{imported}");
    assert!(
        imported.contains(
            "matched by version 20240102000000: migrate-mongo recorded `20240102000000-second.js`, the file is \
             `20240102000000-second.cjs` now"
        ),
        "{imported}"
    );
    let status: serde_json::Value =
        serde_json::from_str(&succeeded(mongrate(&theirs, &["status", "--json"]))).expect("status JSON");
    assert_eq!(status["pending"], serde_json::json!([]), "{status}");
    assert_eq!(status["drift"], serde_json::json!([]), "{status}");
    succeeded(mongrate(&theirs, &["up"]));
    assert_eq!(count(&theirs.database, "steps", doc! {}), 2, "nothing ran twice");
}
