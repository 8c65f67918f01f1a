//! `mongrate import migrate-mongo`: turns migrate-mongo's changelog entries into mongrate's, so a
//! project moves over with nothing applied twice.

use mongrate::connect::{connect_mongo, load_migrations};
use mongrate_core::host::AppliedBy;
use mongrate_core::import::{ImportPlan, import_applied};
use mongrate_core::{Error, Result, Target};
use mongrate_mongo::migrate_mongo::{lock_is_held, read_changelog};

use crate::cli::ImportArgs;
use crate::commands::Context;

pub async fn run(context: &Context, args: &ImportArgs) -> Result<i32> {
    let settings = &context.settings;
    let known = settings.migrate_mongo.as_ref();
    let changelog =
        args.collection.clone().or_else(|| known.map(|c| c.changelog.clone())).unwrap_or_else(|| "changelog".into());
    let lock = known.map_or_else(|| "changelog_lock".to_owned(), |c| c.lock.clone());
    let target = connect_mongo(settings).await?;
    let migrations = load_migrations(&settings.migrations_dir, settings.layout, &target)?;
    if lock_is_held(target.database(), &lock).await? {
        return Err(Error::refused(format!(
            "migrate-mongo holds its lock (collection `{lock}`): wait until its run ends, or delete the lock document \
             if that run is gone, then import"
        )));
    }
    let entries = read_changelog(target.database(), &changelog).await?;
    let by = AppliedBy::current();
    let plan = if args.dry_run {
        let records = if target.changelog_exists().await? { target.records().await? } else { Vec::new() };
        import_applied(&migrations, &records, &entries, &by)?
    } else {
        context
            .exclusively(&target, "mongrate import migrate-mongo", async || {
                let records = target.records().await?;
                let plan = import_applied(&migrations, &records, &entries, &by)?;
                for (record, history) in &plan.edits {
                    target.write_record(Some(record), history).await?;
                }
                Ok(plan)
            })
            .await?
    };
    report(context, &plan, &changelog, args.dry_run);
    Ok(0)
}

fn report(context: &Context, plan: &ImportPlan, changelog: &str, dry_run: bool) {
    let output = &context.output;
    let verb = if dry_run { "would import" } else { "imported" };
    output.line(format!("{verb} {} migration(s) from migrate-mongo's `{changelog}`", plan.edits.len()));
    for (record, _) in &plan.edits {
        output.line(format!(
            "  {} {} (batch {}, applied {})",
            record.version,
            record.name,
            record.batch,
            record.applied_at.as_deref().unwrap_or("")
        ));
    }
    if !plan.already_applied.is_empty() {
        output.line(format!("already applied in mongrate: {}", plan.already_applied.join(", ")));
    }
    if !plan.without_file.is_empty() {
        output.line(format!("no file in the migrations directory, not imported: {}", plan.without_file.join(", ")));
    }
    if !plan.changed_since.is_empty() {
        output.line(format!(
            "changed since migrate-mongo applied them (their fileHash differs; imported with today's checksum): {}",
            plan.changed_since.join(", ")
        ));
    }
    output.json_value(&serde_json::json!({
        "dryRun": dry_run,
        "imported": plan.edits.iter().map(|(r, _)| r).collect::<Vec<_>>(),
        "alreadyApplied": plan.already_applied,
        "withoutFile": plan.without_file,
        "changedSince": plan.changed_since,
    }));
}
