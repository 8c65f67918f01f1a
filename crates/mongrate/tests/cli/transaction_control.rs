//! Transaction-control statements (`BEGIN`, `COMMIT`, …) in SQL migrations: refused in a
//! transactional file before anything runs, run as written in a `-- mongrate:no-transaction`
//! file, never run by a dry-run, and a failure after them is never called a rollback.

use crate::on_both;
use crate::support::{Backend, Project};

/// golang-migrate projects often wrap their files like this.
const COMMITS_ITSELF: &str = "-- mongrate:up\nBEGIN;\nCREATE TABLE t1 (id int);\nCOMMIT;\nCREATE TABLE t2 (id int);\n-- mongrate:down\nDROP TABLE t2;\nDROP TABLE t1;\n";

const FIRST: &str = "-- mongrate:up\nCREATE TABLE base (id int);\n-- mongrate:down\nDROP TABLE base;\n";

on_both! {
    a_file_that_commits_on_its_own_is_refused_before_anything_runs => |project: Project| {
        project.write("001_base.sql", FIRST);
        project.write("002_wrapped.sql", COMMITS_ITSELF);
        let before = project.dump();
        for args in [&["up", "--dry-run"][..], &["up"][..], &["up", "--dry-run", "--json"][..]] {
            let refused = project.run(args).expect(4);
            assert!(refused.stderr.contains("002_wrapped.sql:2: `BEGIN`"), "names file, line, statement: {}", refused.stderr);
            assert!(refused.stderr.contains("-- mongrate:no-transaction"), "says what to do: {}", refused.stderr);
            assert!(!refused.stdout.contains("nothing was written"), "{}", refused.stdout);
            assert_eq!(project.dump(), before, "{args:?} changed the database");
        }
        assert!(!project.has_table("base") && !project.has_table("t1") && !project.has_table("t2"));
        assert!(!project.has_table("mongrate_migrations"), "nothing at all was applied");
    };

    a_no_transaction_file_runs_as_written_and_is_never_run_by_a_dry_run => |project: Project| {
        project.write("001_base.sql", FIRST);
        project.write("002_wrapped.sql", &format!("-- mongrate:no-transaction\n{COMMITS_ITSELF}"));
        let before = project.dump();
        let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
        let notes: Vec<String> = preview["preview"][1]["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .map(|o| o["note"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(notes.len(), 4);
        assert!(notes.iter().all(|n| n.starts_with("not run")), "{notes:?}");
        assert_eq!(project.dump(), before, "the dry-run wrote");

        project.run(&["up"]).expect(0);
        assert!(project.has_table("t1") && project.has_table("t2"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 2);
    };

    a_failure_after_a_commit_says_part_may_be_applied => |project: Project| {
        project.write("001_base.sql", FIRST);
        project.write(
            "002_wrapped.sql",
            "-- mongrate:no-transaction\n-- mongrate:up\nBEGIN;\nCREATE TABLE t1 (id int);\nCOMMIT;\nINSERT INTO nowhere VALUES (1);\n",
        );
        let failed = project.run(&["up", "--json"]).expect(1);
        assert!(failed.stderr.contains("002_wrapped.sql:6"), "{}", failed.stderr);
        assert!(failed.stderr.contains("part of it may be applied"), "{}", failed.stderr);
        assert!(!failed.stderr.contains("rolled back"), "no transaction was rolled back: {}", failed.stderr);
        assert!(project.has_table("t1"), "the committed part stays");
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["failed"][0]["version"], "2");
        assert_eq!(status["failed"][0]["direction"], "up");
        let choices = status["failed"][0]["choices"].to_string();
        assert!(choices.contains("mongrate up --retry") && choices.contains("mongrate mark 2 --applied"), "{choices}");
    };
}

#[test]
fn function_bodies_and_do_blocks_that_mention_commit_run_in_the_transaction_on_postgres() {
    let project = Project::new(Backend::Postgres);
    project.write(
        "001_f.sql",
        "-- mongrate:up\nCREATE TABLE audit (note text);\n\
         CREATE FUNCTION note_commit() RETURNS void AS $$\nBEGIN\n  INSERT INTO audit VALUES ('BEGIN; COMMIT;');\nEND;\n$$ LANGUAGE plpgsql;\n\
         DO $$ BEGIN PERFORM note_commit(); END $$;\n\
         -- mongrate:down\nDROP FUNCTION note_commit();\nDROP TABLE audit;\n",
    );
    let before = project.dump();
    project.run(&["up", "--dry-run"]).expect(0);
    assert_eq!(project.dump(), before);
    project.run(&["up"]).expect(0);
    assert_eq!(project.sql("SELECT note FROM audit"), "BEGIN; COMMIT;");
}
