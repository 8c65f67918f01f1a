//! `mongrate create` in another tool's layout writes what that tool's own command writes
//! (golang-migrate, sqlx, dbmate, Flyway, diesel), into a copy of the layout's fixture: the names
//! and contents, `mongrate status` listing the new migration pending, and the real tool (as
//! tests/cli/peer_tools.rs runs it) seeing it too. `--format`/`--template` are refused by the
//! layout's name. And `mongrate lint` reads a Flyway file with its placeholders replaced.

use std::path::Path;

use serde_json::Value;

use crate::peer_tools::{Db, Tool};
use crate::support::{Backend, Project, copy_dir, repo_root};

/// A SQLite project holding a copy of `tests/fixtures/layouts/<folder>`.
fn project_with(folder: &str) -> Project {
    let project = Project::new(Backend::Sqlite);
    copy_dir(&repo_root().join("crates/mongrate/tests/fixtures/layouts").join(folder), &project.migrations());
    project
}

/// Runs `mongrate create <name> --json`: the JSON, after checking the text names every file.
#[track_caller]
fn create(project: &Project, name: &str) -> Value {
    let text = project.run(&["create", name]).expect(0);
    let created: Vec<&str> = text.stdout.lines().filter_map(|l| l.strip_prefix("created ")).collect();
    // The text run wrote files; undo it so that the JSON run writes the same names again.
    let mut folders = Vec::new();
    for file in &created {
        let file = project.path().join(file);
        std::fs::remove_file(&file).expect("remove the created file");
        folders.extend(file.parent().filter(|p| !p.ends_with("migrations")).map(Path::to_path_buf));
    }
    folders.dedup();
    for folder in folders {
        std::fs::remove_dir(folder).expect("remove the created folder");
    }
    let json = project.run(&["create", name, "--json"]).expect(0).json();
    let files = json["files"].as_array().expect("files");
    assert_eq!(files.len(), created.len(), "{json} vs {created:?}");
    assert_eq!(json["file"], files[0], "{json}");
    json
}

/// The created files' paths relative to the migrations directory, and their contents.
fn written(project: &Project, json: &Value) -> Vec<(String, String)> {
    json["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            // A relative path is the project's: mongrate ran there.
            let path = project.path().join(f.as_str().expect("a path"));
            let relative = path.strip_prefix(project.migrations()).expect("inside migrations/");
            (relative.display().to_string(), std::fs::read_to_string(&path).expect("created file"))
        })
        .collect()
}

/// `YYYYMMDDHHMMSS` of this year or later.
fn is_timestamp(text: &str) -> bool {
    text.len() == 14 && text.chars().all(|c| c.is_ascii_digit()) && text.as_bytes()[0] == b'2' && text >= "2026"
}

/// The versions `mongrate status` lists pending, with `layout` the layout it read.
#[track_caller]
fn mongrate_pending(project: &Project, layout: &str) -> Vec<String> {
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["layout"], layout, "{status}");
    status["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .map(|e| e["version"].as_str().expect("version").to_owned())
        .collect()
}

fn db(project: &Project) -> Db {
    Db::Sqlite(project.path().join("tool.db"))
}

#[test]
fn golang_migrate_gets_the_next_sequence_numbers_empty_pair() {
    let project = project_with("golang-migrate");
    let json = create(&project, "add thing");
    // After 10, the largest (`migrate create -seq` itself sorts the names as text and takes 7).
    assert_eq!(
        written(&project, &json),
        [("000011_add_thing.up.sql".into(), String::new()), ("000011_add_thing.down.sql".into(), String::new())]
    );
    assert_eq!(json["name"], "000011_add_thing.up.sql");
    assert_eq!(mongrate_pending(&project, "golang-migrate").last().map(String::as_str), Some("11"));
    // golang-migrate has no list of pending migrations: marked at 10, its `up` runs 11 only.
    let tool = Tool::GolangMigrate;
    tool.run_ok(&db(&project), &project.migrations(), &["force", "10"]);
    let up = tool.run_ok(&db(&project), &project.migrations(), &["up"]);
    assert!(up.stderr.contains("11/u add_thing") || up.stdout.contains("11/u add_thing"), "{up:?}");
    let version = tool.run_ok(&db(&project), &project.migrations(), &["version"]);
    assert_eq!(version.stderr.trim(), "11", "{version:?}");
}

#[test]
fn golang_migrate_with_timestamps_gets_a_timestamp() {
    let project = Project::new(Backend::Sqlite);
    project.write("20240101000001_create_users.up.sql", "CREATE TABLE users (id INTEGER);\n");
    project.write("20240101000001_create_users.down.sql", "DROP TABLE users;\n");
    let files = written(&project, &create(&project, "add posts"));
    let (version, rest) = files[0].0.split_once('_').expect("a version");
    assert!(is_timestamp(version), "{files:?}");
    assert_eq!(rest, "add_posts.up.sql");
    assert_eq!(files[1].0, format!("{version}_add_posts.down.sql"));
    assert_eq!(mongrate_pending(&project, "golang-migrate"), ["20240101000001", version]);
}

#[test]
fn sqlx_reversible_and_simple_follow_the_newest_migration() {
    // Reversible pairs whose versions step by one: the next pair, sqlx's sequence rule.
    let project = project_with("sqlx");
    let files = written(&project, &create(&project, "Add Thing"));
    assert_eq!(
        files,
        [
            ("20240101000004_Add_Thing.up.sql".into(), "-- Add up migration script here\n".into()),
            ("20240101000004_Add_Thing.down.sql".into(), "-- Add down migration script here\n".into()),
        ]
    );
    assert_eq!(mongrate_pending(&project, "sqlx").last().map(String::as_str), Some("20240101000004"));
    let info = Tool::Sqlx.run_ok(&db(&project), &project.migrations(), &["migrate", "info"]);
    assert!(info.stdout.contains("20240101000004/pending Add Thing"), "{}", info.stdout);

    // Simple files 1, 2, 3: `0004_…sql`, as `sqlx migrate add` numbers them.
    let project = project_with("sqlx-simple");
    let files = written(&project, &create(&project, "add thing"));
    assert_eq!(files, [("0004_add_thing.sql".into(), "-- Add migration script here\n".into())]);
    assert_eq!(mongrate_pending(&project, "sqlx"), ["1", "2", "3", "4"]);
    let info = Tool::Sqlx.run_ok(&db(&project), &project.migrations(), &["migrate", "info"]);
    assert!(info.stdout.contains("4/pending add thing"), "{}", info.stdout);
}

#[test]
fn dbmate_gets_a_timestamped_file_with_both_sections() {
    let project = project_with("dbmate");
    let files = written(&project, &create(&project, "add thing"));
    assert_eq!(files.len(), 1, "{files:?}");
    let (version, rest) = files[0].0.split_once('_').expect("a version");
    assert!(is_timestamp(version) && rest == "add_thing.sql", "{files:?}");
    assert_eq!(files[0].1, "-- migrate:up\n\n\n-- migrate:down\n\n");
    assert_eq!(mongrate_pending(&project, "dbmate").last().map(String::as_str), Some(version));
    let status = Tool::Dbmate.run_ok(&db(&project), &project.migrations(), &["status"]);
    assert!(status.stdout.contains(&format!("[ ] {version}_add_thing.sql")), "{}", status.stdout);
}

#[test]
fn flyway_gets_the_next_first_number() {
    let project = project_with("flyway");
    let conf = repo_root().join("crates/mongrate/tests/fixtures/layouts/flyway.conf");
    std::fs::copy(conf, project.path().join("flyway.conf")).unwrap();
    let json = create(&project, "add thing");
    // The newest versioned migration is 2024.01.15.1.
    assert_eq!(written(&project, &json), [("V2025__add_thing.sql".into(), "-- Add migration script here\n".into())]);
    let pending = mongrate_pending(&project, "flyway");
    assert_eq!(pending[pending.len() - 2..], ["2025", "R__settings_view"]);
}

#[test]
fn diesel_gets_a_folder_with_up_and_down() {
    let project = project_with("diesel");
    let json = create(&project, "add thing");
    let files = written(&project, &json);
    let folder = json["name"].as_str().expect("the folder's name").to_owned();
    // The fixture's folders are `YYYY-MM-DD-HHMMSS_…`: the new one is too.
    let (stamp, rest) = folder.split_once('_').expect("a version");
    assert_eq!(rest, "add_thing");
    assert!(is_timestamp(&stamp.replace('-', "")) && stamp.matches('-').count() == 3, "{folder}");
    assert_eq!(
        files,
        [
            (format!("{folder}/up.sql"), "-- Your SQL goes here\n".into()),
            (format!("{folder}/down.sql"), "-- This file should undo anything in `up.sql`\n".into()),
        ]
    );
    assert_eq!(mongrate_pending(&project, "diesel").last().cloned(), Some(stamp.replace('-', "")));
    let list = Tool::Diesel.run_ok(&db(&project), &project.migrations(), &["migration", "list"]);
    assert!(list.stdout.contains(&format!("[ ] {folder}")), "{}", list.stdout);
}

#[test]
fn a_configured_layout_in_an_empty_directory_and_formats_and_templates_refused() {
    let project = Project::new(Backend::Sqlite);
    std::fs::write(project.path().join("mongrate.toml"), "layout = \"diesel\"\n").unwrap();
    let json = create(&project, "create users");
    let folder = json["name"].as_str().expect("folder");
    // An empty directory gets diesel 2.3's own form, with the counter.
    assert!(folder.ends_with("-0000_create_users") && folder.matches('-').count() == 4, "{folder}");
    assert_eq!(mongrate_pending(&project, "diesel").len(), 1);

    let refused = project.run(&["create", "x", "--format", "yaml"]).expect(2);
    assert!(refused.stderr.contains("diesel layout") && refused.stderr.contains("--format yaml"), "{}", refused.stderr);
    let refused = project.run(&["create", "x", "--template", "add-field"]).expect(2);
    assert!(refused.stderr.contains("diesel layout") && refused.stderr.contains("--template"), "{}", refused.stderr);
    // `--format sql` is what the layout writes anyway.
    project.run(&["create", "y", "--format", "sql"]).expect(0);
    assert_eq!(mongrate_pending(&project, "diesel").len(), 2);
}

/// `CREATE INDEX` without `CONCURRENTLY` in a Flyway file whose names are placeholders: lint
/// reads the statements `up` runs, at their lines.
#[test]
fn lint_reads_flyway_files_with_their_placeholders_replaced() {
    let project = Project::new(Backend::Postgres);
    std::fs::write(project.path().join("mongrate.toml"), "[placeholders]\ntable_prefix = \"app_\"\n").unwrap();
    project.write("V1__users.sql", "CREATE TABLE ${table_prefix}users (email text);\n");
    project.run(&["up"]).expect(0);
    project.write(
        "V2__index.sql",
        "-- ${flyway:filename}: the index on email\nSET lock_timeout = '5s';\nCREATE INDEX ${table_prefix}idx ON ${table_prefix}users(email);\n",
    );
    let report = project.run(&["lint", "--json"]).expect(0).json();
    let findings: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        findings.iter().any(|(file, line, rule)| file.ends_with("V2__index.sql")
            && *line == 3
            && rule == "index-without-concurrently"),
        "{report}"
    );
    assert!(report["unchecked"].as_array().expect("unchecked").is_empty(), "{report}");

    // A placeholder without a value is named, with its file and line.
    project.write("V3__owner.sql", "ALTER TABLE ${table_prefix}users OWNER TO ${owner};\n");
    let refused = project.run(&["lint"]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("V3__owner.sql:1: no value for the Flyway placeholder ${owner}"),
        "{}",
        refused.stderr
    );
}
