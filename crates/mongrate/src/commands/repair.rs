//! `mongrate repair`: accept applied files that were changed on purpose.

use mongrate_core::Result;
use mongrate_core::host::AppliedBy;
use mongrate_core::maintenance::repair;

use crate::commands::Context;

pub async fn run(context: &Context) -> Result<i32> {
    let migrator = context.migrator().await?;
    let target = migrator.target();
    let (repaired, unfixable) = context
        .exclusively(target, "mongrate repair", async || {
            let records = target.records().await?;
            let (edits, unfixable) = repair(&migrator.migrations(), &records, &AppliedBy::current());
            for (record, history) in &edits {
                target.write_record(Some(record), history).await?;
            }
            Ok((edits, unfixable))
        })
        .await?;
    for (record, _) in &repaired {
        context.output.line(format!("recorded the new checksum of {} {}", record.version, record.name));
    }
    for drift in &unfixable {
        context.output.line(format!(
            "not repaired: {drift}; restore the file, or `mongrate mark {} --pending` to forget it",
            drift.version()
        ));
    }
    if repaired.is_empty() && unfixable.is_empty() {
        context.output.line("nothing to repair: every applied file matches its checksum");
    }
    context.output.json_value(&serde_json::json!({
        "repaired": repaired.iter().map(|(r, _)| r.version.to_string()).collect::<Vec<_>>(),
        "unfixable": unfixable.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
    }));
    Ok(if unfixable.is_empty() { 0 } else { 4 })
}
