//! Edges of the layouts, repeatable migrations and versions that a review found: repeatable
//! names that could not be read back, the order Flyway gives repeatables and the order diesel
//! gives its 2.3 counter folders (both checked against the tool itself), `up --to` and
//! `down --batch` around repeatables, `mongrate test` on a project with one, diesel's version 0
//! reverted by `down --to 0`, and golang-migrate's 19-digit `unixNano` versions.

use crate::on_both;
use crate::peer_tools::{Db, Tool};
use crate::support::{Backend, Project, copy_dir, repo_root};

/// Versions of a `status --json` list.
fn versions(status: &serde_json::Value, list: &str) -> Vec<String> {
    status[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {status}"))
        .iter()
        .map(|e| e["version"].as_str().expect("version").to_owned())
        .collect()
}

#[test]
fn repeatable_names_that_cannot_be_read_back_are_refused_before_anything_runs() {
    let project = Project::new(Backend::Sqlite);
    project.write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
    for (file, why) in [("R__.sql", "needs a name after R__"), ("R__views .sql", "starts or ends with white space")] {
        project.write(file, "SELECT 1;\n");
        let run = project.run(&["up"]).expect(4);
        assert!(run.stderr.contains(file) && run.stderr.contains(why), "{file}: {}", run.stderr);
        assert!(!project.has_table("a"), "nothing ran");
        project.remove(file);
    }
    // A mongrate file flagged repeatable whose name gives no key.
    project.remove("V1__a.sql");
    project.write("5.sql", "-- mongrate:repeatable\n-- mongrate:up\nSELECT 1;\n");
    let run = project.run(&["validate"]).expect(4);
    assert!(run.stderr.contains("5.sql") && run.stderr.contains("needs a name after R__"), "{}", run.stderr);
}

/// Flyway orders repeatables by description, `_` read as a space: `orders summary` runs before
/// `ordersByDay`, which reads it. Both Flyway and mongrate apply the folder on SQLite.
#[test]
fn repeatables_run_in_the_order_flyway_runs_them() {
    let ours = Project::new(Backend::Sqlite);
    let theirs = tempfile::tempdir().expect("temp dir");
    let files = [
        ("V1__orders.sql", "CREATE TABLE orders (id INTEGER PRIMARY KEY, day TEXT, total INTEGER);\n"),
        (
            "R__orders_summary.sql",
            "DROP VIEW IF EXISTS orders_summary;\nCREATE VIEW orders_summary AS SELECT day, total FROM orders;\n",
        ),
        (
            "R__ordersByDay.sql",
            "DROP VIEW IF EXISTS ordersByDay;\nCREATE VIEW ordersByDay AS SELECT day, sum(total) AS total FROM orders_summary GROUP BY day;\n",
        ),
    ];
    for (name, content) in files {
        ours.write(name, content);
        std::fs::write(theirs.path().join(name), content).expect("write");
    }
    let db = Db::Sqlite(theirs.path().join("flyway.db"));
    Tool::Flyway.run_ok(&db, theirs.path(), &["migrate"]);
    let order = flyway_repeatable_order(&theirs.path().join("flyway.db"));
    assert_eq!(order, ["orders summary", "ordersByDay"], "Flyway's order");

    let up = ours.run(&["up", "--json"]).expect(0).json();
    let ran: Vec<&str> =
        up["steps"].as_array().expect("steps").iter().map(|s| s["version"].as_str().unwrap()).collect();
    assert_eq!(ran, ["1", "R__orders_summary", "R__ordersByDay"]);
}

/// The repeatable descriptions in the order Flyway's history has them, read with the sqlite3 shell.
fn flyway_repeatable_order(db: &std::path::Path) -> Vec<String> {
    let output = std::process::Command::new("sqlite3")
        .arg(db)
        .arg("SELECT description FROM flyway_schema_history WHERE version IS NULL ORDER BY installed_rank")
        .output()
        .expect("sqlite3");
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
}

on_both! {
    up_to_a_version_stops_before_the_repeatables_and_to_one_of_them_after_it => |project: Project| {
        project.write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
        project.write("R__a.sql", "DROP VIEW IF EXISTS va;\nCREATE VIEW va AS SELECT id FROM a;\n");
        project.write("R__b.sql", "DROP VIEW IF EXISTS vb;\nCREATE VIEW vb AS SELECT id FROM va;\n");
        project.run(&["up", "--to", "1"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status, "applied"), ["1"]);
        assert_eq!(versions(&status, "pending"), ["R__a", "R__b"]);
        project.run(&["up", "--to", "R__a"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status, "pending"), ["R__b"]);
        project.run(&["up"]).expect(0);
        assert!(project.has_table("a"));

        // A run that only applies an edited repeatable again is the last run: `down --batch`
        // has nothing of it to revert, and leaves version 1 (an older run) alone.
        project.write("R__b.sql", "DROP VIEW IF EXISTS vb;\nCREATE VIEW vb AS SELECT id AS n FROM va;\n");
        project.run(&["up"]).expect(0);
        let down = project.run(&["down", "--batch"]).expect(0);
        assert!(down.stdout.contains("nothing to revert"), "{}", down.stdout);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status, "applied"), ["1", "R__a", "R__b"]);
    };

    mongrate_test_applies_a_repeatable_untested => |project: Project| {
        project.write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
        project.write("U1__a.sql", "DROP TABLE a;\n");
        project.write("R__v.sql", "DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT id FROM a;\n");
        let run = project.run(&["test"]).expect(0);
        assert!(run.stdout.contains("ok            1  a"), "{}", run.stdout);
        assert!(run.stdout.contains("R__v  v — a repeatable migration, never reverted"), "{}", run.stdout);
        assert!(!project.has_table("a"), "the test ran on a copy");
    };

    diesel_initial_setup_is_reverted_by_down_to_0 => |project: Project| {
        copy_dir(&repo_root().join("crates/mongrate/tests/fixtures/layouts/diesel"), &project.migrations());
        project.run(&["up"]).expect(0);
        project.run(&["down", "--to", "0"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status, "applied"), Vec::<String>::new(), "{status}");
        assert_eq!(versions(&status, "pending")[0], "0", "diesel's initial setup is pending again");
        project.run(&["up"]).expect(0);
        project.run(&["migrate", "0"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status, "applied"), Vec::<String>::new(), "{status}");
    };

    golang_migrate_unix_nano_versions_are_read => |project: Project| {
        let version = "1764709200123456789";
        project.write(&format!("{version}_create_a.up.sql"), "CREATE TABLE a (id INTEGER);\n");
        project.write(&format!("{version}_create_a.down.sql"), "DROP TABLE a;\n");
        project.run(&["up"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status, "applied"), [version]);
        project.run(&["down"]).expect(0);
        assert!(!project.has_table("a"));
    };
}

/// diesel 2.3 names folders with a counter after the time (`2024-01-01-000000-0001_c`) and runs
/// folders in name order: a counter folder sorts by its date among the older form's, in diesel
/// and in mongrate, and diesel's record of it (18 digits) is imported as that folder.
#[test]
fn diesel_counter_folders_run_in_diesels_order_and_import() {
    let theirs = Project::new(Backend::Sqlite);
    let ours = Project::new(Backend::Sqlite);
    let folders = ["2024-01-01-000000-0000_a", "2024-06-01-000000_b", "2024-01-01-000000-0001_c"];
    for project in [&theirs, &ours] {
        for folder in folders {
            let dir = project.migrations().join(folder);
            std::fs::create_dir_all(&dir).expect("folder");
            let table = folder.rsplit('_').next().expect("a name");
            std::fs::write(dir.join("up.sql"), format!("CREATE TABLE t_{table} (id INTEGER);\n")).expect("up");
            std::fs::write(dir.join("down.sql"), format!("DROP TABLE t_{table};\n")).expect("down");
        }
    }
    let db = Db::Sqlite(theirs.path().join("app.db"));
    let run = Tool::Diesel.run_ok(&db, &theirs.migrations(), &["migration", "run"]);
    let their_order: Vec<&str> =
        run.stdout.lines().filter_map(|line| line.trim().strip_prefix("Running migration ")).collect();
    assert_eq!(their_order, ["2024-01-01-000000-0000_a", "2024-01-01-000000-0001_c", "2024-06-01-000000_b"]);

    let up = ours.run(&["up", "--json"]).expect(0).json();
    let ran: Vec<&str> =
        up["steps"].as_array().expect("steps").iter().map(|s| s["version"].as_str().unwrap()).collect();
    assert_eq!(ran, ["20240101000000.0000", "20240101000000.0001", "20240601000000"], "diesel's order");

    theirs.run(&["import", "diesel"]).expect(0);
    let status = theirs.run(&["status", "--json"]).expect(0).json();
    assert_eq!(versions(&status, "applied"), ran, "{status}");
    assert_eq!(status["pending"], serde_json::json!([]));
}
