//! `mongrate import migrate-mongo | golang-migrate | sqlx | dbmate | flyway | diesel`: turns
//! another tool's changelog into mongrate's, so a project moves over with nothing applied twice.
//! The other tool's table or collection is only read.

use mongrate::connect::{connect_mongo, connect_sql, load_migrations};
use mongrate_core::host::AppliedBy;
use mongrate_core::import::{ForeignChangelog, ImportPlan, import_applied};
use mongrate_core::record::MigrationRecord;
use mongrate_core::validation::{choices, choices_text, what_happened};
use mongrate_core::{Error, Migration, Result, Target};
use mongrate_mongo::migrate_mongo::{lock_is_held, read_changelog};
use mongrate_sql::foreign_changelog::ForeignTool;

use crate::cli::{ImportArgs, ImportSource};
use crate::commands::Context;

pub async fn run(context: &Context, args: &ImportArgs) -> Result<i32> {
    let tool = match args.from {
        ImportSource::MigrateMongo => return migrate_mongo(context, args).await,
        ImportSource::GolangMigrate => ForeignTool::GolangMigrate,
        ImportSource::Sqlx => ForeignTool::Sqlx,
        ImportSource::Dbmate => ForeignTool::Dbmate,
        ImportSource::Flyway => ForeignTool::Flyway,
        ImportSource::Diesel => ForeignTool::Diesel,
    };
    if args.collection.is_some() {
        return Err(Error::config(format!(
            "--collection names migrate-mongo's collection; {tool} keeps a table: pass --table"
        )));
    }
    let settings = &context.settings;
    let table = args.table.clone().unwrap_or_else(|| tool.default_table().to_owned());
    let target = connect_sql(settings).await?;
    let migrations = load_migrations(&settings.migrations_dir, settings.layout, &target)?;
    let changelog = target.foreign_changelog(tool, &table).await?;
    let source = Source { tool: tool.to_string(), place: format!("`{table}`") };
    let (plan, records) = import(context, &target, &migrations, &changelog, &source, args.dry_run).await?;
    report(context, &plan, &records, &source, args.dry_run);
    Ok(0)
}

async fn migrate_mongo(context: &Context, args: &ImportArgs) -> Result<i32> {
    if args.table.is_some() {
        return Err(Error::config(
            "--table names a SQL tool's table; migrate-mongo keeps a collection: pass --collection",
        ));
    }
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
    let entries = ForeignChangelog::of_entries(read_changelog(target.database(), &changelog).await?);
    let source = Source { tool: "migrate-mongo".into(), place: format!("`{changelog}`") };
    let (plan, records) = import(context, &target, &migrations, &entries, &source, args.dry_run).await?;
    report(context, &plan, &records, &source, args.dry_run);
    Ok(0)
}

/// Whose changelog, and where it is kept.
struct Source {
    tool: String,
    place: String,
}

/// Plans the import and, unless `dry_run`, writes it under the lease. Returns the plan and
/// mongrate's records as they are after it (as they would be, for a dry run).
async fn import(
    context: &Context,
    target: &dyn Target,
    migrations: &[Migration],
    changelog: &ForeignChangelog,
    source: &Source,
    dry_run: bool,
) -> Result<(ImportPlan, Vec<MigrationRecord>)> {
    let by = AppliedBy::current();
    let (plan, records) = if dry_run {
        let records = if target.changelog_exists().await? { target.records().await? } else { Vec::new() };
        (import_applied(migrations, &records, changelog, &source.tool, &by)?, records)
    } else {
        context
            .exclusively(target, &format!("mongrate import {}", source.tool.to_lowercase()), async || {
                let records = target.records().await?;
                let plan = import_applied(migrations, &records, changelog, &source.tool, &by)?;
                for (record, history) in &plan.edits {
                    target.write_record(Some(record), history).await?;
                }
                Ok((plan, records))
            })
            .await?
    };
    let mut after = records;
    for (record, _) in &plan.edits {
        after.retain(|r| r.version != record.version);
        after.push(record.clone());
    }
    after.sort_by(|a, b| a.version.cmp(&b.version));
    Ok((plan, after))
}

fn report(context: &Context, plan: &ImportPlan, records: &[MigrationRecord], source: &Source, dry_run: bool) {
    let output = &context.output;
    let Source { tool, place } = source;
    let verb = if dry_run { "would import" } else { "imported" };
    output.line(format!("{verb} {} migration(s) from {tool}'s {place}", plan.edits.len()));
    for (record, _) in &plan.edits {
        match &record.applied_at {
            Some(at) => {
                output.line(format!("  {} {} (batch {}, applied {at})", record.version, record.name, record.batch))
            }
            None => output.line(format!("  {} {} (batch {}, failed)", record.version, record.name, record.batch)),
        }
    }
    if !plan.already_applied.is_empty() {
        output.line(format!("already applied in mongrate: {}", plan.already_applied.join(", ")));
    }
    for renamed in &plan.renamed {
        output.line(format!(
            "matched by version {}: {tool} recorded `{}`, the file is `{}` now",
            renamed.version, renamed.recorded, renamed.file
        ));
    }
    if !plan.without_file.is_empty() {
        output.line(format!("no file in the migrations directory, not imported: {}", plan.without_file.join(", ")));
    }
    for why in &plan.unreadable {
        output.line(format!("not imported, mongrate does not read its version: {why}"));
    }
    for why in &plan.not_taken {
        output.line(format!("not imported: {why}"));
    }
    if !plan.changed_since.is_empty() {
        output.line(format!(
            "changed since {tool} applied them (their checksum in {tool}'s changelog differs; imported with today's \
             checksum): {}",
            plan.changed_since.join(", ")
        ));
    }
    if !plan.run_again.is_empty() {
        output.line(format!(
            "repeatable, changed since {tool} last ran them (`mongrate up` runs them again, as {tool} would): {}",
            plan.run_again.join(", ")
        ));
    }
    let failed: Vec<&MigrationRecord> =
        plan.failed.iter().filter_map(|version| records.iter().find(|r| r.version == *version)).collect();
    for record in &failed {
        output.line(format!("{} ({}) {}", record.version, record.name, what_happened(record)));
        if record.is_blocking() {
            output.line(choices_text(record, records));
        }
    }
    output.json_value(&serde_json::json!({
        "dryRun": dry_run,
        "tool": tool,
        "imported": plan.edits.iter().map(|(r, _)| r).collect::<Vec<_>>(),
        "alreadyApplied": plan.already_applied,
        "withoutFile": plan.without_file,
        "changedSince": plan.changed_since,
        "runAgain": plan.run_again,
        "renamed": plan.renamed,
        "unreadable": plan.unreadable,
        "notTaken": plan.not_taken,
        "failed": failed.iter().map(|record| serde_json::json!({
            "version": record.version,
            "name": record.name,
            "error": record.error,
            "choices": if record.is_blocking() { choices(record, records) } else { Vec::new() },
        })).collect::<Vec<_>>(),
    }));
}
