//! The runner against the in-memory target on paused time: clean runs, failure recording, a lease
//! lost mid-run, late heartbeats, interrupts, waiting for the lease, and its release on every path.

use std::sync::{Arc, LazyLock};

use tokio::sync::{Notify, watch};
use tokio::time::sleep;

use super::*;
use crate::lease::LeaseStore;
use crate::plan::DownScope;
use crate::record::HistoryAction::{Down, Up};
use crate::record::MigrationStatus::{Completed, DownFailed, Failed, Running};
use crate::record::{HistoryAction, HistoryOutcome};
use crate::testing::{Behaviour, MemoryTarget, RecordingReporter, migrations, other_claim};

const TTL: Duration = Duration::from_secs(30);
const SECOND: Duration = Duration::from_secs(1);
const UP: PlanRequest =
    PlanRequest::Up { to: None, allow_out_of_order: false, retry: false, restart: None, phase: None };

static SETTINGS: LazyLock<RunSettings> = LazyLock::new(|| RunSettings {
    lock_ttl: TTL,
    lock_timeout: Duration::from_secs(10),
    lock_poll: SECOND,
    dry_run: false,
    reason: "test run".into(),
    group_size: crate::grouping::DEFAULT_GROUP_SIZE,
    continue_on_error: false,
});

fn runner<'a>(target: &'a MemoryTarget, migrations: &'a [Migration], reporter: &'a RecordingReporter) -> Runner<'a> {
    Runner { target, migrations, settings: &SETTINGS, reporter, interrupt: None }
}

/// The versions of the steps a report lists.
fn applied(report: Option<&RunReport>) -> Vec<String> {
    report.map(|r| r.steps.iter().map(|s| s.version.clone()).collect()).unwrap_or_default()
}

fn completed_up(version: i64) -> (i64, HistoryAction, HistoryOutcome, Option<String>) {
    (version, Up, HistoryOutcome::Completed, None)
}

#[tokio::test(start_paused = true)]
async fn a_clean_run_applies_every_step_in_order_and_frees_the_lease() {
    let target = MemoryTarget::new();
    target.script(2, Behaviour::Take(Duration::from_secs(5)));
    let files = migrations(&[true, false, true]);
    let reporter = RecordingReporter::new();
    let report = runner(&target, &files, &reporter).run(UP).await.unwrap();
    assert_eq!(applied(Some(&report)), ["1", "2", "3"]);
    let times: Vec<i64> = report.steps.iter().map(|s| s.execution_time).collect();
    assert_eq!(times, [0, 5000, 0]);
    assert_eq!(target.statuses(), [(1, Completed, false), (2, Completed, false), (3, Completed, false)]);
    assert!((1..=3).all(|v| target.record(v).unwrap().batch == 1));
    assert_eq!(target.attempts(), [completed_up(1), completed_up(2), completed_up(3)]);
    let steps = ["up 1 started", "up 1 completed", "up 2 started", "up 2 completed", "up 3 started", "up 3 completed"];
    assert_eq!(reporter.events(), [&["lock acquired"][..], &steps].concat());
    assert_eq!(target.lease.owner(), None);
    // Nothing pending: the next run takes no lease and runs nothing.
    assert_eq!(runner(&target, &files, &reporter).run(UP).await, Ok(RunReport::default()));
    assert_eq!(target.started().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn continue_on_error_runs_the_rest_and_lists_every_failure() {
    let target = MemoryTarget::new();
    target.script(2, Behaviour::Fail(FailureEffect::RolledBack, "syntax error at line 3"));
    target.script(4, Behaviour::Fail(FailureEffect::NothingApplied, "no such table"));
    let files = migrations(&[true, true, true, false, true]);
    let reporter = RecordingReporter::new();
    let settings = RunSettings { continue_on_error: true, ..SETTINGS.clone() };
    let runner =
        Runner { target: &target, migrations: &files, settings: &settings, reporter: &reporter, interrupt: None };
    let error = runner.run(UP).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Migration);
    assert!(
        error.message.starts_with("2 migrations failed (the run went on after each failure):\nup 2"),
        "{}",
        error.message
    );
    assert!(error.message.contains("The run went on with the next migrations"), "{}", error.message);
    assert!(!error.message.contains("Later migrations were not run"), "{}", error.message);
    let report = error.report().expect("the report of a failed run");
    assert_eq!(applied(Some(report)), ["1", "3", "5"]);
    let failed: Vec<(&str, ErrorKind)> = report.failures.iter().map(|f| (f.version.as_str(), f.kind)).collect();
    assert_eq!(failed, [("2", ErrorKind::Migration), ("4", ErrorKind::Migration)]);
    assert_eq!(
        target.statuses(),
        [(1, Completed, false), (2, Failed, false), (3, Completed, false), (4, Failed, false), (5, Completed, false)]
    );
    assert_eq!(target.lease.owner(), None);
    // Without it the same run stops at the first failure, which the report lists alone.
    let target = MemoryTarget::new();
    target.script(2, Behaviour::Fail(FailureEffect::RolledBack, "syntax error at line 3"));
    let error = super::tests::runner(&target, &files, &reporter).run(UP).await.unwrap_err();
    let report = error.report().expect("the report of a failed run");
    assert_eq!(applied(Some(report)), ["1"]);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].message, error.message);
}

#[tokio::test(start_paused = true)]
async fn a_failed_up_is_recorded_by_what_it_left_and_stops_the_run() {
    let cases = [
        (true, FailureEffect::RolledBack, "Its transaction was rolled back: nothing of it was applied."),
        (false, FailureEffect::NothingApplied, "It ran without a transaction and failed before changing anything"),
        (false, FailureEffect::Partial, "It ran outside a transaction, so part of it may be applied."),
    ];
    for (transactional, effect, words) in cases {
        let target = MemoryTarget::new();
        target.script(2, Behaviour::Fail(effect, "syntax error at line 3"));
        let files = migrations(&[true, transactional, true]);
        let reporter = RecordingReporter::new();
        let error = runner(&target, &files, &reporter).run(UP).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Migration);
        assert_eq!(
            error.message,
            format!("up 2 (2_step.sql) failed: syntax error at line 3\n{}", what_remains(Direction::Up, effect, false))
        );
        assert!(error.message.contains(words), "{}", error.message);
        assert_eq!(applied(error.report()), ["1"]);
        let partial = effect.is_partial();
        assert_eq!(target.statuses(), [(1, Completed, false), (2, Failed, partial)]);
        let record = target.record(2).unwrap();
        assert_eq!(record.error.as_deref(), Some("syntax error at line 3"));
        assert_eq!(record.is_blocking(), partial);
        let failure = (2, Up, HistoryOutcome::Failed, Some("syntax error at line 3".to_owned()));
        assert_eq!(target.attempts(), [completed_up(1), failure]);
        assert_eq!(target.started(), [(Direction::Up, 1), (Direction::Up, 2)]);
        assert_eq!(reporter.events().last().unwrap(), &format!("up 2 failed ({effect:?})"));
        assert_eq!(target.lease.owner(), None);
        // Once fixed, a failure that left nothing is simply pending again; a partial one blocks.
        target.script(2, Behaviour::Succeed);
        let next = runner(&target, &files, &reporter).run(UP).await;
        let expected = if partial { Err(ErrorKind::Migration) } else { Ok(vec!["2".to_owned(), "3".to_owned()]) };
        assert_eq!(next.map(|r| applied(Some(&r))).map_err(|e| e.kind), expected);
        assert_eq!(target.lease.owner(), None);
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_that_cannot_be_recorded_says_so_and_still_frees_the_lease() {
    let target = MemoryTarget::new();
    target.script(2, Behaviour::Fail(FailureEffect::Partial, "duplicate key"));
    target.fail_record_writes();
    let files = migrations(&[true, false]);
    let reporter = RecordingReporter::new();
    let error = runner(&target, &files, &reporter).run(UP).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Migration);
    assert!(
        error.message.ends_with(
            "`mongrate status` shows the choices.\n\
             The failure could not be recorded either: writing the changelog: connection reset"
        ),
        "{}",
        error.message
    );
    assert_eq!(applied(error.report()), ["1"]);
    // What the target wrote itself stays: 2 is left `running`, which blocks the next run too.
    assert_eq!(target.statuses(), [(1, Completed, false), (2, Running, false)]);
    assert_eq!(target.attempts(), [completed_up(1)]);
    assert_eq!(target.lease.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn a_failed_down_leaves_the_migration_applied() {
    let cases = [(true, FailureEffect::RolledBack, Completed), (false, FailureEffect::Partial, DownFailed)];
    for (transactional, effect, status) in cases {
        let target = MemoryTarget::new();
        let files = migrations(&[true, true, transactional]);
        let reporter = RecordingReporter::new();
        runner(&target, &files, &reporter).run(UP).await.unwrap();
        target.script(3, Behaviour::Fail(effect, "cannot drop column"));
        let down = PlanRequest::Down { scope: DownScope::Steps(2), retry: false };
        let error = runner(&target, &files, &reporter).run(down).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Migration);
        assert_eq!(
            error.message,
            format!("down 3 (3_step.sql) failed: cannot drop column\n{}", what_remains(Direction::Down, effect, false))
        );
        assert!(!error.message.contains("Later migrations"), "{}", error.message);
        assert_eq!(applied(error.report()), Vec::<String>::new());
        // Version 3 stays applied (down-failed when part of it may be reverted); 2 was not reverted.
        assert_eq!(target.statuses(), [(1, Completed, false), (2, Completed, false), (3, status, effect.is_partial())]);
        assert!(target.record(3).unwrap().is_in_database());
        let failure = (3, Down, HistoryOutcome::Failed, Some("cannot drop column".to_owned()));
        assert_eq!(target.attempts()[3..], [failure]);
        assert_eq!(target.lease.owner(), None);
    }
}

/// Runs three migrations while, during the second, the database stops answering the heartbeat
/// and, once the lease expired, another runner takes it over.
async fn run_through_a_takeover(second_transactional: bool) -> (MemoryTarget, Error) {
    let target = MemoryTarget::new();
    let go = Arc::new(Notify::new());
    target.script(2, Behaviour::WaitFor(go.clone()));
    let files = migrations(&[true, second_transactional, true]);
    let reporter = RecordingReporter::new();
    let run = runner(&target, &files, &reporter);
    let take_over = async {
        target.lease.fail_renewals(true);
        sleep(TTL + SECOND).await;
        assert!(target.lease.try_acquire(&other_claim("theirs", TTL)).await.unwrap());
        target.lease.fail_renewals(false);
        go.notify_one();
    };
    let (outcome, ()) = tokio::join!(run.run(UP), take_over);
    let error = outcome.unwrap_err();
    (target, error)
}

#[tokio::test(start_paused = true)]
async fn a_lease_taken_over_while_a_step_runs_stops_the_run_before_the_next() {
    let (target, error) = run_through_a_takeover(false).await;
    assert_eq!(error.kind, ErrorKind::LeaseLost);
    assert!(error.message.starts_with("the migration lock was lost (taken over after expiry"), "{}", error.message);
    assert_eq!(applied(error.report()), ["1", "2"]);
    assert_eq!(target.statuses(), [(1, Completed, false), (2, Completed, false)]);
    assert_eq!(target.started(), [(Direction::Up, 1), (Direction::Up, 2)]);
    // Releasing at the end leaves the new holder's lease alone.
    assert_eq!(target.lease.owner().as_deref(), Some("theirs"));
}

#[tokio::test(start_paused = true)]
async fn a_transactional_step_fenced_out_by_a_takeover_is_rolled_back_as_lease_lost() {
    let (target, error) = run_through_a_takeover(true).await;
    assert_eq!(error.kind, ErrorKind::LeaseLost);
    assert_eq!(
        error.message,
        format!(
            "up 2 (2_step.sql) failed: the migration lock was taken over\n{}",
            what_remains(Direction::Up, FailureEffect::RolledBack, false)
        )
    );
    assert_eq!(applied(error.report()), ["1"]);
    assert_eq!(target.statuses(), [(1, Completed, false), (2, Failed, false)]);
    assert_eq!(target.lease.owner().as_deref(), Some("theirs"));
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_late_by_less_than_a_ttl_lets_the_run_go_on() {
    let target = MemoryTarget::new();
    target.script(1, Behaviour::Take(Duration::from_secs(28)));
    let files = migrations(&[false, false, false]);
    let reporter = RecordingReporter::new();
    let run = runner(&target, &files, &reporter);
    let (outcome, ()) = tokio::join!(run.run(UP), async {
        target.lease.fail_renewals(true);
        sleep(Duration::from_secs(25)).await;
        target.lease.fail_renewals(false);
    });
    assert_eq!(applied(outcome.as_ref().ok()), ["1", "2", "3"]);
    assert_eq!(target.statuses(), [(1, Completed, false), (2, Completed, false), (3, Completed, false)]);
    assert_eq!(target.lease.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_late_by_more_than_a_ttl_loses_the_lease_before_the_next_step() {
    let target = MemoryTarget::new();
    target.script(1, Behaviour::Take(TTL + Duration::from_secs(10)));
    let files = migrations(&[false, false, false]);
    let reporter = RecordingReporter::new();
    target.lease.fail_renewals(true);
    let error = runner(&target, &files, &reporter).run(UP).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::LeaseLost);
    assert_eq!(error.message, "the migration lock could not be renewed: renewing the migration lock: connection reset");
    assert_eq!(applied(error.report()), ["1"]);
    assert_eq!(target.statuses(), [(1, Completed, false)]);
    // Nobody took it over: the runner still releases it.
    assert_eq!(target.lease.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_while_a_step_runs_stops_it_and_records_what_it_left() {
    for (transactional, effect) in [(true, FailureEffect::RolledBack), (false, FailureEffect::Partial)] {
        let target = MemoryTarget::new();
        target.script(1, Behaviour::WaitFor(Arc::new(Notify::new())));
        // The second step outside a transaction: not in the first one's group.
        let files = migrations(&[transactional, false]);
        let reporter = RecordingReporter::new();
        let (signal, interrupt) = watch::channel(false);
        let run = Runner { interrupt: Some(interrupt), ..runner(&target, &files, &reporter) };
        let (outcome, ()) = tokio::join!(run.run(UP), async {
            sleep(Duration::from_secs(5)).await;
            signal.send_replace(true);
        });
        let error = outcome.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Interrupted);
        assert_eq!(
            error.message,
            format!(
                "up 1 (1_step.sql) failed: interrupted (Ctrl-C or a stop signal)\n{}",
                what_remains(Direction::Up, effect, false)
            )
        );
        assert_eq!(applied(error.report()), Vec::<String>::new());
        assert_eq!(target.statuses(), [(1, Failed, effect.is_partial())]);
        assert_eq!(target.record(1).unwrap().execution_time, Some(5000));
        let failure = (1, Up, HistoryOutcome::Failed, Some("interrupted (Ctrl-C or a stop signal)".to_owned()));
        assert_eq!(target.attempts(), [failure]);
        assert_eq!(reporter.events(), ["lock acquired", "up 1 started", &format!("up 1 failed ({effect:?})")]);
        assert_eq!(target.lease.owner(), None);
    }
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_between_steps_stops_before_the_next_one() {
    let target = MemoryTarget::new();
    // A step outside a transaction stands alone, so each step is a group of its own.
    let files = migrations(&[true, false, true]);
    let (signal, interrupt) = watch::channel(false);
    let reporter = RecordingReporter::interrupting_after(1, signal);
    let run = Runner { interrupt: Some(interrupt), ..runner(&target, &files, &reporter) };
    let error = run.run(UP).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Interrupted);
    assert_eq!(error.message, "interrupted (Ctrl-C or a stop signal) before the next migration");
    assert_eq!(applied(error.report()), ["1"]);
    assert_eq!(target.statuses(), [(1, Completed, false)]);
    assert_eq!(target.attempts(), [completed_up(1)]);
    assert_eq!(target.started(), [(Direction::Up, 1)]);
    assert_eq!(target.lease.owner(), None);
}

#[tokio::test(start_paused = true)]
async fn a_lease_held_elsewhere_times_out_naming_its_holder() {
    let target = MemoryTarget::new();
    assert!(target.lease.try_acquire(&other_claim("theirs", Duration::from_secs(600))).await.unwrap());
    let files = migrations(&[true]);
    let reporter = RecordingReporter::new();
    let started = tokio::time::Instant::now();
    let error = runner(&target, &files, &reporter).run(UP).await.unwrap_err();
    assert_eq!(started.elapsed(), SETTINGS.lock_timeout);
    assert_eq!(error.kind, ErrorKind::LockTimeout);
    assert!(error.message.contains("it is held by other-host (pid 4242) since 2026-11-22T09:30:00.000Z"));
    assert_eq!(error.report(), None);
    assert_eq!(reporter.events(), ["waiting for theirs"]);
    assert_eq!(target.started(), []);
    assert_eq!(target.lease.owner().as_deref(), Some("theirs"));
}

#[tokio::test(start_paused = true)]
async fn waiting_ends_when_the_holder_applied_the_work_meanwhile() {
    let target = MemoryTarget::new();
    assert!(target.lease.try_acquire(&other_claim("theirs", Duration::from_secs(600))).await.unwrap());
    let files = migrations(&[true, true]);
    let reporter = RecordingReporter::new();
    let run = runner(&target, &files, &reporter);
    let (outcome, ()) = tokio::join!(run.run(UP), async {
        // The holder applies both migrations (as this runner would) and keeps its lease.
        sleep(Duration::from_secs(3)).await;
        let plan = crate::plan::plan(&files, &target.records().await.unwrap(), &UP).unwrap();
        let who = crate::host::AppliedBy::default();
        for step in &plan.steps {
            let execution = StepExecution {
                step,
                batch: plan.batch,
                applied_by: &who,
                lease_owner: None,
                lease_ttl: TTL,
                lease_watch: Default::default(),
            };
            target.execute(&execution).await.unwrap();
        }
    });
    assert_eq!(outcome, Ok(RunReport::default()));
    assert_eq!(reporter.events(), ["waiting for theirs", "notice: another runner applied the pending migrations"]);
    assert_eq!(target.statuses(), [(1, Completed, false), (2, Completed, false)]);
    assert_eq!(target.lease.owner().as_deref(), Some("theirs"));
}
