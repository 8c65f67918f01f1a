//! The dashboard of `mongrate serve`: one page at `/` and its script, style and icon under
//! `/assets/`, embedded in the binary. The page reads and drives the JSON API of the same server;
//! it loads nothing from anywhere else, and its Content-Security-Policy says so to the browser.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page.
const INDEX: &str = include_str!("dashboard/index.html");

/// What `/assets/{name}` serves: name, media type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("dashboard.js", "text/javascript; charset=utf-8", include_str!("dashboard/dashboard.js")),
    ("dashboard.css", "text/css; charset=utf-8", include_str!("dashboard/dashboard.css")),
    ("favicon.svg", "image/svg+xml", include_str!("dashboard/favicon.svg")),
];

/// This origin only: no CDN, no web font, no inline script or style, no other site framing the page
/// (its buttons change the database).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page and its assets, to merge into the service's router. The page names its assets and
/// the API relative to its own address, so under a prefix it is to be opened with the trailing
/// slash (`/migrations/`).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { embedded("text/html; charset=utf-8", INDEX) }))
        .route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
        Some((_, media_type, content)) => embedded(media_type, content),
        None => (StatusCode::NOT_FOUND, format!("the dashboard has no asset {name:?}")).into_response(),
    }
}

/// An embedded file with the headers every response of the dashboard carries.
fn embedded(media_type: &'static str, content: &'static str) -> Response {
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The files change with the binary, which carries no version in their names.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `assets/…` address in the page, up to the closing quote.
    fn referenced_assets(page: &str) -> Vec<&str> {
        page.match_indices("\"assets/")
            .map(|(at, prefix)| {
                let rest = &page[at + prefix.len()..];
                &rest[..rest.find('"').expect("a closing quote")]
            })
            .collect()
    }

    #[test]
    fn every_asset_the_page_names_is_served() {
        let referenced = referenced_assets(INDEX);
        assert_eq!(referenced.len(), ASSETS.len(), "the page names each asset once: {referenced:?}");
        for name in referenced {
            assert!(ASSETS.iter().any(|(asset, _, _)| *asset == name), "{name} is not embedded");
        }
    }

    #[test]
    fn the_page_and_its_assets_load_nothing_from_elsewhere() {
        for (name, content) in std::iter::once(("index.html", INDEX)).chain(ASSETS.iter().map(|(n, _, c)| (*n, *c))) {
            // The icon's XML namespace is a name, not an address the browser loads.
            let content = content.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            for outside in ["http://", "https://", "//fonts.", "@import", "url("] {
                assert!(!content.contains(outside), "{name} contains {outside:?}");
            }
        }
        assert!(!INDEX.contains(" style=") && !INDEX.contains("<style"), "inline style breaks the policy");
        assert!(!INDEX.contains("<script>"), "inline script breaks the policy");
    }
}
