//! Failing migrations: what is recorded, what stays applied, how to continue.

use crate::on_both;
use crate::support::{Backend, Project};

on_both! {
    a_failed_run_still_reports_what_it_applied => |project: Project| {
        project.write("001_a.sql", "-- mongrate:up\nCREATE TABLE a (id INTEGER);\n-- mongrate:down\nDROP TABLE a;\n");
        project.write("002_b.sql", "-- mongrate:up\nCREATE TABLE b (id INTEGER);\n-- mongrate:down\nDROP TABLE b;\n");
        project.write("003_c.sql", "-- mongrate:up\nINSERT INTO nowhere VALUES (1);\n");
        let failed = project.run(&["up", "--json"]).expect(1);
        let report = failed.json();
        let applied: Vec<&str> = report["steps"].as_array().unwrap().iter().map(|s| s["version"].as_str().unwrap()).collect();
        assert_eq!(applied, ["1", "2"], "{report}");
        assert_eq!(report["steps"][0]["direction"], "up");
        assert_eq!(report["error"]["kind"], "migration");
        assert_eq!(report["error"]["exitCode"], 1);
        assert!(report["error"]["message"].as_str().unwrap().contains("003_c.sql:2"), "{report}");
    };

    statements_ending_in_a_comment_run_as_one_batch => |project: Project| {
        // The statements of a migration are sent together; one ending in a `--` comment must not
        // swallow the separator before the next.
        project.write(
            "001_t.sql",
            "-- mongrate:up\nCREATE TABLE t (id INTEGER) -- the table\n;\nINSERT INTO t VALUES (1) -- one row\n;\nINSERT INTO t VALUES (2);\n-- mongrate:down\nDROP TABLE t;\n",
        );
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM t"), "2");
        project.write("002_bad.sql", "-- mongrate:up\nINSERT INTO t VALUES (3) -- fine\n;\nINSERT INTO nowhere VALUES (4);\n");
        let failed = project.run(&["up"]).expect(1);
        assert!(failed.stderr.contains("002_bad.sql:4"), "the failing statement's line: {}", failed.stderr);
        assert_eq!(project.sql("SELECT count(*) FROM t"), "2", "the batch was rolled back");
    };

    a_failing_migration_stops_the_run_and_is_recorded => |project: Project| {
        project.write("001_a.sql", "-- mongrate:up\nCREATE TABLE a (id INTEGER);\n-- mongrate:down\nDROP TABLE a;\n");
        project.write("002_b.sql", "-- mongrate:up\nCREATE TABLE b (id INTEGER);\nINSERT INTO missing_table VALUES (1);\n-- mongrate:down\nDROP TABLE b;\n");
        project.write("003_c.sql", "-- mongrate:up\nCREATE TABLE c (id INTEGER);\n-- mongrate:down\nDROP TABLE c;\n");
        let failed = project.run(&["up"]).expect(1);
        assert!(failed.stderr.contains("002_b.sql:3"), "names file and line: {}", failed.stderr);
        assert!(failed.stderr.contains("missing_table"), "shows the database's message: {}", failed.stderr);
        assert!(project.has_table("a"), "earlier migrations stay applied");
        assert!(!project.has_table("b"), "the failed migration's transaction was rolled back");
        assert!(!project.has_table("c"), "later migrations are untouched");

        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["failed"][0]["version"], "2");
        assert!(status["failed"][0]["error"].as_str().unwrap().contains("missing_table"));
        assert_eq!(status["pending"][0]["version"], "3");
        assert!(status["locked"].is_null(), "the lock is released after a failure");
        let history = project.run(&["history", "--json", "--status", "failed"]).expect(0).json();
        assert_eq!(history[0]["version"], "2");

        // Nothing of it was applied, so after fixing the file a plain `up` runs it again.
        project.write("002_b.sql", "-- mongrate:up\nCREATE TABLE b (id INTEGER);\n-- mongrate:down\nDROP TABLE b;\n");
        project.run(&["up"]).expect(0);
        assert!(project.has_table("b") && project.has_table("c"));
    };

    a_partial_failure_outside_a_transaction_blocks_until_decided => |project: Project| {
        project.write("001_a.sql", "-- mongrate:up\nCREATE TABLE a (id INTEGER);\n-- mongrate:down\nDROP TABLE a;\n");
        project.write(
            "002_b.sql",
            "-- mongrate:no-transaction\n-- mongrate:up\nCREATE TABLE b (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n-- mongrate:down\nDROP TABLE b;\n",
        );
        project.write("003_c.sql", "-- mongrate:up\nCREATE TABLE c (id INTEGER);\n");
        let failed = project.run(&["up"]).expect(1);
        assert!(failed.stderr.contains("outside a transaction"), "{}", failed.stderr);
        assert!(project.has_table("b"), "the first statement was committed on its own");

        let blocked = project.run(&["up"]).expect(1);
        for choice in ["mongrate down --to 1", "mongrate mark 2 --applied", "mongrate mark 2 --pending", "mongrate up --retry"] {
            assert!(blocked.stderr.contains(choice), "choice {choice} in {}", blocked.stderr);
        }
        assert!(!project.has_table("c"));

        project.write(
            "002_b.sql",
            "-- mongrate:no-transaction\n-- mongrate:up\nCREATE TABLE IF NOT EXISTS b (id INTEGER);\nINSERT INTO b VALUES (1);\n-- mongrate:down\nDROP TABLE b;\n",
        );
        project.run(&["up", "--retry"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM b"), "1");
        assert!(project.has_table("c"));
    };

    a_partial_failure_can_be_reverted_with_down => |project: Project| {
        project.write(
            "001_b.sql",
            "-- mongrate:no-transaction\n-- mongrate:up\nCREATE TABLE b (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n-- mongrate:down\nDROP TABLE IF EXISTS b;\n",
        );
        project.run(&["up"]).expect(1);
        project.run(&["down"]).expect(0);
        assert!(!project.has_table("b"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["pending"], 1);
        assert_eq!(status["summary"]["failed"], 0);
    };

    scripts_with_comments_and_bodies_run_whole => |project: Project| {
        let body = match project.backend {
            Backend::Postgres => "CREATE TABLE t (id INTEGER, name TEXT); -- trailing comment; not a statement\n\
                /* a block comment; with semicolons */\n\
                CREATE FUNCTION lower_name() RETURNS trigger AS $fn$\nBEGIN\n  NEW.name := lower(NEW.name);\n  RETURN NEW;\nEND;\n$fn$ LANGUAGE plpgsql;\n\
                CREATE TRIGGER t_lower BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION lower_name();\n\
                INSERT INTO t VALUES (1, 'MiXeD; case');\n",
            Backend::Sqlite => "CREATE TABLE t (id INTEGER, name TEXT); -- trailing comment; not a statement\n\
                /* a block comment; with semicolons */\n\
                CREATE TRIGGER t_lower AFTER INSERT ON t BEGIN\n  UPDATE t SET name = lower(name) WHERE id = NEW.id;\n  UPDATE t SET name = CASE WHEN name IS NULL THEN '' ELSE name END WHERE id = NEW.id;\nEND;\n\
                INSERT INTO t VALUES (1, 'MiXeD; case');\n",
            Backend::Mongo => unreachable!("SQL tests run on SQLite and PostgreSQL"),
        };
        project.write("001_t.sql", &format!("-- mongrate:up\n{body}-- mongrate:down\nDROP TABLE t;\n"));
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT name FROM t"), "mixed; case");
    };
}

#[test]
fn create_index_concurrently_runs_outside_a_transaction_on_postgres() {
    let project = Project::new(Backend::Postgres);
    project.write(
        "001_t.sql",
        "-- mongrate:up\nCREATE TABLE t (id INTEGER, email TEXT);\n-- mongrate:down\nDROP TABLE t;\n",
    );
    project.write(
        "002_idx.sql",
        "-- mongrate:no-transaction\n-- mongrate:up\nCREATE INDEX CONCURRENTLY t_email_idx ON t (email);\n-- mongrate:down\nDROP INDEX CONCURRENTLY t_email_idx;\n",
    );
    project.run(&["up"]).expect(0);
    assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_email_idx'"), "1");
    project.run(&["down"]).expect(0);
    assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_email_idx'"), "0");
    // Inside a transaction PostgreSQL refuses it: the directive is what makes it work.
    project.write("002_idx.sql", "-- mongrate:up\nCREATE INDEX CONCURRENTLY t_email_idx ON t (email);\n");
    let refused = project.run(&["up"]).expect(1);
    assert!(
        refused.stderr.contains("CONCURRENTLY") || refused.stderr.contains("transaction block"),
        "{}",
        refused.stderr
    );
}
