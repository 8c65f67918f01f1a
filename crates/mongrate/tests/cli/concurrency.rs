//! Several runners at once, and a runner that dies holding the lease.

use std::time::{Duration, Instant};

use crate::on_both;
use crate::support::{Backend, Project};

fn write_counter_migrations(project: &Project) {
    project.write(
        "001_counter.sql",
        "-- mongrate:up\nCREATE TABLE counter (n INTEGER NOT NULL);\n-- mongrate:down\nDROP TABLE counter;\n",
    );
    project.write(
        "002_slow.sql",
        &format!(
            "-- mongrate:up\n{}\nINSERT INTO counter VALUES (2);\n-- mongrate:down\nDELETE FROM counter WHERE n = 2;\n",
            project.slow_statement(2)
        ),
    );
    project.write(
        "003_more.sql",
        "-- mongrate:up\nINSERT INTO counter VALUES (3);\n-- mongrate:down\nDELETE FROM counter WHERE n = 3;\n",
    );
}

fn wait_for_lock_holder(project: &Project) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = project.run(&["lock", "status", "--json"]);
        if status.code == 0 && !status.json()["locked"].is_null() {
            return;
        }
        assert!(Instant::now() < deadline, "the first runner never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
}

on_both! {
    six_runners_started_together_apply_each_migration_once => |project: Project| {
        write_counter_migrations(&project);
        let runners: Vec<_> = (0..6).map(|_| project.spawn(&["up", "--lock-timeout", "120"])).collect();
        for runner in runners {
            runner.finish().expect(0);
        }
        assert_eq!(project.sql("SELECT count(*) FROM counter WHERE n = 2"), "1");
        assert_eq!(project.sql("SELECT count(*) FROM counter WHERE n = 3"), "1");
        let history = project.run(&["history", "--json"]).expect(0).json();
        assert_eq!(history.as_array().unwrap().len(), 3, "one history entry per migration: {history}");
        assert!(project.run(&["lock", "status", "--json"]).expect(0).json()["locked"].is_null());
    };

    a_killed_holder_is_taken_over_after_its_lease_expires => |project: Project| {
        write_counter_migrations(&project);
        let holder = project.spawn(&["up", "--lock-ttl", "2"]);
        wait_for_lock_holder(&project);
        std::thread::sleep(Duration::from_millis(300));
        holder.kill();

        let held = project.run(&["lock", "status", "--json"]).expect(0).json();
        assert!(!held["locked"].is_null(), "a killed runner cannot release its lease");
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["locked"]["owner"], held["locked"]["owner"], "status reads the same lock: {status}");
        assert_eq!(status["locked"]["pid"], held["locked"]["pid"]);

        let successor = project.run(&["up", "--lock-ttl", "2", "--lock-timeout", "60"]).expect(0);
        if held["locked"]["expired"] == false {
            assert!(successor.stderr.contains("waiting for the migration lock"), "{}", successor.stderr);
        }
        assert_eq!(project.sql("SELECT count(*) FROM counter WHERE n = 2"), "1");
        assert_eq!(project.sql("SELECT count(*) FROM counter WHERE n = 3"), "1");
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 3);
        assert!(status["locked"].is_null());
    };
}

#[test]
fn a_runner_that_loses_its_lease_stops_before_the_next_migration() {
    // The lease is taken from under a running `up` (as `lock release --confirm` and another
    // runner would): the migration in flight is rolled back at its fence, nothing after it runs.
    let project = Project::new(Backend::Postgres);
    write_counter_migrations(&project);
    let runner = project.spawn(&["up", "--lock-ttl", "30", "--group-size", "1"]);
    wait_for_lock_holder(&project);
    project.sql("UPDATE mongrate_lock SET owner = 'intruder'");
    let run = runner.finish().expect(1);
    assert!(run.stderr.contains("lock"), "{}", run.stderr);
    assert_eq!(project.sql("SELECT count(*) FROM counter WHERE n = 3"), "0", "nothing ran after the loss");
}

#[test]
fn a_runner_that_loses_its_lease_commits_nothing_of_its_group() {
    // Grouped, the fence is checked once, at the group's commit: the whole group is rolled back,
    // and runs again under whoever holds the lease.
    let project = Project::new(Backend::Postgres);
    write_counter_migrations(&project);
    let runner = project.spawn(&["up", "--lock-ttl", "30"]);
    wait_for_lock_holder(&project);
    project.sql("UPDATE mongrate_lock SET owner = 'intruder'");
    let run = runner.finish().expect(1);
    assert!(run.stderr.contains("lock was taken over") && run.stderr.contains("rolled back"), "{}", run.stderr);
    assert_eq!(project.sql("SELECT to_regclass('counter') IS NULL"), "t", "the group was rolled back whole");
    assert_eq!(project.sql("SELECT count(*) FROM mongrate_history WHERE status = 'completed'"), "0");
}

#[test]
fn ctrl_c_stops_the_running_migration_records_it_and_frees_the_lock() {
    let project = Project::new(Backend::Postgres);
    write_counter_migrations(&project);
    let runner = project.spawn(&["up"]);
    wait_for_lock_holder(&project);
    std::thread::sleep(Duration::from_millis(300));
    let interrupted = std::process::Command::new("kill").args(["-INT", &runner.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let run = runner.finish().expect(1);
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["failed"][0]["version"], "2", "the interrupted migration is recorded: {status}");
    assert!(status["locked"].is_null(), "the lock is released");
    assert_eq!(project.sql("SELECT count(*) FROM counter"), "0", "its transaction was rolled back");
    // Nothing of it was applied, so the next run simply runs it.
    project.run(&["up"]).expect(0);
    assert_eq!(project.sql("SELECT count(*) FROM counter"), "2");
}
