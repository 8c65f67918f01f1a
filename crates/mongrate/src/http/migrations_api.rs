//! Seed 001's `/api/migrations` endpoints: each one the same call into the [`Migrator`] that the
//! command of the same name makes.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mongrate_core::lease::LeaseInfo;
use mongrate_core::phase::Phase;
use mongrate_core::plan::{DownScope, PlanRequest};
use mongrate_core::record::{HistoryEntry, HistoryOutcome, HistoryQuery};
use mongrate_core::runner::RunReport;
use mongrate_core::{ErrorKind, Version};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api_error::{ApiError, ErrorBody};
use super::service::Service;
use crate::new_migration::{CreatedMigration, FileFormat, create_from_template, create_migration};

/// The longest a request may wait for the lock: an HTTP client rarely waits longer.
const LONGEST_LOCK_WAIT: u64 = 600;

pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/api/migrations", post(create))
        .route("/api/migrations/status", get(status))
        .route("/api/migrations/up", post(up))
        .route("/api/migrations/down", post(down))
        .route("/api/migrations/history", get(history))
        .route("/api/migrations/lock/status", get(lock_status))
        .route("/api/migrations/lock/release", post(lock_release))
}

/// Where every migration stands: exactly what `mongrate status --json` prints.
#[utoipa::path(get, path = "/api/migrations/status", tag = "migrations",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The status document: applied, pending, failed, drift, locked, phase, summary, server, database", body = Object),
        (status = 401, description = "The server has a token and the request lacks it, or has a wrong one", body = ErrorBody),
        (status = 422, description = "A migration file is malformed", body = ErrorBody),
        (status = 503, description = "The database cannot be reached", body = ErrorBody),
    ))]
pub async fn status(State(service): State<Arc<Service>>) -> Result<Json<serde_json::Value>, ApiError> {
    let migrator = service.migrator();
    migrator.refresh()?;
    let (report, server) = migrator.status_and_server().await?;
    Ok(Json(migrator.status_document(&report, &server)))
}

/// The parameters of `POST /api/migrations/up`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UpParams {
    /// Report what would run, changing nothing.
    #[serde(default)]
    dry_run: bool,
    /// After a failed migration go on with the next ones (the answer is still an error).
    #[serde(default)]
    continue_on_error: bool,
    /// Apply only up to and including this version.
    #[param(
        pattern = r"^(0*[0-9]{1,18}(\.0*[0-9]{1,18})*|R__[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?)$"
    )]
    // mongrate_core::version::PATTERN
    to: Option<String>,
    /// Deploy phase: `expand` or `migrate` stop before the first pending contract migration.
    #[param(pattern = r"^(expand|migrate|contract)$")]
    phase: Option<String>,
    /// Seconds to wait for the migration lock before answering 409 (at most 600).
    #[serde(default)]
    #[param(maximum = 600)] // LONGEST_LOCK_WAIT
    lock_timeout: u64,
}

/// The parameters of `POST /api/migrations/down`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DownParams {
    /// How many applied migrations to revert, newest first.
    // Declared as int64: utoipa's int32 for u32 would say 2^31 and above are invalid.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_i64)]
    steps: Option<u32>,
    /// Report what would run, changing nothing.
    #[serde(default)]
    dry_run: bool,
    /// After a failed revert go on with the next ones (the answer is still an error).
    #[serde(default)]
    continue_on_error: bool,
    /// Seconds to wait for the migration lock before answering 409 (at most 600).
    #[serde(default)]
    #[param(maximum = 600)] // LONGEST_LOCK_WAIT
    lock_timeout: u64,
}

/// Applies pending migrations under the lock.
#[utoipa::path(post, path = "/api/migrations/up", tag = "migrations", params(UpParams),
    security(("bearer" = [])),
    responses(RunResponses))]
pub async fn up(
    State(service): State<Arc<Service>>,
    params: Result<Query<UpParams>, QueryRejection>,
) -> Result<Json<RunReport>, ApiError> {
    let Query(params) = params?;
    let to = params
        .to
        .as_deref()
        .map(Version::parse)
        .transpose()
        .map_err(|why| ApiError::bad_request(format!("to: {why}")))?;
    let phase = match params.phase.as_deref() {
        None => None,
        Some(text) => Some(Phase::ALL.into_iter().find(|p| p.as_str() == text).ok_or_else(|| {
            ApiError::bad_request(format!("phase: '{text}' is not a phase; use expand, migrate or contract"))
        })?),
    };
    let request = PlanRequest::Up { to, allow_out_of_order: false, retry: false, restart: None, phase };
    let options = RunOptions {
        dry_run: params.dry_run,
        continue_on_error: params.continue_on_error,
        lock_timeout: params.lock_timeout,
    };
    run(&service, request, options).await
}

/// Reverts applied migrations, newest first.
#[utoipa::path(post, path = "/api/migrations/down", tag = "migrations", params(DownParams),
    security(("bearer" = [])),
    responses(RunResponses))]
pub async fn down(
    State(service): State<Arc<Service>>,
    params: Result<Query<DownParams>, QueryRejection>,
) -> Result<Json<RunReport>, ApiError> {
    let Query(params) = params?;
    let steps = params.steps.unwrap_or(1);
    if steps == 0 {
        return Err(ApiError::bad_request("steps must be at least 1"));
    }
    let request = PlanRequest::Down { scope: DownScope::Steps(steps as usize), retry: false };
    let options = RunOptions {
        dry_run: params.dry_run,
        continue_on_error: params.continue_on_error,
        lock_timeout: params.lock_timeout,
    };
    run(&service, request, options).await
}

/// What `up` and `down` answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used: the handlers answer through `ApiError`.
enum RunResponses {
    /// What ran (or, for a dry-run, the preview).
    #[response(status = 200)]
    Ran(RunReport),
    /// A bad parameter, named in the message.
    #[response(status = 400)]
    BadParameter(ErrorBody),
    /// The token is missing or wrong.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The server has no token: its API is read-only.
    #[response(status = 403)]
    ReadOnly(ErrorBody),
    /// Another run holds the lock (its holder is in `holder`).
    #[response(status = 409)]
    LockHeld(ErrorBody),
    /// Drift, a malformed file, an irreversible revert, or a refused plan.
    #[response(status = 422)]
    Refused(ErrorBody),
    /// A migration or the database failed; `report` says what was done and every failure.
    #[response(status = 500)]
    Failed(ErrorBody),
    /// The database cannot be reached, or the server is stopping.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

struct RunOptions {
    dry_run: bool,
    continue_on_error: bool,
    lock_timeout: u64,
}

/// One run, as the command line's `up`/`down` makes it, stopped by the server's shutdown.
async fn run(service: &Service, request: PlanRequest, options: RunOptions) -> Result<Json<RunReport>, ApiError> {
    if options.lock_timeout > LONGEST_LOCK_WAIT {
        return Err(ApiError::bad_request(format!(
            "lockTimeout must be at most {LONGEST_LOCK_WAIT} seconds, not {}",
            options.lock_timeout
        )));
    }
    let migrator = service.migrator();
    migrator.refresh()?;
    let mut settings = migrator.run_settings(options.dry_run);
    settings.lock_timeout = Duration::from_secs(options.lock_timeout);
    settings.continue_on_error = options.continue_on_error;
    settings.reason = format!("mongrate {} through the HTTP API", request.name());
    let started = tokio::time::Instant::now();
    // The lint check of `up` (its error rules) before the lock, as the command line makes it.
    let outcome = match crate::lint_gate::check(migrator, &request).await {
        Ok(()) => migrator.run(request, &settings, service.reporter(), Some(service.interrupt())).await,
        Err(refused) => Err(refused),
    };
    service.record_run(Service::result_of(&outcome), started.elapsed());
    match outcome {
        Ok(report) => Ok(Json(report)),
        Err(error) if error.kind == ErrorKind::LockTimeout => {
            let holder = migrator.target().lease_store().current().await.ok().flatten();
            Err(ApiError::from(error).with_holder(holder))
        }
        Err(error) => Err(error.into()),
    }
}

/// The parameters of `GET /api/migrations/history`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// How many entries (1 to 10000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<i64>,
    /// Entries to skip, newest first.
    #[param(minimum = 0)]
    skip: Option<i64>,
    /// Only entries with this status: `completed` or `failed`.
    #[param(value_type = Option<HistoryOutcome>, inline)]
    status: Option<String>,
    /// Only entries of this version.
    #[param(
        pattern = r"^(0*[0-9]{1,18}(\.0*[0-9]{1,18})*|R__[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?)$"
    )]
    // mongrate_core::version::PATTERN
    version: Option<String>,
}

/// The audit trail of every attempt, newest first: what `mongrate history --json` prints.
#[utoipa::path(get, path = "/api/migrations/history", tag = "migrations", params(HistoryParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "History entries, newest first", body = Vec<HistoryEntry>),
        (status = 400, description = "A bad parameter, named in the message", body = ErrorBody),
        (status = 401, description = "The server has a token and the request lacks it, or has a wrong one", body = ErrorBody),
        (status = 503, description = "The database cannot be reached", body = ErrorBody),
    ))]
pub async fn history(
    State(service): State<Arc<Service>>,
    params: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let Query(params) = params?;
    let query = HistoryQuery::checked(
        params.limit.unwrap_or(50),
        params.skip.unwrap_or(0),
        params.status.as_deref(),
        params.version.as_deref(),
    )
    .map_err(ApiError::bad_request)?;
    Ok(Json(service.migrator().target().history(&query).await?))
}

/// The body of `POST /api/migrations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// What the migration does, e.g. "Add User Index": at most 200 bytes, with a letter or digit.
    #[schema(min_length = 1, max_length = 200, pattern = "[A-Za-z0-9]")]
    name: String,
    /// The file's format [default: yaml for MongoDB, else sql; for a template, yaml where it has one].
    format: Option<FileFormat>,
    /// Start from this template (`mongrate create --list-templates`; MongoDB only), e.g. `add-field`.
    template: Option<String>,
}

/// Writes a new migration file from the template, as `mongrate create` does.
#[utoipa::path(post, path = "/api/migrations", tag = "migrations", request_body = CreateBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The file written", body = CreatedMigration),
        (status = 400, description = "A bad name or format", body = ErrorBody),
        (status = 401, description = "The token is missing or wrong", body = ErrorBody),
        (status = 403, description = "The server has no token: its API is read-only", body = ErrorBody),
        (status = 422, description = "A file of that name exists", body = ErrorBody),
    ))]
pub async fn create(
    State(service): State<Arc<Service>>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedMigration>), ApiError> {
    let Json(body) = body?;
    let settings = service.migrator().settings();
    let created = match &body.template {
        Some(template) => create_from_template(settings, &body.name, template, body.format)?,
        None => create_migration(settings, &body.name, body.format)?,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// The lock as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockStatus {
    /// Who holds the lock, or null when it is free.
    locked: Option<LeaseInfo>,
}

/// Who holds the migration lock: what `mongrate lock status --json` prints.
#[utoipa::path(get, path = "/api/migrations/lock/status", tag = "lock",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The lock", body = LockStatus),
        (status = 401, description = "The server has a token and the request lacks it, or has a wrong one", body = ErrorBody),
        (status = 503, description = "The database cannot be reached", body = ErrorBody),
    ))]
pub async fn lock_status(State(service): State<Arc<Service>>) -> Result<Json<LockStatus>, ApiError> {
    Ok(Json(LockStatus { locked: service.migrator().target().lease_store().current().await? }))
}

/// What a forced release removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockRelease {
    /// The lock that was removed, or null when it was free.
    released: Option<LeaseInfo>,
}

/// Removes the lock whoever holds it (seed 001's force unlock): for a runner that died.
#[utoipa::path(post, path = "/api/migrations/lock/release", tag = "lock",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lock that was removed", body = LockRelease),
        (status = 401, description = "The token is missing or wrong", body = ErrorBody),
        (status = 403, description = "The server has no token: its API is read-only", body = ErrorBody),
        (status = 503, description = "The database cannot be reached", body = ErrorBody),
    ))]
pub async fn lock_release(State(service): State<Arc<Service>>) -> Result<Json<LockRelease>, ApiError> {
    Ok(Json(LockRelease { released: service.migrator().target().lease_store().force_release().await? }))
}

#[cfg(test)]
mod tests {
    /// The version parameters' pattern is mongrate_core's, written out for the attribute.
    #[test]
    fn version_parameters_carry_the_core_pattern() {
        let source = include_str!("migrations_api.rs");
        let attribute = format!("pattern = r\"{}\"", mongrate_core::version::PATTERN);
        assert_eq!(source.matches(&attribute).count(), 2, "the `to` of up and the `version` of history");
    }
}
