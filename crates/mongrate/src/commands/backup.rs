//! `mongrate backup list | create | restore | drop | prune`: backups of collections (tables),
//! the ones migrations take and ones taken by hand. Everything that writes runs under the
//! migration lock, so it never interleaves with a run.

use mongrate_core::backup::{BackupInfo, human_size};
use mongrate_core::{Error, Result, Target};

use crate::commands::Context;
use crate::output::table;

pub async fn list(context: &Context) -> Result<i32> {
    let target = context.target().await?;
    let backups = target.backups().await?;
    context.output.json_value(&backups);
    if backups.is_empty() {
        context.output.line("no backups");
    } else {
        context.output.line(listing(&backups, target.as_ref()));
    }
    Ok(0)
}

pub async fn create(context: &Context, collection: &str) -> Result<i32> {
    let target = context.target().await?;
    let target = target.as_ref();
    let backup = context.exclusively(target, "backup create", async || target.create_backup(collection).await).await?;
    context.output.json_value(&backup);
    context.output.line(format!(
        "backed up {} to {} ({})",
        backup.collection,
        backup.name,
        amount(&backup, target.kind().unit())
    ));
    Ok(0)
}

pub async fn restore(context: &Context, name: &str, to: Option<&str>) -> Result<i32> {
    let target = context.target().await?;
    let target = target.as_ref();
    let report = context.exclusively(target, "backup restore", async || target.restore_backup(name, to).await).await?;
    context.output.json_value(&report);
    let unit = target.kind().unit();
    let plural = if report.documents == 1 { "" } else { "s" };
    context.output.line(format!(
        "restored {} from {} ({} {unit}{plural}, with its indexes and options)",
        report.collection, report.backup, report.documents
    ));
    Ok(0)
}

pub async fn drop(context: &Context, name: &str) -> Result<i32> {
    let target = context.target().await?;
    let target = target.as_ref();
    let dropped = context.exclusively(target, "backup drop", async || target.drop_backup(name).await).await?;
    context.output.json_value(&serde_json::json!({ "dropped": dropped }));
    context.output.line(format!("dropped backup {} of {}", dropped.name, dropped.collection));
    Ok(0)
}

pub async fn prune(context: &Context, keep: Option<u32>) -> Result<i32> {
    let keep = match (keep, context.settings.backup.retain) {
        (Some(keep), _) => keep as usize,
        (None, Some(retain)) => retain,
        (None, None) => {
            return Err(Error::config(
                "how many backups of each collection to keep? Pass --keep N, or set `retain = N` in the [backup] section of mongrate.toml",
            ));
        }
    };
    let target = context.target().await?;
    let target = target.as_ref();
    let pruned = context.exclusively(target, "backup prune", async || target.prune_backups(keep).await).await?;
    context.output.json_value(&serde_json::json!({ "kept": keep, "pruned": pruned }));
    if pruned.is_empty() {
        context.output.line(format!("nothing to prune: no collection has more than {keep} backups"));
    } else {
        context.output.line(format!("pruned {} backups, keeping the newest {keep} of each collection:", pruned.len()));
        context.output.line(listing(&pruned, target));
    }
    Ok(0)
}

fn amount(backup: &BackupInfo, unit: &str) -> String {
    let plural = if backup.documents == 1 { "" } else { "s" };
    match backup.size_bytes {
        Some(bytes) => format!("{} {unit}{plural}, {}", backup.documents, human_size(bytes)),
        None => format!("{} {unit}{plural}", backup.documents),
    }
}

fn listing(backups: &[BackupInfo], target: &dyn Target) -> String {
    let what = if target.kind().unit() == "row" { "TABLE" } else { "COLLECTION" };
    let rows: Vec<Vec<String>> = backups
        .iter()
        .map(|backup| {
            vec![
                backup.name.clone(),
                backup.collection.clone(),
                backup.version.clone().unwrap_or_else(|| "by hand".to_owned()),
                backup.created_at.clone(),
                backup.documents.to_string(),
                backup.size_bytes.map(human_size).unwrap_or_default(),
                backup.method.as_str().to_owned(),
                backup.restored_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["NAME", what, "VERSION", "CREATED", "COUNT", "SIZE", "METHOD", "RESTORED"], &rows)
}
