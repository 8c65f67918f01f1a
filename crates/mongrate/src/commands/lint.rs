//! `mongrate lint [--all]`: what pending migrations would do badly, before they run. The check
//! every run makes first is `mongrate::lint_gate`.

use std::collections::BTreeSet;

use mongrate_core::lint::{LintOptions, Severity};
use mongrate_core::record::{MigrationRecord, MigrationStatus};
use mongrate_core::{Migration, Result, Version};

use crate::cli::LintArgs;
use crate::commands::Context;

pub async fn run(context: &Context, args: &LintArgs) -> Result<i32> {
    let migrator = context.migrator().await?;
    let records = migrator.target().records().await?;
    let applied = applied_versions(&records);
    let selected: Vec<Migration> =
        migrator.migrations().iter().filter(|m| args.all || !applied.contains(&m.version())).cloned().collect();
    let options = LintOptions { errors_only: false, applied };
    let report = migrator.target().lint(&selected, &options).await?;
    let mut json = serde_json::to_value(&report).unwrap_or_default();
    json["errors"] = report.count(Severity::Error).into();
    json["warnings"] = report.count(Severity::Warning).into();
    context.output.json_value(&json);
    if selected.is_empty() {
        context.output.line("nothing to lint: no pending migrations (`mongrate lint --all` checks every migration)");
        return Ok(0);
    }
    for finding in &report.findings {
        context.output.line(finding.to_string());
    }
    for unchecked in &report.unchecked {
        context.output.line(format!("{}:{}: note: not checked: {}", unchecked.file, unchecked.line, unchecked.reason));
    }
    context.output.line(report.summary());
    Ok(report.exit_code())
}

/// Versions whose `up` has run (a `down` may have started on them).
fn applied_versions(records: &[MigrationRecord]) -> BTreeSet<Version> {
    records
        .iter()
        .filter(|r| {
            matches!(r.status, MigrationStatus::Completed | MigrationStatus::Reverting | MigrationStatus::DownFailed)
        })
        .map(|r| r.version.clone())
        .collect()
}
