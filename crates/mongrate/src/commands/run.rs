//! `mongrate up`, `down` and `migrate`: carry out a plan.

use mongrate_core::phase::Phase;
use mongrate_core::plan::{DownScope, PlanRequest};
use mongrate_core::reporter::Reporter;
use mongrate_core::runner::RunReport;
use mongrate_core::status::DeployState;
use mongrate_core::{Error, Result, TargetKind, Version};
use tokio::sync::watch;

use crate::cli::{DownArgs, MigrateArgs, RunArgs, UpArgs};
use crate::commands::Context;
use crate::output::duration_ms;

fn version(text: &str) -> Result<Version> {
    Version::parse(text).map_err(Error::config)
}

pub async fn up(context: &Context, args: &UpArgs) -> Result<i32> {
    let to = args.to.as_deref().map(version).transpose()?;
    let restart = args.restart.as_deref().map(version).transpose()?;
    let request = PlanRequest::Up {
        to,
        allow_out_of_order: args.forward.allow_out_of_order,
        retry: args.forward.retry,
        restart,
        phase: args.phase,
    };
    let code = execute(context, request, &args.run, !args.no_lint).await?;
    if code == 0 && args.phase.is_some_and(|phase| phase != Phase::Contract) {
        // Say what the gate held back, so the pipeline log shows the second half is waiting.
        let phase = context.migrator().await?.status().await?.deploy_phase();
        if phase.state == DeployState::ContractPending {
            context.reporter().notice(&format!(
                "held back until after the deploy: {} ({})",
                phase.pending_contract.join(", "),
                phase.advice
            ));
        }
    }
    Ok(code)
}

pub async fn down(context: &Context, args: &DownArgs) -> Result<i32> {
    let scope = if args.all {
        DownScope::All
    } else if args.batch {
        DownScope::LastBatch
    } else if let Some(to) = &args.to {
        DownScope::To(version(to)?)
    } else {
        DownScope::Steps(args.steps.unwrap_or(1) as usize)
    };
    execute(context, PlanRequest::Down { scope, retry: args.retry }, &args.run, false).await
}

pub async fn migrate(context: &Context, args: &MigrateArgs) -> Result<i32> {
    let request = PlanRequest::Migrate {
        to: version(&args.version)?,
        allow_out_of_order: args.forward.allow_out_of_order,
        retry: args.forward.retry,
    };
    execute(context, request, &args.run, !args.no_lint).await
}

/// Carries out a request; `lint`: first check what it would apply with the lint rules that can
/// refuse a run (before the lock is taken).
async fn execute(context: &Context, request: PlanRequest, run: &RunArgs, lint: bool) -> Result<i32> {
    let migrator = context.migrator().await?;
    if lint {
        mongrate::lint_gate::check(&migrator, &request).await?;
    }
    let reporter = context.reporter();
    if migrator.target().kind() == TargetKind::Mongodb && !run.dry_run {
        // Say which path the server allows before taking it.
        let server = migrator.target().server_info().await?;
        if !server.transactions {
            reporter.notice(&format!("server: {}", crate::commands::status::describe_mongodb(&server)));
        }
    }
    let mut settings = migrator.run_settings(run.dry_run);
    settings.group_size = run.group_size as usize;
    settings.continue_on_error = run.continue_on_error;
    settings.reason = format!("mongrate {} by {}", request.name(), mongrate_core::host::AppliedBy::current().user);
    let (stop, interrupt) = watch::channel(false);
    // Ctrl-C stops the running migration (its transaction rolls back) and records it.
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    let nothing = match request {
        PlanRequest::Down { .. } => "nothing to revert (repeatable migrations are never reverted)",
        _ => "nothing to do: the database is up to date",
    };
    let outcome = migrator.run(request, &settings, &reporter, Some(interrupt)).await;
    ctrl_c.abort();
    let report = outcome?;
    context.output.json_value(&report);
    let unit = migrator.target().kind().unit();
    print_report(context, &report, unit, nothing);
    let failed_preview = report.preview.iter().any(|s| s.error.is_some());
    Ok(if failed_preview { 1 } else { 0 })
}

/// `nothing`: what to say when the run had nothing to do.
fn print_report(context: &Context, report: &RunReport, unit: &str, nothing: &str) {
    let output = &context.output;
    if report.dry_run {
        if report.preview.is_empty() {
            output.line("dry-run: nothing to do");
            return;
        }
        output.line("dry-run (nothing was written):");
        for step in &report.preview {
            output.line(format!("{} {} {}", step.direction, step.version, step.name));
            for operation in &step.operations {
                let count = operation.affected.map(|n| format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
                let effect = [count, operation.note.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ");
                let effect = if effect.is_empty() { effect } else { format!("  [{effect}]") };
                let place = if operation.line > 0 { format!("line {:<4} ", operation.line) } else { String::new() };
                output.line(format!("  {place}{}{effect}", operation.summary));
                // What a data transform would write, documents as they are and as they would be.
                for (n, sample) in operation.samples.iter().flatten().enumerate() {
                    output.line(format!("      sample {}: {}", n + 1, sample.before));
                    output.line(format!("        becomes: {}", sample.after));
                }
            }
            if let Some(error) = &step.error {
                output.line(format!("  would fail: {error}"));
            }
        }
        return;
    }
    if report.steps.is_empty() {
        output.line(nothing);
        return;
    }
    let total: i64 = report.steps.iter().map(|s| s.execution_time).sum();
    let verb = if report.steps.iter().all(|s| s.direction == mongrate_core::plan::Direction::Down) {
        "reverted"
    } else {
        "ran"
    };
    output.line(format!(
        "{verb} {} migration{} in {}",
        report.steps.len(),
        if report.steps.len() == 1 { "" } else { "s" },
        duration_ms(Some(total))
    ));
}
