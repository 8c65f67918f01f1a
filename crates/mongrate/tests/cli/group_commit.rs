//! Group commit: consecutive transactional migrations share one transaction, with the same
//! outcome as one at a time — a failure is pinned to its migration, the ones before it stay
//! applied and recorded, the ones after it do not run.

use crate::on_both;
use crate::support::{Backend, Project};

fn table(n: usize) -> String {
    format!(
        "-- mongrate:up\nCREATE TABLE t{n} (id INTEGER);\nINSERT INTO t{n} VALUES ({n});\n-- mongrate:down\nDROP TABLE t{n};\n"
    )
}

fn write_five_with_a_failing_third(project: &Project) {
    for n in [1, 2, 4, 5] {
        project.write(&format!("00{n}_t{n}.sql"), &table(n));
    }
    project.write("003_bad.sql", "-- mongrate:up\nCREATE TABLE t3 (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n");
}

/// What `status --json` and the tables say, to compare group sizes.
fn outcome(project: &Project) -> (Vec<String>, Vec<String>, Vec<bool>) {
    let status = project.run(&["status", "--json"]).expect(0).json();
    let versions = |key: &str| -> Vec<String> {
        status[key].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap().to_owned()).collect()
    };
    (versions("applied"), versions("failed"), (1..=5).map(|n| project.has_table(&format!("t{n}"))).collect())
}

on_both! {
    a_failure_in_a_group_is_pinned_to_its_migration => |project: Project| {
        write_five_with_a_failing_third(&project);
        let failed = project.run(&["up", "--json"]).expect(1);
        let report = failed.json();
        let applied: Vec<&str> = report["steps"].as_array().unwrap().iter().map(|s| s["version"].as_str().unwrap()).collect();
        assert_eq!(applied, ["1", "2"], "{report}");
        assert!(failed.stderr.contains("003_bad.sql:3") && failed.stderr.contains("rolled back"), "{}", failed.stderr);
        let grouped = outcome(&project);
        assert_eq!(grouped, (vec!["1".into(), "2".into()], vec!["3".into()], vec![true, true, false, false, false]));
        assert_eq!(project.sql("SELECT count(*) FROM mongrate_history WHERE status = 'completed'"), "2");

        // One at a time gives the same.
        let alone = Project::new(project.backend);
        write_five_with_a_failing_third(&alone);
        alone.run(&["up", "--group-size", "1"]).expect(1);
        assert_eq!(outcome(&alone), grouped);

        // Fixed, the rest runs as a group; each migration keeps its own record and history entry.
        project.write("003_bad.sql", &table(3));
        project.run(&["up", "--group-size", "2"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 5);
        assert_eq!(project.sql("SELECT count(*) FROM mongrate_history WHERE status = 'completed'"), "5");
        assert_eq!(project.sql("SELECT count(DISTINCT batch) FROM mongrate_migrations"), "2");
        project.run(&["down", "--all"]).expect(0);
        assert!((1..=5).all(|n| !project.has_table(&format!("t{n}"))));
    };

    a_group_larger_than_one_statement_of_records_is_recorded_whole => |project: Project| {
        // More migrations than one changelog statement holds (500 rows).
        for n in 1..=510 {
            project.write(&format!("{n:04}_m.sql"), &format!("-- mongrate:up\nSELECT {n};\n"));
        }
        project.run(&["up", "--group-size", "1000"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM mongrate_migrations WHERE status = 'completed'"), "510");
        assert_eq!(project.sql("SELECT count(*) FROM mongrate_history"), "510");
    };

    a_no_transaction_migration_breaks_the_group => |project: Project| {
        project.write("001_t1.sql", &table(1));
        project.write("002_t2.sql", &format!("-- mongrate:no-transaction\n{}", table(2)));
        project.write("003_t3.sql", &table(3));
        let report = project.run(&["up", "--json"]).expect(0).json();
        assert_eq!(report["steps"].as_array().unwrap().len(), 3);
        assert!((1..=3).all(|n| project.has_table(&format!("t{n}"))));
    };
}

#[test]
fn the_group_size_must_be_positive() {
    let project = Project::new(Backend::Sqlite);
    let refused = project.run(&["up", "--group-size", "0"]).expect(2);
    assert!(refused.stderr.contains("--group-size"), "{}", refused.stderr);
}
