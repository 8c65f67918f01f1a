//! The OpenAPI 3.1 document, generated from the handlers' annotations (never written by hand),
//! served at `/api/openapi.json`.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api_error::ErrorBody;
use super::service::Service;
use super::{api_error, metrics, migrations_api, probes};

#[derive(OpenApi)]
#[openapi(
    info(title = "mongrate", description = "Versioned migrations for MongoDB, PostgreSQL and SQLite: status, runs, history and the lock of one database."),
    paths(
        migrations_api::status, migrations_api::up, migrations_api::down, migrations_api::history,
        migrations_api::create, migrations_api::lock_status, migrations_api::lock_release,
        probes::healthz, probes::readyz, metrics::metrics, openapi_json,
    ),
    components(schemas(api_error::ErrorBody)),
    modifiers(&BearerToken),
    tags(
        (name = "migrations", description = "Seed 001's migration endpoints"),
        (name = "lock", description = "The migration lock"),
        (name = "probes", description = "Health, readiness and metrics; no token needed"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token the `security` of the changing endpoints names.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn routes() -> Router<Arc<Service>> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "migrations",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", body = Object),
        (status = 401, description = "The server has a token and the request lacks it, or has a wrong one", body = ErrorBody),
    ))]
pub async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], document.as_str())
}
