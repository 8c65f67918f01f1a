//! The check a run makes before it takes the lock: the migrations it would apply, linted with the
//! rules that can find an error. The CLI's `up`/`migrate`, the HTTP API, auto-run and
//! [`Migrator::up`] all pass through it.

use std::collections::BTreeSet;

use mongrate_core::lint::{LintOptions, LintReport, Severity};
use mongrate_core::plan::{Direction, PlanRequest, plan};
use mongrate_core::{Error, Migration, Result};

use crate::Migrator;

/// `up`'s check before it takes the lock: the migrations the request would apply, linted with
/// the rules that can find an error. A refusal names every error and applies nothing. A request
/// the plan refuses (drift, a failed run) is left to the run, which says why.
pub async fn check(migrator: &Migrator, request: &PlanRequest) -> Result<()> {
    let records = migrator.target().records().await?;
    let migrations = migrator.migrations();
    let Ok(planned) = plan(&migrations, &records, request) else {
        return Ok(());
    };
    let pending: Vec<Migration> =
        planned.steps.into_iter().filter(|step| step.direction == Direction::Up).map(|step| step.migration).collect();
    if pending.is_empty() {
        return Ok(());
    }
    let options = LintOptions { errors_only: true, applied: BTreeSet::new() };
    let report = migrator.target().lint(&pending, &options).await?;
    match refusal(&report) {
        Some(message) => Err(Error::refused(message)),
        None => Ok(()),
    }
}

/// The message of a run refused by lint errors; `None` when there are none.
fn refusal(report: &LintReport) -> Option<String> {
    let errors: Vec<String> =
        report.findings.iter().filter(|f| f.severity == Severity::Error).map(ToString::to_string).collect();
    if errors.is_empty() {
        return None;
    }
    Some(format!(
        "lint found {} in the migrations to apply, so nothing was applied:\n{}\n\
         Mend the migration; or, if it is right as it is, silence the rule for it (`-- mongrate:lint-ignore RULE` on \
         the line before the SQL statement, `lintIgnore: [RULE]` in a YAML/JSON file) or run with --no-lint.",
        if errors.len() == 1 { "an error".to_owned() } else { format!("{} errors", errors.len()) },
        errors.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongrate_core::Version;
    use mongrate_core::lint::{Finding, Rule};
    use std::path::Path;

    #[test]
    fn a_refusal_lists_every_error_and_the_ways_out() {
        let warning = Finding::warning(Path::new("m/2_a.sql"), Version::number(2), 3, Rule::NoLockTimeout, "locks");
        assert_eq!(refusal(&LintReport { findings: vec![warning.clone()], ..LintReport::default() }), None);
        let error =
            Finding::warning(Path::new("m/2_a.sql"), Version::number(2), 4, Rule::NotNullWithoutDefault, "fails")
                .into_error();
        let message = refusal(&LintReport { findings: vec![warning, error], ..LintReport::default() }).unwrap();
        assert!(message.starts_with("lint found an error in the migrations to apply, so nothing was applied:\n"));
        assert!(message.contains("m/2_a.sql:4: error[not-null-without-default]: fails\n  fix: "), "{message}");
        assert!(!message.contains("no-lock-timeout"), "{message}");
        assert!(message.contains("--no-lint") && message.contains("-- mongrate:lint-ignore"), "{message}");
    }
}
