//! `mongrate history`: the audit trail, newest first.

use mongrate_core::record::HistoryQuery;
use mongrate_core::{Error, Result};

use crate::cli::HistoryArgs;
use crate::commands::Context;
use crate::output::{duration_ms, table};

pub async fn run(context: &Context, args: &HistoryArgs) -> Result<i32> {
    let query = HistoryQuery::checked(args.limit, args.skip, args.status.as_deref(), args.version.as_deref())
        .map_err(|why| Error::config(format!("--{why}")))?;
    let target = context.target().await?;
    let entries = target.history(&query).await?;
    context.output.json_value(&entries);
    if entries.is_empty() {
        context.output.line("no history yet");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.at.clone(),
                e.action.as_str().to_owned(),
                e.version.to_string(),
                e.name.clone(),
                e.status.as_str().to_owned(),
                duration_ms(e.execution_time),
                format!("{}@{} ({})", e.applied_by.user, e.applied_by.host, e.applied_by.pid),
                e.error.as_deref().map(|m| m.lines().next().unwrap_or_default().to_owned()).unwrap_or_default(),
            ]
        })
        .collect();
    let headers = ["ID", "AT", "ACTION", "VERSION", "NAME", "STATUS", "TIME", "BY", "ERROR"];
    context.output.line(table(&headers, &rows));
    Ok(0)
}
