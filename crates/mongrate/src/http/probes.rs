//! `/healthz` (the process answers) and `/readyz` (the start-up run is over, the database answers
//! and no migration is failed): Kubernetes' liveness and readiness probes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::service::{AutoRunState, Service};

pub fn routes() -> Router<Arc<Service>> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Probe {
    /// `ok`, or `not ready`.
    status: &'static str,
    /// Why it is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "probes", responses((status = 200, description = "Alive", body = Probe)))]
pub async fn healthz() -> Json<Probe> {
    Json(Probe { status: "ok", reason: None })
}

/// Ready to serve: the start-up run is over, the database answers, and no migration is failed.
#[utoipa::path(get, path = "/readyz", tag = "probes", responses(
    (status = 200, description = "Ready", body = Probe),
    (status = 503, description = "Not ready; `reason` says why", body = Probe),
))]
pub async fn readyz(State(service): State<Arc<Service>>) -> (StatusCode, Json<Probe>) {
    match not_ready_because(&service).await {
        None => (StatusCode::OK, Json(Probe { status: "ok", reason: None })),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, Json(Probe { status: "not ready", reason: Some(reason) })),
    }
}

async fn not_ready_because(service: &Service) -> Option<String> {
    match service.auto_run_state() {
        AutoRunState::Running => return Some("the start-up migrations (MIGRATE_ON_START) are still running".into()),
        AutoRunState::Failed(why) => return Some(format!("the start-up migrations failed: {why}")),
        AutoRunState::NotRequested | AutoRunState::Finished => {}
    }
    if let Err(error) = service.migrator().refresh() {
        return Some(format!("the migration files cannot be read: {}", error.message));
    }
    let report = match service.migrator().status().await {
        Ok(report) => report,
        Err(error) => return Some(format!("the database does not answer: {}", error.message)),
    };
    let failed: Vec<String> =
        report.needing_attention().map(|e| format!("{} {} is {}", e.version, e.name, e.state.as_str())).collect();
    if failed.is_empty() { None } else { Some(format!("{}; `mongrate status` shows the choices", failed.join(", "))) }
}
