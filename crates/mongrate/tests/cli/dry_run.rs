//! Dry-run: the database holds exactly what it held before.

use crate::on_both;
use crate::support::{Backend, Project};

fn first(project: &Project) -> String {
    let id = match project.backend {
        Backend::Postgres => "id SERIAL PRIMARY KEY",
        Backend::Sqlite => "id INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Mongo => unreachable!("SQL tests run on SQLite and PostgreSQL"),
    };
    format!(
        "-- mongrate:up\nCREATE TABLE items ({id}, name TEXT);\nINSERT INTO items (name) VALUES ('a'), ('b');\n-- mongrate:down\nDROP TABLE items;\n"
    )
}

const SECOND: &str = "-- mongrate:up\nINSERT INTO items (name) VALUES ('c'), ('d'), ('e');\nUPDATE items SET name = upper(name);\nCREATE TABLE extra (id INTEGER);\n-- mongrate:down\nDROP TABLE extra;\nDELETE FROM items WHERE name IN ('C', 'D', 'E');\n";

on_both! {
    dry_run_changes_nothing => |project: Project| {
        project.write("001_items.sql", &first(&project));
        // On a fresh database: not even the changelog tables appear.
        let before = project.dump();
        let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
        assert_eq!(preview["dryRun"], true);
        assert_eq!(preview["preview"][0]["operations"][1]["affected"], 2);
        assert_eq!(project.dump(), before);
        assert!(!project.has_table("mongrate_migrations"));

        project.run(&["up"]).expect(0);
        project.write("002_more.sql", SECOND);
        let before = project.dump();
        let history_before = project.run(&["history", "--json"]).expect(0).stdout;
        let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
        let operations = preview["preview"][0]["operations"].as_array().unwrap().clone();
        assert_eq!(operations.len(), 3);
        assert_eq!(operations[0]["affected"], 3, "rows the insert would add");
        assert_eq!(operations[1]["affected"], 5, "rows the update would touch");
        assert_eq!(operations[0]["line"], 2);
        assert_eq!(project.dump(), before, "the database is exactly as before");
        assert_eq!(project.run(&["history", "--json"]).expect(0).stdout, history_before);
        assert!(project.run(&["lock", "status", "--json"]).expect(0).json()["locked"].is_null());

        let human = project.run(&["up", "--dry-run"]).expect(0);
        assert!(human.stdout.contains("line 2") && human.stdout.contains("[3 rows]"), "{}", human.stdout);

        // And the real run afterwards inserts ids as if the dry-run never happened.
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT max(id) FROM items"), "5");

        let before = project.dump();
        let down = project.run(&["down", "--dry-run", "--json"]).expect(0).json();
        assert_eq!(down["preview"][0]["direction"], "down");
        assert_eq!(down["preview"][0]["operations"][1]["affected"], 3);
        assert_eq!(project.dump(), before);
    };

    a_failing_dry_run_reports_and_exits_1 => |project: Project| {
        project.write("001_items.sql", &first(&project));
        project.write("002_bad.sql", "-- mongrate:up\nINSERT INTO nowhere VALUES (1);\n");
        let before = project.dump();
        let run = project.run(&["up", "--dry-run"]).expect(1);
        assert!(run.stdout.contains("would fail") && run.stdout.contains("nowhere"), "{}", run.stdout);
        assert_eq!(project.dump(), before);
    };
}
