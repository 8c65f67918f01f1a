//! Other tools' SQL layouts read as they are: every folder of `tests/fixtures/layouts/` goes up,
//! down all the way (empty downs succeed, statements refused inside a transaction run without
//! one) and up again on SQLite and PostgreSQL; a directory that mixes layouts, a configured layout
//! the files do not follow and a wrong `layout` value are refused by name.

use std::path::Path;

use crate::on_both;
use crate::support::{Backend, Project, repo_root};

/// Copies `tests/fixtures/layouts/<folder>` into the project's migrations directory.
fn with_fixture(project: &Project, folder: &str) {
    let from = repo_root().join("crates/mongrate/tests/fixtures/layouts").join(folder);
    copy_dir(&from, &project.migrations());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for entry in std::fs::read_dir(from).expect("fixture folder") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy fixture file");
        }
    }
}

/// The round trip every reversible folder makes: up, status, down all the way, up again.
#[track_caller]
fn round_trip(project: &Project, layout: &str, migrations: u64, tables: &[&str]) {
    let valid = project.run(&["validate", "--json"]).expect(0).json();
    assert_eq!(valid["layout"], layout, "{valid}");
    assert_eq!(valid["migrations"], migrations, "{valid}");

    project.run(&["up"]).expect(0);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["layout"], layout);
    assert_eq!(status["summary"]["applied"], migrations, "{status}");
    assert_eq!(status["summary"]["pending"], 0, "{status}");
    for table in tables {
        assert!(project.has_table(table), "{table} after up");
    }
    // The text says which layout was read, where it is not mongrate's own.
    let text = project.run(&["status"]).expect(0);
    assert_eq!(text.stdout.contains(&format!("({layout} layout)")), layout != "mongrate", "{}", text.stdout);

    project.run(&["down", "--all"]).expect(0);
    for table in tables {
        assert!(!project.has_table(table), "{table} after down --all");
    }
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], 0, "{status}");
    assert_eq!(status["summary"]["pending"], migrations, "{status}");

    project.run(&["up"]).expect(0);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], migrations, "{status}");
    for table in tables {
        assert!(project.has_table(table), "{table} after up again");
    }
    let downs = project.run(&["history", "--json", "--limit", "1000"]).expect(0).json();
    let downs = downs.as_array().expect("history entries").iter().filter(|e| e["action"] == "down").count();
    assert_eq!(downs as u64, migrations, "one history entry per down");
}

on_both! {
    golang_migrate_pairs_run_as_written => |project: Project| {
        with_fixture(&project, "golang-migrate");
        round_trip(&project, "golang-migrate", 7, &["users", "posts", "comments"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        let versions: Vec<&str> =
            status["applied"].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
        assert_eq!(versions, ["1", "2", "3", "4", "5", "6", "10"]);
        assert_eq!(status["applied"][1]["file"], "2_add_posts.up.sql");
        assert_eq!(project.sql("SELECT count(*) FROM users"), "2", "the file with its own transaction ran");
        // The no-op downs left their work: the audit table of 5 stays through down --all.
        assert!(project.has_table("audit"));
    };

    sqlx_reversible_migrations => |project: Project| {
        with_fixture(&project, "sqlx");
        round_trip(&project, "sqlx", 3, &["users", "posts"]);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "1");
    };

    sqlx_simple_migrations_apply_and_are_irreversible => |project: Project| {
        with_fixture(&project, "sqlx-simple");
        let valid = project.run(&["validate", "--json"]).expect(0).json();
        assert_eq!(valid["layout"], "sqlx");
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "2");
        let refused = project.run(&["down", "--all"]).expect(4);
        assert!(refused.stderr.contains("irreversible") && refused.stderr.contains("3_vacuum.sql"), "{}", refused.stderr);
        assert!(project.has_table("users"), "nothing was reverted");
    };

    dbmate_sections => |project: Project| {
        with_fixture(&project, "dbmate");
        round_trip(&project, "dbmate", 4, &["users", "posts"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["applied"][0]["version"], "20240101000001");
    };

    flyway_versioned_and_undo_files => |project: Project| {
        with_fixture(&project, "flyway");
        round_trip(&project, "flyway", 3, &["users", "posts"]);
    };

    diesel_folders => |project: Project| {
        with_fixture(&project, "diesel");
        round_trip(&project, "diesel", 4, &["users", "posts"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        let applied = status["applied"].as_array().unwrap();
        assert_eq!(applied[0]["version"], "0");
        assert_eq!(applied[1]["version"], "20240115103000");
        assert_eq!(applied[1]["file"], "2024-01-15-103000_create_users");
    };

    mongrate_format_with_a_no_op_down => |project: Project| {
        with_fixture(&project, "mongrate");
        round_trip(&project, "mongrate", 3, &["users", "posts"]);
    };

    an_edited_down_file_is_drift => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.run(&["up"]).expect(0);
        project.write("10_add_comments.down.sql", "DROP TABLE comments; -- edited\n");
        let drift = project.run(&["up"]).expect(4);
        assert!(drift.stderr.contains("10_add_comments.up.sql (version 10) changed"), "{}", drift.stderr);
    };

    a_failing_down_file_is_named_with_its_line => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.write("10_add_comments.down.sql", "\nDROP TABLE no_such_table;\n");
        project.run(&["up"]).expect(0);
        let failed = project.run(&["down", "--steps", "1"]).expect(1);
        assert!(failed.stderr.contains("10_add_comments.down.sql:2"), "{}", failed.stderr);
        assert!(project.has_table("comments"), "rolled back");
    };

    a_directory_that_mixes_layouts_is_refused_naming_two_files => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.write("V11__flyway.sql", "CREATE TABLE f (id INTEGER);\n");
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("mixes layouts"), "{}", refused.stderr);
        assert!(refused.stderr.contains("V11__flyway.sql a flyway one"), "{}", refused.stderr);
        assert!(refused.stderr.contains("10_add_comments.down.sql is a golang-migrate or sqlx migration"), "{}", refused.stderr);
        assert!(!project.has_table("mongrate_migrations"), "nothing ran");
    };

    a_configured_layout_names_the_files_that_do_not_follow_it => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.write("11_extra.sql", "-- mongrate:up\nCREATE TABLE extra (id INTEGER);\n");
        std::fs::write(project.path().join("mongrate.toml"), "layout = \"golang-migrate\"\n").unwrap();
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("11_extra.sql: a mongrate migration, but the layout is golang-migrate"), "{}", refused.stderr);
        std::fs::write(project.path().join("mongrate.toml"), "layout = \"rails\"\n").unwrap();
        let wrong = project.run(&["status"]).expect(2);
        assert!(wrong.stderr.contains("layout = \"rails\"") && wrong.stderr.contains("\"golang-migrate\", \"sqlx\", \"dbmate\", \"flyway\", \"diesel\""), "{}", wrong.stderr);
        assert!(!project.has_table("mongrate_migrations"), "nothing ran");
    };
}

/// `CREATE INDEX CONCURRENTLY`, which PostgreSQL refuses inside a transaction, in each tool's way
/// of saying "no transaction", and refused where the tool would run it in one.
#[test]
fn create_index_concurrently_runs_where_each_tool_runs_it_without_a_transaction() {
    const TABLE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);\n";
    const INDEX: &str = "CREATE INDEX CONCURRENTLY t_x ON t (x);\n";
    let cases: [(&str, &[(&str, String)]); 4] = [
        (
            "dbmate",
            &[
                ("1_t.sql", format!("-- migrate:up\n{TABLE}-- migrate:down\nDROP TABLE t;\n")),
                (
                    "2_i.sql",
                    format!(
                        "-- migrate:up transaction:false\n{INDEX}-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_x;\n"
                    ),
                ),
            ],
        ),
        (
            "sqlx",
            &[
                ("1_t.up.sql", TABLE.to_owned()),
                ("1_t.down.sql", "DROP TABLE t;\n".to_owned()),
                ("2_i.up.sql", format!("-- no-transaction\n{INDEX}")),
                ("2_i.down.sql", "-- no-transaction\nDROP INDEX CONCURRENTLY t_x;\n".to_owned()),
            ],
        ),
        (
            "golang-migrate",
            &[
                ("1_t.up.sql", TABLE.to_owned()),
                ("1_t.down.sql", "DROP TABLE t;\n".to_owned()),
                ("2_i.up.sql", INDEX.to_owned()),
                ("2_i.down.sql", "DROP INDEX CONCURRENTLY t_x;\n".to_owned()),
            ],
        ),
        (
            "flyway",
            &[
                ("V1__t.sql", TABLE.to_owned()),
                ("U1__t.sql", "DROP TABLE t;\n".to_owned()),
                ("V2__i.sql", INDEX.to_owned()),
                ("U2__i.sql", "DROP INDEX CONCURRENTLY t_x;\n".to_owned()),
            ],
        ),
    ];
    for (layout, files) in cases {
        let project = Project::new(Backend::Postgres);
        for (name, content) in files {
            project.write(name, content);
        }
        let valid = project.run(&["validate", "--json"]).expect(0).json();
        assert_eq!(valid["layout"], layout);
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "1", "{layout}");
        project.run(&["down", "--steps", "1"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "0", "{layout}");
    }

    // diesel runs it in a transaction unless metadata.toml says otherwise, as diesel does.
    let project = Project::new(Backend::Postgres);
    std::fs::create_dir_all(project.migrations().join("2024-01-01-000000_t")).unwrap();
    std::fs::create_dir_all(project.migrations().join("2024-01-02-000000_i")).unwrap();
    project.write("2024-01-01-000000_t/up.sql", TABLE);
    project.write("2024-01-01-000000_t/down.sql", "DROP TABLE t;\n");
    project.write("2024-01-02-000000_i/up.sql", INDEX);
    project.write("2024-01-02-000000_i/down.sql", "DROP INDEX t_x;\n");
    let refused = project.run(&["up"]).expect(1);
    assert!(
        refused.stderr.contains("2024-01-02-000000_i/up.sql:1") && refused.stderr.contains("transaction"),
        "{}",
        refused.stderr
    );
    project.write("2024-01-02-000000_i/metadata.toml", "run_in_transaction = false\n");
    project.run(&["up"]).expect(0);
    assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "1");
}
