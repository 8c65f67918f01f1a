//! The bearer token that guards `/api/*`. Without a token the API is read-only: every request
//! that changes something answers 403 with how to set one.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::api_error::{ApiError, HttpErrorKind};
use super::service::Service;

/// Middleware for the `/api` routes.
pub async fn require_token(State(service): State<Arc<Service>>, request: Request, next: Next) -> Response {
    match service.token() {
        Some(token) => {
            let given = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")));
            match given {
                Some(given) if same_token(given.trim(), token.expose()) => next.run(request).await,
                Some(_) => ApiError::http(HttpErrorKind::Unauthorized, "the API token is wrong").into_response(),
                None => ApiError::http(
                    HttpErrorKind::Unauthorized,
                    "this endpoint needs the API token: send the header `Authorization: Bearer <token>`",
                )
                .into_response(),
            }
        }
        None if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) => next.run(request).await,
        None => ApiError::http(
            HttpErrorKind::Forbidden,
            "this server has no API token, so its API is read-only: set MONGRATE_API_TOKEN (or `token` under \
             [serve] in mongrate.toml) and restart it, then send `Authorization: Bearer <token>`",
        )
        .into_response(),
    }
}

/// Compares in constant time: the digests have one length whatever the tokens' lengths, and
/// `ct_eq` looks at every byte.
fn same_token(given: &str, expected: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    given.ct_eq(&expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(same_token("s3cret", "s3cret"));
        assert!(!same_token("s3cret", "s3cre"));
        assert!(!same_token("", "s3cret"));
        assert!(!same_token("S3cret", "s3cret"));
    }
}
