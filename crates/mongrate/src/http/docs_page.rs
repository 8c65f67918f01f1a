//! `/docs`: a page that reads `/api/openapi.json` and lists every endpoint with its parameters and
//! answers. Its script is embedded in the binary; it makes no request beyond this server.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The page may load only from this server, and runs only this server's script.
const SAME_ORIGIN_ONLY: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/docs", get(page)).route("/docs/docs.js", get(script))
}

async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, SAME_ORIGIN_ONLY)],
        include_str!("docs_page/docs.html"),
    )
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("docs_page/docs.js"))
}
