//! `mongrate status` and `mongrate list`.

use mongrate_core::lease::LeaseInfo;
use mongrate_core::phase::Phase;
use mongrate_core::status::{State, StatusEntry, StatusReport};
use mongrate_core::target::ServerInfo;
use mongrate_core::{Result, TargetKind};
use mongrate_mongo::census::Census;

use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::output::{duration_ms, table};

fn rows(entries: &[StatusEntry], with_file: bool) -> Vec<Vec<String>> {
    entries
        .iter()
        .map(|e| {
            let mut row = vec![e.version.clone(), e.name.clone(), e.state.as_str().to_owned()];
            row.push(e.applied_at.clone().unwrap_or_default());
            row.push(duration_ms(e.execution_time));
            if with_file {
                row.push(e.batch.map(|b| b.to_string()).unwrap_or_default());
                row.push(if e.reversible { "yes" } else { "no" }.to_owned());
                row.push(e.file.clone().unwrap_or_else(|| "(missing)".into()));
            } else if e.load_error.is_some() {
                row.push("cannot be loaded".to_owned());
            } else if let Some(progress) = e.progress {
                row.push(progress.describe());
            } else if e.repeatable {
                row.push(
                    if e.state == State::Outdated { "repeatable, changed: runs again" } else { "repeatable" }
                        .to_owned(),
                );
            } else {
                row.push(if e.reversible { String::new() } else { "irreversible".to_owned() });
            }
            row
        })
        .collect()
}

/// What a MongoDB server can do, as `status` says it.
pub fn describe_mongodb(server: &ServerInfo) -> String {
    let mut parts = Vec::new();
    let features = server.document_server.as_ref();
    if features.is_some_and(|f| f.ferretdb) {
        parts.push("FerretDB".to_owned());
    }
    parts.push(if server.transactions {
        "transactions available".to_owned()
    } else {
        "no transactions: each migration records running, then completed or failed".to_owned()
    });
    if !features.is_some_and(|f| f.update_pipelines) {
        parts.push("no update pipelines".to_owned());
    }
    parts.join(", ")
}

pub fn describe_lock(lock: &Option<LeaseInfo>) -> String {
    match lock {
        None => "free".to_owned(),
        Some(l) if l.expired => {
            format!("expired (was {} pid {}, expired {}); the next run takes it over", l.host, l.pid, l.expires_at)
        }
        Some(l) => {
            format!("held by {} (pid {}) since {}, expires {}: {}", l.host, l.pid, l.locked_at, l.expires_at, l.reason)
        }
    }
}

pub async fn run(context: &Context, args: &StatusArgs) -> Result<i32> {
    let migrator = context.migrator().await?;
    let (report, server) = migrator.status_and_server().await?;
    let summary = report.summary();
    let census = schema_census(context, server.kind).await?;
    if context.output.json {
        let mut document = migrator.status_document(&report, &server);
        if let (Some(census), Some(object)) = (&census, document.as_object_mut()) {
            let field = &context.settings.schema.field;
            object.insert("census".to_owned(), serde_json::json!({ "field": field, "collections": census }));
        }
        context.output.json_value(&document);
        return Ok(if args.exit_code { exit_code(&report) } else { 0 });
    }

    context.output.line(format!("database: {} ({} {})", migrator.target().display_url(), server.kind, server.version));
    if server.kind == TargetKind::Mongodb {
        context.output.line(format!("server: {}", describe_mongodb(&server)));
    }
    context.output.line(format!("lock: {}", describe_lock(&report.lock)));
    if migrator.layout().is_foreign() {
        context.output.line(format!(
            "migrations: {} ({} layout)",
            context.settings.migrations_dir.display(),
            migrator.layout()
        ));
    }
    context.output.line("");
    // The phase column and line appear once a migration declares a phase other than the default.
    let phased = report.entries.iter().any(|e| e.phase.is_some_and(|p| p != Phase::Expand));
    if report.entries.is_empty() {
        context.output.line(format!("no migrations in {}", context.settings.migrations_dir.display()));
    } else {
        let mut headers = vec!["VERSION", "NAME", "STATE", "APPLIED AT", "TIME", "NOTE"];
        let mut rows = rows(&report.entries, false);
        if phased {
            headers.insert(3, "PHASE");
            for (row, entry) in rows.iter_mut().zip(&report.entries) {
                row.insert(3, entry.phase.map(|p| p.as_str().to_owned()).unwrap_or_default());
            }
        }
        context.output.line(table(&headers, &rows));
    }
    if phased {
        context.output.line(format!("phase: {}", report.deploy_phase().advice));
    }
    context.output.line("");
    for drift in &report.drift {
        context.output.line(format!("drift: {drift}"));
    }
    for entry in report.entries.iter().filter(|e| e.load_error.is_some()) {
        let why = entry.load_error.as_deref().unwrap_or_default().replace('\n', "\n  ");
        let needed =
            if entry.state == State::Pending { "`up` fails until it loads" } else { "runs that do not need it go on" };
        context
            .output
            .line(format!("cannot load {} ({needed}): {why}", entry.file.as_deref().unwrap_or(&entry.version)));
    }
    for entry in report.needing_attention() {
        let what = match (entry.state, entry.progress) {
            (State::Running | State::Failed, Some(progress)) => {
                let how = if entry.state == State::Running { "stopped while running" } else { "failed" };
                let error = entry.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                format!("{how} at {}; `mongrate up` resumes it{error}", progress.describe())
            }
            _ => match entry.state {
                State::Running => "interrupted while running".to_owned(),
                State::Reverting => "interrupted while its down ran; still applied".to_owned(),
                State::DownFailed => {
                    format!("down failed, still applied: {}", entry.error.as_deref().unwrap_or("no error recorded"))
                }
                _ => entry.error.clone().unwrap_or_else(|| "failed".into()),
            },
        };
        context.output.line(format!("{} {}: {what}", entry.state.as_str(), entry.version));
        if !entry.choices.is_empty() {
            context.output.line("  choose one:");
            for line in mongrate_core::validation::choice_lines(&entry.choices) {
                context.output.line(format!("    {line}"));
            }
        }
    }
    if let Some(census) = &census {
        context.output.line(format!("documents by {}:", context.settings.schema.field));
        for collection in census {
            context.output.line(format!("  {}", crate::commands::schema::summary_line(collection)));
        }
    } else if !context.settings.schema.collections.is_empty() {
        context.output.line("documents: [schema] collections are counted on MongoDB only");
    }
    context.output.line(format!(
        "{} total, {} applied, {} pending, {} failed{}",
        summary.total,
        summary.applied,
        summary.pending,
        summary.failed,
        if summary.drift > 0 { format!(", {} drifted", summary.drift) } else { String::new() }
    ));
    Ok(if args.exit_code { exit_code(&report) } else { 0 })
}

/// The census of `[schema] collections` on MongoDB (`None`: none named, or not MongoDB).
async fn schema_census(context: &Context, kind: TargetKind) -> Result<Option<Vec<Census>>> {
    let schema = &context.settings.schema;
    if schema.collections.is_empty() || kind != TargetKind::Mongodb {
        return Ok(None);
    }
    let taker = crate::commands::schema::connect(&context.settings).await?;
    Ok(Some(taker.take(&schema.collections, &schema.field).await?))
}

/// `status --exit-code`: what CI branches on.
fn exit_code(report: &StatusReport) -> i32 {
    let summary = report.summary();
    if summary.drift > 0 || report.entries.iter().any(|e| e.load_error.is_some()) {
        4
    } else if summary.failed > 0 {
        1
    } else if summary.pending > 0 {
        5
    } else {
        0
    }
}

pub async fn list(context: &Context) -> Result<i32> {
    let migrator = context.migrator().await?;
    let report = migrator.status().await?;
    context.output.json_value(&report.entries);
    if report.entries.is_empty() {
        context.output.line(format!("no migrations in {}", context.settings.migrations_dir.display()));
    } else {
        let headers = ["VERSION", "NAME", "STATE", "APPLIED AT", "TIME", "BATCH", "REVERSIBLE", "FILE"];
        context.output.line(table(&headers, &rows(&report.entries, true)));
    }
    Ok(0)
}
