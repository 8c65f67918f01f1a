//! The plan: a pure function from the changelog, the files and the request to ordered steps.
//!
//! Every refusal happens here, before anything runs: drift, a failed run that blocks, an
//! out-of-order file, reverting an irreversible migration.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::migration::Migration;
use crate::phase::{self, Phase};
use crate::record::{MigrationRecord, MigrationStatus};
use crate::validation::{blocked_message, blocking_records, drift_message, find_drift};
use crate::version::Version;

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much `down` reverts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownScope {
    /// The newest N applied migrations.
    Steps(usize),
    /// Everything above this version.
    To(Version),
    All,
    /// Everything the last `up` run applied.
    LastBatch,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanRequest {
    Up {
        to: Option<Version>,
        allow_out_of_order: bool,
        retry: bool,
        /// Start this unfinished migration over, discarding its batch loops' checkpoint
        /// (`up --restart V`).
        restart: Option<Version>,
        /// `up --phase expand`: stop before the first pending contract migration.
        phase: Option<Phase>,
    },
    Down {
        scope: DownScope,
        /// Run again the down of a migration whose down did not finish (`down --retry`).
        retry: bool,
    },
    /// Go up or down so that exactly the versions up to this one are applied.
    Migrate { to: Version, allow_out_of_order: bool, retry: bool },
}

impl PlanRequest {
    /// The command that asks for it.
    pub fn name(&self) -> &'static str {
        match self {
            PlanRequest::Up { .. } => "up",
            PlanRequest::Down { .. } => "down",
            PlanRequest::Migrate { .. } => "migrate",
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub direction: Direction,
    pub migration: Migration,
    /// The changelog record before this step, if any.
    pub previous: Option<MigrationRecord>,
    /// `up --restart`: the migration starts over; what its stopped run changed is put back from
    /// the backups that run took, where it took any.
    pub restart: bool,
}

/// Ordered steps, and the batch number an `up` run records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub batch: i64,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The batch number after the highest one in the changelog. The numbers are the database's word:
/// one that cannot be followed is an error, not an overflow.
pub fn next_batch(records: &[MigrationRecord]) -> Result<i64> {
    let highest = records.iter().map(|r| r.batch).max().unwrap_or(0);
    highest.checked_add(1).ok_or_else(|| {
        Error::validation(format!(
            "the changelog's highest batch number is {highest}, which no batch can follow; correct the batch column of the changelog"
        ))
    })
}

/// Computes the steps that carry out `request`.
///
/// Repeatable migrations come after the versioned ones, in name order: an `up` applies each one
/// that was never applied or whose file changed since it was, once no versioned migration is left
/// pending. `down` never reverts them.
pub fn plan(migrations: &[Migration], records: &[MigrationRecord], request: &PlanRequest) -> Result<Plan> {
    let batch = next_batch(records)?;
    let steps = match request {
        PlanRequest::Up { to, allow_out_of_order, retry, restart, phase } => {
            if let Some(target) = to {
                ensure_known(target, migrations, records)?;
            }
            let up = Up {
                to: to.as_ref(),
                allow_out_of_order: *allow_out_of_order,
                retry: *retry,
                restart: restart.as_ref(),
            };
            let mut steps = match restart {
                None => plan_up(migrations, records, &up)?,
                Some(version) => plan_up(migrations, &restarting(records, version)?, &up)?,
            };
            if let Some(wanted) = phase {
                let gate = steps.iter().position(|step| phase::stops_before(*wanted, step.migration.meta.phase));
                steps.truncate(gate.unwrap_or(steps.len()));
            }
            steps
        }
        PlanRequest::Down { scope, retry } => plan_down(migrations, records, scope, *retry)?,
        PlanRequest::Migrate { to, allow_out_of_order, retry } => {
            ensure_known(to, migrations, records)?;
            let mut steps = plan_down(migrations, records, &DownScope::To(to.clone()), *retry)?;
            let reverted: Vec<Version> = steps.iter().map(|s| s.migration.version()).collect();
            let remaining: Vec<MigrationRecord> =
                records.iter().filter(|r| !reverted.contains(&r.version)).cloned().collect();
            let up = Up { to: Some(to), allow_out_of_order: *allow_out_of_order, retry: *retry, restart: None };
            // `migrate 0` is "before the first": nothing to apply, not even a version 0.
            if *to != Version::zero() {
                steps.extend(plan_up(migrations, &remaining, &up)?);
            }
            steps
        }
    };
    // A file that cannot be loaded fails the run that needs it, before anything runs.
    let unloadable: Vec<&str> = steps.iter().filter_map(|step| step.migration.load_error.as_deref()).collect();
    if !unloadable.is_empty() {
        return Err(Error::validation(unloadable.join("\n")));
    }
    Ok(Plan { steps, batch })
}

/// The records with `version`'s unfinished run turned into a plain pending one, so its `up` runs
/// from the start: what it changed stays in the database, its checkpoint is forgotten.
fn restarting(records: &[MigrationRecord], version: &Version) -> Result<Vec<MigrationRecord>> {
    let mut records = records.to_vec();
    let record = records
        .iter_mut()
        .find(|r| r.version == *version && matches!(r.status, MigrationStatus::Running | MigrationStatus::Failed));
    let Some(record) = record else {
        return Err(Error::config(format!(
            "--restart {version}: version {version} has no unfinished run to start over (only a migration that is \
             running or failed can be restarted; `mongrate status` shows them)"
        )));
    };
    record.checkpoint = None;
    record.status = MigrationStatus::Failed;
    record.partial = false;
    Ok(records)
}

fn ensure_known(version: &Version, migrations: &[Migration], records: &[MigrationRecord]) -> Result<()> {
    let known = *version == Version::zero()
        || migrations.iter().any(|m| m.file.version == *version)
        || records.iter().any(|r| r.version == *version);
    if known {
        Ok(())
    } else {
        Err(Error::config(format!(
            "version {version} is not a migration here; `mongrate list` shows the versions (0 means before the first)"
        )))
    }
}

/// The options of an `up` plan.
struct Up<'a> {
    to: Option<&'a Version>,
    allow_out_of_order: bool,
    retry: bool,
    restart: Option<&'a Version>,
}

fn plan_up(migrations: &[Migration], records: &[MigrationRecord], up: &Up<'_>) -> Result<Vec<Step>> {
    let drift = find_drift(migrations, records);
    if !drift.is_empty() {
        return Err(Error::new(ErrorKind::Drift, drift_message(&drift)));
    }
    let blocking = blocking_records(records);
    // `up --retry` re-runs an unfinished up; an unfinished down is still applied, so running its
    // up again would apply it twice.
    let unfinished_down = blocking.iter().any(|r| r.is_unfinished_down());
    if !blocking.is_empty() && (!up.retry || unfinished_down) {
        return Err(Error::migration(blocked_message(&blocking, records)));
    }
    let by_version: BTreeMap<&Version, &MigrationRecord> = records.iter().map(|r| (&r.version, r)).collect();
    let newest_applied = records
        .iter()
        .filter(|r| r.status == MigrationStatus::Completed && !r.version.is_repeatable())
        .map(|r| &r.version)
        .max();
    let step = |migration: &Migration, previous: Option<&MigrationRecord>| Step {
        direction: Direction::Up,
        migration: migration.clone(),
        previous: previous.cloned(),
        restart: up.restart == Some(&migration.file.version),
    };
    let (mut repeatables, versioned): (Vec<&Migration>, Vec<&Migration>) =
        migrations.iter().partition(|m| m.file.version.is_repeatable());
    repeatables.sort_by(|a, b| a.file.version.cmp(&b.file.version));
    let mut steps = Vec::new();
    let mut out_of_order = Vec::new();
    let mut left_pending = false;
    for migration in versioned {
        let previous = by_version.get(&migration.file.version).copied();
        let wanted = match previous {
            None => true,
            Some(record) if record.is_blocking() => up.retry,
            Some(record) => record.status != MigrationStatus::Completed,
        };
        if !wanted {
            continue;
        }
        if up.to.is_some_and(|to| migration.file.version > *to) {
            left_pending = true;
            continue;
        }
        if newest_applied.is_some_and(|newest| migration.file.version < *newest) && !up.allow_out_of_order {
            out_of_order.push(migration.file.file_name.clone());
        }
        steps.push(step(migration, previous));
    }
    if !out_of_order.is_empty() {
        let newest = newest_applied.map(|v| v.to_string()).unwrap_or_default();
        return Err(Error::validation(format!(
            "pending migrations are older than the newest applied one ({newest}): {}. \
             Give them newer versions, or apply them anyway with --allow-out-of-order.",
            out_of_order.join(", ")
        )));
    }
    // Repeatables follow the versioned migrations: not while some stay pending (`--to`), since
    // a view or function may need what those add; `--to` a version stops before them all, as they
    // come after every version, and `--to R__name` stops after that one.
    if !left_pending {
        for migration in repeatables {
            if up.to.is_some_and(|to| migration.file.version > *to) {
                continue;
            }
            let previous = by_version.get(&migration.file.version).copied();
            let wanted = match previous {
                None => true,
                Some(record) if record.is_blocking() => up.retry,
                Some(record) => {
                    record.status != MigrationStatus::Completed || record.checksum != migration.file.checksum
                }
            };
            if wanted {
                steps.push(step(migration, previous));
            }
        }
    }
    Ok(steps)
}

fn plan_down(
    migrations: &[Migration],
    records: &[MigrationRecord],
    scope: &DownScope,
    retry: bool,
) -> Result<Vec<Step>> {
    let unfinished: Vec<&MigrationRecord> = records.iter().filter(|r| r.is_unfinished_down()).collect();
    if !unfinished.is_empty() && !retry {
        return Err(Error::migration(blocked_message(&unfinished, records)));
    }
    // Repeatables are not reverted: they are applied again whenever they change.
    let mut applied: Vec<&MigrationRecord> =
        records.iter().filter(|r| r.is_in_database() && !r.version.is_repeatable()).collect();
    applied.sort_by(|a, b| b.version.cmp(&a.version));
    let chosen: Vec<&MigrationRecord> = match scope {
        DownScope::Steps(n) => applied.into_iter().take(*n).collect(),
        // "Before the first" reverts a version 0 too (diesel's initial setup folder).
        DownScope::To(version) if *version == Version::zero() => applied,
        DownScope::To(version) => applied.into_iter().filter(|r| r.version > *version).collect(),
        DownScope::All => applied,
        // The last run's batch, repeatables counted: when that run only applied repeatables again,
        // there is nothing of it to revert (an older batch is not the last run).
        DownScope::LastBatch => {
            let last = records.iter().filter(|r| r.status == MigrationStatus::Completed).map(|r| r.batch).max();
            applied.into_iter().filter(|r| Some(r.batch) == last).collect()
        }
    };
    let files: BTreeMap<&Version, &Migration> = migrations.iter().map(|m| (&m.file.version, m)).collect();
    let drift: Vec<_> = find_drift(migrations, records)
        .into_iter()
        .filter(|d| chosen.iter().any(|r| r.version == *d.version()))
        .collect();
    if !drift.is_empty() {
        return Err(Error::new(ErrorKind::Drift, drift_message(&drift)));
    }
    let mut steps = Vec::new();
    let mut irreversible = Vec::new();
    for record in chosen {
        let Some(migration) = files.get(&record.version) else {
            continue;
        };
        if !migration.meta.reversible {
            irreversible.push(migration.file.file_name.clone());
        }
        steps.push(Step {
            direction: Direction::Down,
            migration: (*migration).clone(),
            previous: Some(record.clone()),
            restart: false,
        });
    }
    if !irreversible.is_empty() {
        return Err(Error::refused(format!(
            "cannot revert {}: no down section, so the migration is irreversible. Nothing was reverted. \
             Write a down section, or use `mongrate mark <version> --pending` if you undid it by hand.",
            irreversible.join(", ")
        )));
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::AppliedBy;
    use crate::migration::{MigrationFile, MigrationMeta};

    fn migration(version: i64, reversible: bool) -> Migration {
        Migration {
            file: MigrationFile {
                version: Version::number(version),
                file_name: format!("{version}_m.sql"),
                slug: "m".into(),
                extension: "sql".into(),
                path: format!("{version}_m.sql").into(),
                content: format!("content {version}"),
                checksum: format!("sum{version}"),
                layout: Default::default(),
                down: None,
                settings: None,
            },
            meta: MigrationMeta {
                name: "m".into(),
                description: None,
                reversible,
                transactional: true,
                backup: Vec::new(),
                phase: Phase::Expand,
                repeatable: false,
            },
            load_error: None,
        }
    }

    fn record(version: i64, status: MigrationStatus, batch: i64) -> MigrationRecord {
        MigrationRecord {
            version: Version::number(version),
            name: "m".into(),
            description: None,
            status,
            applied_at: None,
            rolled_back_at: None,
            execution_time: None,
            error: None,
            partial: status == Failed,
            reversible: true,
            checksum: format!("sum{version}"),
            batch,
            applied_by: AppliedBy::default(),
            checkpoint: None,
            metadata: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn versions(plan: &Plan) -> Vec<(Direction, i64)> {
        plan.steps.iter().map(|s| (s.direction, s.migration.version().as_integer().unwrap())).collect()
    }

    const UP: PlanRequest =
        PlanRequest::Up { to: None, allow_out_of_order: false, retry: false, restart: None, phase: None };
    use Direction::{Down, Up};
    use MigrationStatus::*;

    /// A repeatable migration `R__<name>` whose file has checksum `sum`.
    fn repeatable(name: &str, sum: &str) -> Migration {
        let mut m = migration(1, true);
        m.file.version = Version::repeatable(name);
        m.file.file_name = format!("R__{name}.sql");
        m.file.checksum = sum.into();
        m.meta.repeatable = true;
        m
    }

    fn applied_repeatable(name: &str, sum: &str) -> MigrationRecord {
        let mut r = record(1, Completed, 1);
        r.version = Version::repeatable(name);
        r.checksum = sum.into();
        r
    }

    fn keys(plan: &Plan) -> Vec<String> {
        plan.steps.iter().map(|s| format!("{} {}", s.direction, s.migration.version())).collect()
    }

    #[test]
    fn repeatables_run_after_the_versioned_ones_in_name_order_when_new_or_changed() {
        let files = [migration(1, true), repeatable("views", "v1"), migration(2, true), repeatable("functions", "f1")];
        assert_eq!(keys(&plan(&files, &[], &UP).unwrap()), ["up 1", "up 2", "up R__functions", "up R__views"]);
        // Applied and unchanged: nothing; changed since: again, with its record as the previous one.
        let applied = [
            record(1, Completed, 1),
            record(2, Completed, 1),
            applied_repeatable("functions", "f1"),
            applied_repeatable("views", "v0"),
        ];
        let again = plan(&files, &applied, &UP).unwrap();
        assert_eq!(keys(&again), ["up R__views"]);
        assert_eq!(again.steps[0].previous.as_ref().unwrap().checksum, "v0");
        // Rolled back or marked pending, or failed in a transaction: applied again.
        let mut pending = applied.clone();
        pending[2].status = Pending;
        pending[3].status = Failed;
        pending[3].checksum = "v1".into();
        assert_eq!(keys(&plan(&files, &pending, &UP).unwrap()), ["up R__functions", "up R__views"]);
    }

    #[test]
    fn repeatables_wait_while_a_versioned_migration_stays_pending() {
        let files = [migration(1, true), migration(2, true), repeatable("views", "v1")];
        let to_one = PlanRequest::Up {
            to: Some(Version::number(1)),
            allow_out_of_order: false,
            retry: false,
            restart: None,
            phase: None,
        };
        assert_eq!(keys(&plan(&files, &[], &to_one).unwrap()), ["up 1"]);
        let to_two = PlanRequest::Up {
            to: Some(Version::number(2)),
            allow_out_of_order: false,
            retry: false,
            restart: None,
            phase: None,
        };
        // Repeatables come after every version: `--to` the last version stops before them.
        assert_eq!(keys(&plan(&files, &[], &to_two).unwrap()), ["up 1", "up 2"]);
        let to_views = PlanRequest::Up {
            to: Some(Version::repeatable("views")),
            allow_out_of_order: false,
            retry: false,
            restart: None,
            phase: None,
        };
        let with_more = [migration(1, true), repeatable("views", "v1"), repeatable("zz_reports", "r1")];
        assert_eq!(keys(&plan(&with_more, &[], &to_views).unwrap()), ["up 1", "up R__views"]);
        let migrate = PlanRequest::Migrate { to: Version::number(1), allow_out_of_order: false, retry: false };
        assert_eq!(
            keys(&plan(&files, &[record(1, Completed, 1), record(2, Completed, 1)], &migrate).unwrap()),
            ["down 2"]
        );
    }

    #[test]
    fn repeatables_never_drift_are_never_reverted_and_order_nothing() {
        let files = [migration(1, true), migration(2, true), repeatable("views", "v2")];
        let mut gone = applied_repeatable("reports", "r1");
        gone.batch = 3;
        let records = [record(1, Completed, 1), applied_repeatable("views", "v1"), gone];
        // A changed repeatable is applied again, a vanished one is no drift, and version 2 is not
        // out of order although repeatables were applied after version 1.
        assert_eq!(keys(&plan(&files, &records, &UP).unwrap()), ["up 2", "up R__views"]);
        for scope in [DownScope::All, DownScope::Steps(1), DownScope::To(Version::zero())] {
            let down = plan(&files, &records, &PlanRequest::Down { scope: scope.clone(), retry: false }).unwrap();
            assert_eq!(keys(&down), ["down 1"], "{scope:?}");
        }
        // The last run (batch 3) only applied a repeatable: nothing of it to revert, and batch 1
        // is not the last run.
        let down = plan(&files, &records, &PlanRequest::Down { scope: DownScope::LastBatch, retry: false }).unwrap();
        assert_eq!(keys(&down), Vec::<String>::new());
    }

    #[test]
    fn a_repeatable_that_failed_outside_a_transaction_blocks_with_its_own_choices() {
        let files = [migration(1, true), repeatable("views", "v1")];
        let mut failed = applied_repeatable("views", "v1");
        failed.status = Failed;
        failed.partial = true;
        let records = [record(1, Completed, 1), failed];
        let err = plan(&files, &records, &UP).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Migration);
        assert!(err.message.contains("mongrate mark R__views --applied"), "{}", err.message);
        assert!(!err.message.contains("down --to"), "a repeatable is not reverted: {}", err.message);
        let retry = PlanRequest::Up { to: None, allow_out_of_order: false, retry: true, restart: None, phase: None };
        assert_eq!(keys(&plan(&files, &records, &retry).unwrap()), ["up R__views"]);
    }

    #[test]
    fn a_file_that_cannot_be_loaded_blocks_only_the_runs_that_need_it() {
        let mut broken = migration(1, true);
        broken.load_error = Some("1_m.js: Cannot find module 'gone'".into());
        let files = [broken, migration(2, true)];
        let applied = [record(1, Completed, 1)];
        assert_eq!(versions(&plan(&files, &applied, &UP).unwrap()), [(Up, 2)]);
        let error = plan(&files, &[], &UP).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Validation);
        assert!(error.message.contains("Cannot find module 'gone'"), "{}", error.message);
        let to_first_only = PlanRequest::Down { scope: DownScope::To(Version::number(1)), retry: false };
        assert!(plan(&files, &[record(1, Completed, 1), record(2, Completed, 2)], &to_first_only).is_ok());
        let all = PlanRequest::Down { scope: DownScope::All, retry: false };
        assert!(plan(&files, &[record(1, Completed, 1), record(2, Completed, 2)], &all).is_err());
    }

    #[test]
    fn a_batch_number_no_batch_can_follow_is_refused() {
        let files = [migration(1, true), migration(2, true)];
        let error = plan(&files, &[record(1, Completed, i64::MAX)], &UP).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Validation);
        assert!(error.message.contains(&i64::MAX.to_string()), "{}", error.message);
    }

    #[test]
    fn up_phase_expand_stops_before_the_first_pending_contract_migration() {
        let phased = |version, phase| {
            let mut m = migration(version, true);
            m.meta.phase = phase;
            m
        };
        let files = [
            phased(1, Phase::Expand),
            phased(2, Phase::Contract),
            phased(3, Phase::Migrate),
            phased(4, Phase::Contract),
            phased(5, Phase::Expand),
        ];
        let up_to = |phase| PlanRequest::Up {
            to: None,
            allow_out_of_order: false,
            retry: false,
            restart: None,
            phase: Some(phase),
        };
        // An applied contract migration does not stop anything; the first pending one does.
        let records = [record(1, Completed, 1), record(2, Completed, 1)];
        assert_eq!(versions(&plan(&files, &records, &up_to(Phase::Expand)).unwrap()), [(Up, 3)]);
        assert_eq!(versions(&plan(&files, &records, &up_to(Phase::Migrate)).unwrap()), [(Up, 3)]);
        assert_eq!(versions(&plan(&files, &records, &up_to(Phase::Contract)).unwrap()), [(Up, 3), (Up, 4), (Up, 5)]);
        assert_eq!(versions(&plan(&files, &records, &UP).unwrap()), [(Up, 3), (Up, 4), (Up, 5)]);
        // With a contract migration first in line, an expand run applies nothing.
        assert!(plan(&files, &[record(1, Completed, 1)], &up_to(Phase::Expand)).unwrap().is_empty());
    }

    #[test]
    fn up_applies_pending_in_order() {
        let files = [migration(3, true), migration(1, true), migration(2, true)];
        let mut sorted = files.to_vec();
        sorted.sort_by_key(Migration::version);
        let plan = plan(&sorted, &[record(1, Completed, 1)], &UP).unwrap();
        assert_eq!(versions(&plan), [(Up, 2), (Up, 3)]);
        assert_eq!(plan.batch, 2);
    }

    #[test]
    fn nothing_pending_is_an_empty_plan() {
        let plan = plan(&[migration(1, true)], &[record(1, Completed, 1)], &UP).unwrap();
        assert!(plan.is_empty());
    }

    #[test]
    fn rolled_back_and_marked_pending_count_as_pending() {
        let files = [migration(1, true), migration(2, true)];
        let plan = plan(&files, &[record(1, RolledBack, 1), record(2, Pending, 1)], &UP).unwrap();
        assert_eq!(versions(&plan), [(Up, 1), (Up, 2)]);
    }

    #[test]
    fn up_to_stops_at_the_target() {
        let files = [migration(1, true), migration(2, true), migration(3, true)];
        let request = PlanRequest::Up {
            to: Some(Version::number(2)),
            allow_out_of_order: false,
            retry: false,
            restart: None,
            phase: None,
        };
        assert_eq!(versions(&plan(&files, &[], &request).unwrap()), [(Up, 1), (Up, 2)]);
        let unknown = PlanRequest::Up {
            to: Some(Version::number(7)),
            allow_out_of_order: false,
            retry: false,
            restart: None,
            phase: None,
        };
        assert_eq!(plan(&files, &[], &unknown).unwrap_err().kind, ErrorKind::Config);
    }

    #[test]
    fn out_of_order_is_refused_unless_allowed() {
        let files = [migration(1, true), migration(2, true)];
        let records = [record(2, Completed, 1)];
        let err = plan(&files, &records, &UP).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(err.message.contains("1_m.sql"), "{}", err.message);
        let allowed = PlanRequest::Up { to: None, allow_out_of_order: true, retry: false, restart: None, phase: None };
        assert_eq!(versions(&plan(&files, &records, &allowed).unwrap()), [(Up, 1)]);
    }

    #[test]
    fn changed_or_missing_applied_file_is_drift() {
        let mut changed = migration(1, true);
        changed.file.checksum = "other".into();
        let err = plan(&[changed], &[record(1, Completed, 1)], &UP).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Drift);
        assert!(err.message.contains("changed after it was applied"), "{}", err.message);

        let err = plan(&[migration(2, true)], &[record(1, Completed, 1)], &UP).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Drift);
        assert!(err.message.contains("file is missing"), "{}", err.message);
    }

    #[test]
    fn failed_or_running_blocks_up_with_choices() {
        let files = [migration(1, true), migration(2, true), migration(3, true)];
        for status in [Failed, Running] {
            let records = [record(1, Completed, 1), record(2, status, 2)];
            let err = plan(&files, &records, &UP).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Migration);
            for choice in ["mongrate down --to 1", "mark 2 --applied", "mark 2 --pending", "up --retry"] {
                assert!(err.message.contains(choice), "{choice} missing from {}", err.message);
            }
            let retry =
                PlanRequest::Up { to: None, allow_out_of_order: false, retry: true, restart: None, phase: None };
            assert_eq!(versions(&plan(&files, &records, &retry).unwrap()), [(Up, 2), (Up, 3)]);
        }
    }

    #[test]
    fn a_failure_inside_a_transaction_left_nothing_and_is_pending_again() {
        let files = [migration(1, true), migration(2, true)];
        let mut failed = record(2, Failed, 2);
        failed.partial = false;
        let records = [record(1, Completed, 1), failed];
        assert_eq!(versions(&plan(&files, &records, &UP).unwrap()), [(Up, 2)]);
        let down = plan(&files, &records, &PlanRequest::Down { scope: DownScope::Steps(1), retry: false }).unwrap();
        assert_eq!(versions(&down), [(Down, 1)]);
    }

    #[test]
    fn a_failed_file_may_be_edited_before_retry() {
        let mut fixed = migration(1, true);
        fixed.file.checksum = "fixed".into();
        let retry = PlanRequest::Up { to: None, allow_out_of_order: false, retry: true, restart: None, phase: None };
        assert_eq!(versions(&plan(&[fixed], &[record(1, Failed, 1)], &retry).unwrap()), [(Up, 1)]);
    }

    const CHECKPOINT: &str = r#"{"loops": {"0": {"processed": 3000, "total": 10000}}}"#;

    #[test]
    fn a_checkpointed_run_is_resumed_by_plain_up_with_its_checkpoint() {
        let files = [migration(1, true), migration(2, true), migration(3, true)];
        for status in [Failed, Running] {
            let mut stopped = record(2, status, 2);
            stopped.checkpoint = Some(CHECKPOINT.into());
            let records = [record(1, Completed, 1), stopped];
            let planned = plan(&files, &records, &UP).unwrap();
            assert_eq!(versions(&planned), [(Up, 2), (Up, 3)]);
            let previous = planned.steps[0].previous.as_ref().unwrap();
            assert_eq!(previous.checkpoint.as_deref(), Some(CHECKPOINT), "the step resumes from the checkpoint");
        }
    }

    #[test]
    fn a_checkpoint_without_loops_is_not_a_resume() {
        let mut stopped = record(1, Running, 1);
        stopped.checkpoint = Some(r#"{"loops": {}}"#.into());
        let err = plan(&[migration(1, true)], &[stopped], &UP).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Migration, "{}", err.message);
    }

    #[test]
    fn restart_forgets_the_checkpoint_of_that_migration_only() {
        let files = [migration(1, true), migration(2, true)];
        let mut stopped = record(2, Failed, 2);
        stopped.checkpoint = Some(CHECKPOINT.into());
        let records = [record(1, Completed, 1), stopped];
        let restart = PlanRequest::Up {
            to: None,
            allow_out_of_order: false,
            retry: false,
            restart: Some(Version::number(2)),
            phase: None,
        };
        let planned = plan(&files, &records, &restart).unwrap();
        assert_eq!(versions(&planned), [(Up, 2)]);
        assert_eq!(planned.steps[0].previous.as_ref().unwrap().checkpoint, None);
        assert!(planned.steps[0].restart, "the step knows it starts over");
        // An interrupted migration without a checkpoint may be restarted too (a retry of it alone).
        let records = [record(1, Completed, 1), record(2, Running, 2)];
        assert_eq!(versions(&plan(&files, &records, &restart).unwrap()), [(Up, 2)]);
    }

    #[test]
    fn restart_of_a_migration_without_an_unfinished_run_is_refused() {
        let files = [migration(1, true)];
        let restart = PlanRequest::Up {
            to: None,
            allow_out_of_order: false,
            retry: false,
            restart: Some(Version::number(1)),
            phase: None,
        };
        for records in [vec![record(1, Completed, 1)], vec![]] {
            let err = plan(&files, &records, &restart).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Config);
            assert!(err.message.contains("no unfinished run"), "{}", err.message);
        }
    }

    fn applied_three() -> (Vec<Migration>, Vec<MigrationRecord>) {
        let files = vec![migration(1, true), migration(2, true), migration(3, true), migration(4, true)];
        let records = vec![record(1, Completed, 1), record(2, Completed, 2), record(3, Completed, 2)];
        (files, records)
    }

    #[test]
    fn down_variants() {
        let (files, records) = applied_three();
        let down = |scope| plan(&files, &records, &PlanRequest::Down { scope, retry: false }).unwrap();
        assert_eq!(versions(&down(DownScope::Steps(1))), [(Down, 3)]);
        assert_eq!(versions(&down(DownScope::Steps(2))), [(Down, 3), (Down, 2)]);
        assert_eq!(versions(&down(DownScope::To(Version::number(1)))), [(Down, 3), (Down, 2)]);
        assert_eq!(versions(&down(DownScope::All)), [(Down, 3), (Down, 2), (Down, 1)]);
        assert_eq!(versions(&down(DownScope::LastBatch)), [(Down, 3), (Down, 2)]);
        assert!(down(DownScope::To(Version::number(3))).is_empty());
    }

    #[test]
    fn down_includes_a_failed_migration() {
        let files = [migration(1, true), migration(2, true)];
        let records = [record(1, Completed, 1), record(2, Failed, 2)];
        let plan = plan(&files, &records, &PlanRequest::Down { scope: DownScope::Steps(1), retry: false }).unwrap();
        assert_eq!(versions(&plan), [(Down, 2)]);
    }

    #[test]
    fn reverting_an_irreversible_migration_is_refused_before_anything() {
        let files = [migration(1, true), migration(2, false), migration(3, true)];
        let records = [record(1, Completed, 1), record(2, Completed, 1), record(3, Completed, 1)];
        let err = plan(&files, &records, &PlanRequest::Down { scope: DownScope::All, retry: false }).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Refused);
        assert!(err.message.contains("2_m.sql"), "{}", err.message);
        // Reverting only the newest one is fine.
        let ok = plan(&files, &records, &PlanRequest::Down { scope: DownScope::Steps(1), retry: false }).unwrap();
        assert_eq!(versions(&ok), [(Down, 3)]);
    }

    #[test]
    fn down_of_a_changed_file_is_drift() {
        let (mut files, records) = applied_three();
        files[2].file.checksum = "edited".into();
        let err = plan(&files, &records, &PlanRequest::Down { scope: DownScope::Steps(1), retry: false }).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Drift);
    }

    #[test]
    fn migrate_goes_up_or_down() {
        let (files, records) = applied_three();
        let to = |v| PlanRequest::Migrate { to: Version::number(v), allow_out_of_order: false, retry: false };
        assert_eq!(versions(&plan(&files, &records, &to(4)).unwrap()), [(Up, 4)]);
        assert_eq!(versions(&plan(&files, &records, &to(1)).unwrap()), [(Down, 3), (Down, 2)]);
        assert_eq!(versions(&plan(&files, &records, &to(0)).unwrap()), [(Down, 3), (Down, 2), (Down, 1)]);
        assert!(plan(&files, &records, &to(3)).unwrap().is_empty());
        assert_eq!(plan(&files, &records, &to(9)).unwrap_err().kind, ErrorKind::Config);
    }

    #[test]
    fn migrate_down_then_up_when_both_are_needed() {
        let files = [migration(1, true), migration(2, true), migration(3, true)];
        let records = [record(1, Completed, 1), record(3, Completed, 1)];
        let request = PlanRequest::Migrate { to: Version::number(2), allow_out_of_order: false, retry: false };
        assert_eq!(versions(&plan(&files, &records, &request).unwrap()), [(Down, 3), (Up, 2)]);
    }
}
