//! A failed `down` is not a failed `up`: the migration stays applied, is recorded as "down
//! failed", and the ways out are to run the down again or to mark it, never to run its up again.

use crate::on_both;
use crate::support::{Backend, Project};

const TABLE: &str = "-- mongrate:up\nCREATE TABLE a (id INTEGER);\n-- mongrate:down\nDROP TABLE a;\n";

/// A down that runs outside a transaction and fails after its first statement.
const HALF_DOWN: &str = "-- mongrate:no-transaction\n-- mongrate:up\nCREATE TABLE b (id INTEGER);\nCREATE TABLE c (id INTEGER);\n\
                         -- mongrate:down\nDROP TABLE c;\nDROP TABLE nowhere;\nDROP TABLE b;\n";

on_both! {
    a_partial_down_failure_stays_applied_and_offers_down_retry => |project: Project| {
        project.write("001_a.sql", TABLE);
        project.write("002_b.sql", HALF_DOWN);
        project.run(&["up"]).expect(0);
        let failed = project.run(&["down", "--json"]).expect(1);
        assert!(failed.stderr.contains("down 2"), "{}", failed.stderr);
        assert!(failed.stderr.contains("part of it may be reverted"), "{}", failed.stderr);
        assert!(!failed.stderr.contains("Later migrations were not run"), "{}", failed.stderr);
        assert!(!project.has_table("c") && project.has_table("b"), "the down stopped half way");

        let status = project.run(&["status", "--json"]).expect(0).json();
        let entry = &status["failed"][0];
        assert_eq!(entry["version"], "2");
        assert_eq!(entry["status"], "down-failed");
        assert_eq!(entry["direction"], "down");
        let choices: Vec<&str> = entry["choices"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap()).collect();
        assert_eq!(choices, ["mongrate down --retry", "mongrate mark 2 --applied", "mongrate mark 2 --pending"]);
        let human = project.run(&["status"]).expect(0);
        assert!(human.stdout.contains("down-failed") && human.stdout.contains("mongrate down --retry"), "{}", human.stdout);
        let history = project.run(&["history", "--json", "--status", "failed"]).expect(0).json();
        assert_eq!(history[0]["action"], "down");

        // Its up is never run again: not by `up`, not by `up --retry`.
        for args in [&["up"][..], &["up", "--retry"][..]] {
            let blocked = project.run(args).expect(1);
            assert!(blocked.stderr.contains("down failed") && blocked.stderr.contains("mongrate down --retry"), "{}", blocked.stderr);
        }
        // A plain down is refused too: running a half-run down again is a decision.
        project.run(&["down"]).expect(1);

        project.write("002_b.sql", &HALF_DOWN.replace("DROP TABLE c;\nDROP TABLE nowhere;", "DROP TABLE IF EXISTS c;"));
        project.run(&["down", "--retry"]).expect(0);
        assert!(!project.has_table("b") && project.has_table("a"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 1);
        assert_eq!(status["summary"]["failed"], 0);
        assert_eq!(status["pending"][0]["version"], "2");
    };

    a_down_failed_in_a_transaction_stays_applied_and_blocks_nothing => |project: Project| {
        project.write("001_a.sql", TABLE);
        project.write("002_b.sql", "-- mongrate:up\nCREATE TABLE b (id INTEGER);\n-- mongrate:down\nDROP TABLE b;\nDROP TABLE nowhere;\n");
        project.run(&["up"]).expect(0);
        let failed = project.run(&["down"]).expect(1);
        assert!(failed.stderr.contains("nothing of it was reverted, and it is still applied"), "{}", failed.stderr);
        assert!(project.has_table("b"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 2);
        assert_eq!(status["summary"]["failed"], 0);
        project.run(&["up"]).expect(0);
        let history = project.run(&["history", "--json", "--status", "failed"]).expect(0).json();
        assert_eq!(history[0]["action"], "down");
    };

    a_down_failure_can_be_marked => |project: Project| {
        project.write("001_a.sql", TABLE);
        project.write("002_b.sql", HALF_DOWN);
        project.run(&["up"]).expect(0);
        project.run(&["down"]).expect(1);
        project.run(&["mark", "2", "--pending"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["failed"], 0);
        assert_eq!(status["pending"][0]["version"], "2");
    };
}

#[test]
fn failures_on_a_server_without_transactions_never_claim_a_rollback() {
    let project = Project::new(Backend::Mongo);
    // Index operations never run in a transaction, on any server.
    project.write("1-first.yaml", "up:\n  - dropIndex: { collection: nothing_here, name: missing_1 }\n");
    let failed = project.run(&["up", "--json"]).expect(1);
    assert!(failed.stderr.contains("failed before changing anything"), "{}", failed.stderr);
    assert!(!failed.stderr.contains("rolled back"), "{}", failed.stderr);

    project.write(
        "1-first.yaml",
        "up:\n  - insertMany: { collection: t, documents: [ { _id: 1 } ] }\n  - dropIndex: { collection: t, name: missing_1 }\n",
    );
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("part of it may be applied"), "{}", failed.stderr);
    assert!(!failed.stderr.contains("rolled back"), "{}", failed.stderr);
}
