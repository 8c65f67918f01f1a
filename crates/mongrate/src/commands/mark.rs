//! `mongrate mark <version> --applied|--pending`: baseline and manual fixes, recorded in history.

use mongrate_core::host::AppliedBy;
use mongrate_core::maintenance::{mark_applied, mark_pending};
use mongrate_core::{Error, Result, Version};

use crate::cli::MarkArgs;
use crate::commands::Context;

pub async fn run(context: &Context, args: &MarkArgs) -> Result<i32> {
    let version = Version::parse(&args.version).map_err(Error::config)?;
    if args.through && !args.applied {
        return Err(Error::config("--through goes with --applied"));
    }
    let migrator = context.migrator().await?;
    let target = migrator.target();
    let edits = context
        .exclusively(target, "mongrate mark", async || {
            let records = target.records().await?;
            let by = AppliedBy::current();
            let edits = if args.applied {
                mark_applied(&migrator.migrations(), &records, version, args.through, &by)?
            } else {
                mark_pending(&records, version, &by)?
            };
            for (record, history) in &edits {
                target.write_record(Some(record), history).await?;
            }
            Ok(edits)
        })
        .await?;
    for (record, _) in &edits {
        context.output.line(format!("marked {} {} as {}", record.version, record.name, record.status));
    }
    context.output.json_value(&edits.iter().map(|(record, _)| record).collect::<Vec<_>>());
    Ok(0)
}
