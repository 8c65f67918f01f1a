//! The service mode: seed 001's REST API (`/api/migrations/…`), the probes, the metrics, the
//! OpenAPI document with its docs page, and the dashboard, over the same [`Migrator`] the command
//! line drives. Mount [`router`] in your own axum app, or run `mongrate serve`.
//!
//! ```no_run
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let migrator = Arc::new(mongrate::Migrator::builder().url("sqlite:app.db").connect().await?);
//! let service = Arc::new(mongrate::http::Service::new(migrator));
//! let app = axum::Router::new()
//!     .route("/hello", axum::routing::get(|| async { "hello" }))
//!     .merge(mongrate::http::router(service));
//! # let _ = app; Ok(()) }
//! ```
//!
//! [`Migrator`]: crate::Migrator

mod api_error;
mod auth;
mod dashboard;
mod docs_page;
mod metrics;
mod migrations_api;
mod openapi;
mod probes;
mod service;
mod shutdown;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;

pub use api_error::{ApiError, ErrorBody};
pub use openapi::ApiDoc;
pub use service::{AutoRunState, RunCounters, Service};
pub use shutdown::shutdown_signal;

use api_error::HttpErrorKind;

/// Every endpoint, with `service` as their state: `/api/*` behind the token, the probes, the
/// metrics, the docs page and the dashboard open.
pub fn router(service: Arc<Service>) -> Router {
    let api = migrations_api::routes()
        .merge(openapi::routes())
        .route_layer(from_fn_with_state(service.clone(), auth::require_token));
    Router::new()
        .merge(api)
        .merge(probes::routes())
        .merge(metrics::routes())
        .merge(docs_page::routes())
        .merge(dashboard::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(service)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::http(HttpErrorKind::NotFound, format!("there is no endpoint {}; GET /docs lists them", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::http(
        HttpErrorKind::MethodNotAllowed,
        format!("{} does not take {method}; GET /docs lists what each endpoint takes", uri.path()),
    )
}
