//! `/metrics` in Prometheus' text format: migrations by state, the lock, the database's
//! reachability, runs by result and the last run's duration. Read from the database on each scrape.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::service::{AutoRunState, Service};

pub fn routes() -> Router<Arc<Service>> {
    Router::new().route("/metrics", get(metrics))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "probes", responses(
    (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
))]
pub async fn metrics(State(service): State<Arc<Service>>) -> impl IntoResponse {
    let status = service.migrator().status().await;
    let mut text = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    };
    gauge(
        "mongrate_database_up",
        "Whether the database answered this scrape.",
        &[("", f64::from(u8::from(status.is_ok())))],
    );
    if let Ok(report) = &status {
        let summary = report.summary();
        gauge(
            "mongrate_migrations",
            "Migrations by state.",
            &[
                ("{state=\"applied\"}", summary.applied as f64),
                ("{state=\"pending\"}", summary.pending as f64),
                ("{state=\"failed\"}", summary.failed as f64),
            ],
        );
        gauge("mongrate_drift", "Applied migrations whose files changed or vanished.", &[("", summary.drift as f64)]);
        let held = report.lock.as_ref().is_some_and(|lock| !lock.expired);
        gauge("mongrate_lock_held", "Whether a live run holds the migration lock.", &[("", f64::from(u8::from(held)))]);
    }
    let ready = !matches!(service.auto_run_state(), AutoRunState::Running | AutoRunState::Failed(_));
    gauge(
        "mongrate_auto_run_done",
        "Whether the start-up migrations are over and did not fail.",
        &[("", f64::from(u8::from(ready)))],
    );
    if let Some(duration) = service.runs().last_duration() {
        gauge("mongrate_last_run_duration_seconds", "How long the last run took.", &[("", duration.as_secs_f64())]);
    }
    let runs = service.runs();
    let _ = writeln!(
        text,
        "# HELP mongrate_runs_total Runs through this server, by result.\n# TYPE mongrate_runs_total counter"
    );
    for (result, counter) in [("succeeded", &runs.succeeded), ("failed", &runs.failed), ("dry_run", &runs.dry_runs)] {
        let _ = writeln!(text, "mongrate_runs_total{{result=\"{result}\"}} {}", counter.load(Ordering::Relaxed));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
