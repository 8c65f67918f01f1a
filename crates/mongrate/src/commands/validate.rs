//! `mongrate validate`: files parse, and agree with the changelog.

use mongrate_core::plan::{PlanRequest, plan};
use mongrate_core::validation::{blocked_message, blocking_records, drift_message, find_drift};
use mongrate_core::{Error, ErrorKind, Result};

use crate::commands::Context;

pub async fn run(context: &Context) -> Result<i32> {
    // Loading parses every file; a file that cannot be loaded fails validation, with all the
    // problems at once.
    let migrator = context.migrator().await?;
    let migrations = migrator.migrations();
    mongrate::connect::every_file_loaded(migrations.to_vec())?;
    let records = migrator.target().records().await?;
    let drift = find_drift(&migrations, &records);
    if !drift.is_empty() {
        return Err(Error::new(ErrorKind::Drift, drift_message(&drift)));
    }
    // Out-of-order files are found by planning an `up`.
    let request = PlanRequest::Up { to: None, allow_out_of_order: false, retry: true, restart: None, phase: None };
    let pending = plan(&migrations, &records, &request)?.steps.len();
    let blocking = blocking_records(&records);
    context.output.json_value(&serde_json::json!({
        "valid": true,
        "migrations": migrations.len(),
        "layout": migrator.layout(),
        "pending": pending,
        "blocked": !blocking.is_empty(),
    }));
    context.output.line(format!(
        "ok: {} migrations parse ({} layout), applied checksums match, {pending} pending",
        migrations.len(),
        migrator.layout()
    ));
    if !blocking.is_empty() {
        context.output.line(format!("warning: {}", blocked_message(&blocking, &records)));
    }
    Ok(0)
}
