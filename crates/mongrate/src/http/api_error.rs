//! Every error the API answers: `{"error": {"kind", "message"}}` with a status that fits the kind,
//! plus what a failed run applied (`report`) and who holds the lock (`holder`) where that helps.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mongrate_core::lease::LeaseInfo;
use mongrate_core::runner::RunReport;
use mongrate_core::{Error, ErrorKind};
use serde::Serialize;

/// Errors of HTTP itself, beside the engine's kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HttpErrorKind {
    /// A parameter or the body is malformed (400).
    BadRequest,
    /// No token, or a wrong one (401).
    Unauthorized,
    /// The server accepts no changes: it has no token (403).
    Forbidden,
    NotFound,
    MethodNotAllowed,
    /// The service is starting or stopping (503).
    NotReady,
}

/// The kind of an error: the engine's, or one of HTTP's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ApiErrorKind {
    Engine(ErrorKind),
    Http(HttpErrorKind),
}

/// The `error` member of an error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub kind: ApiErrorKind,
    /// What failed, in words, and what to do.
    pub message: String,
}

/// An error response's body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// For a failed run: what it applied before it stopped, and every failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<RunReport>,
    /// For 409: who holds the migration lock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<LeaseInfo>,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    pub fn http(kind: HttpErrorKind, message: impl Into<String>) -> ApiError {
        let status = match kind {
            HttpErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            HttpErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpErrorKind::Forbidden => StatusCode::FORBIDDEN,
            HttpErrorKind::NotFound => StatusCode::NOT_FOUND,
            HttpErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpErrorKind::NotReady => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::with_status(status, ApiErrorKind::Http(kind), message.into())
    }

    /// A bad query parameter or body value, named in `message`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::http(HttpErrorKind::BadRequest, message)
    }

    fn with_status(status: StatusCode, kind: ApiErrorKind, message: String) -> ApiError {
        ApiError { status, body: ErrorBody { error: ErrorDetail { kind, message }, report: None, holder: None } }
    }

    /// Adds who holds the lock (for a lock timeout).
    pub fn with_holder(mut self, holder: Option<LeaseInfo>) -> ApiError {
        self.body.holder = holder;
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The status for each of the engine's kinds.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Config => StatusCode::BAD_REQUEST,
        ErrorKind::Validation | ErrorKind::Drift | ErrorKind::Refused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::LockTimeout => StatusCode::CONFLICT,
        ErrorKind::Unavailable | ErrorKind::Interrupted => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Database | ErrorKind::Migration | ErrorKind::LeaseLost => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        let mut api =
            ApiError::with_status(status_of(error.kind), ApiErrorKind::Engine(error.kind), error.message.clone());
        api.body.report = error.report().cloned();
        api
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        // axum's text names the parameter: "Failed to deserialize query string: dryRun: …".
        ApiError::bad_request(format!(
            "bad query parameter: {}",
            rejection.body_text().trim_start_matches("Failed to deserialize query string: ")
        ))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        ApiError::bad_request(format!("bad request body: {}", rejection.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let mut response = (self.status, Json(self.body)).into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"mongrate\""));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_kind_has_a_fitting_status_and_keeps_its_name() {
        assert_eq!(status_of(ErrorKind::Drift), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_of(ErrorKind::LockTimeout), StatusCode::CONFLICT);
        assert_eq!(status_of(ErrorKind::Unavailable), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status_of(ErrorKind::Migration), StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_value(ApiError::from(Error::new(ErrorKind::LockTimeout, "held")).body).unwrap();
        assert_eq!(body, serde_json::json!({"error": {"kind": "lock-timeout", "message": "held"}}));
        let body = serde_json::to_value(ApiError::http(HttpErrorKind::Unauthorized, "no").body).unwrap();
        assert_eq!(body["error"]["kind"], "unauthorized");
    }
}
