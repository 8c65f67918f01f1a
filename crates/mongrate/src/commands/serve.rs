//! `mongrate serve`: the HTTP service. Listens, optionally applies pending migrations first
//! (`MIGRATE_ON_START`), and stops cleanly on SIGTERM or Ctrl-C: a running migration is stopped
//! and recorded, in-flight requests end, and the process exits 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use mongrate::auto_run::{AutoRunOutcome, AutoRunSettings};
use mongrate::http::{Service, router};
use mongrate_core::{Error, Result};

use crate::cli::ServeArgs;
use crate::commands::Context;

/// Where `serve` listens when nothing says otherwise: this machine only.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

pub async fn run(context: &Context, args: &ServeArgs) -> Result<i32> {
    let (listen, source) = match (&args.listen, &context.settings.serve.listen) {
        (Some(listen), _) => (listen.clone(), "--listen (or MONGRATE_LISTEN)"),
        (None, Some(listen)) => (listen.clone(), "[serve] listen in the configuration file"),
        (None, None) => (DEFAULT_LISTEN.to_owned(), "the default"),
    };
    let address = resolve(&listen, source).await?;
    let has_token = context.settings.serve.token.is_some();
    if !has_token && !address.ip().is_loopback() {
        return Err(Error::config(format!(
            "refusing to listen on {address} without an API token: anyone who can reach it could run migrations. \
             Set MONGRATE_API_TOKEN (or `token` under [serve] in mongrate.toml), or listen on 127.0.0.1"
        )));
    }
    let auto_run = AutoRunSettings::from_env()?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Error::config(format!("cannot listen on {address} (from {source}): {e}")))?;
    // A broken file does not stop the service: status, /readyz and the dashboard say what it is.
    let migrator = Arc::new(mongrate::Migrator::connect_despite_broken_files(context.settings.clone()).await?);
    // The token comes with the settings (`MONGRATE_API_TOKEN` or `[serve] token`).
    let service = Arc::new(Service::new(migrator).with_reporter(Arc::new(context.reporter())));
    if auto_run.enabled {
        service.expect_auto_run();
    }
    let bound = listener.local_addr().unwrap_or(address);
    let access = if has_token { "the API needs its token" } else { "no token: the API is read-only" };
    context.output.event(
        "listening",
        &format!("mongrate serve: listening on http://{bound} ({access}); dashboard at /, API docs at /docs"),
        serde_json::json!({ "address": bound.to_string() }),
    );

    let app = router(service.clone()).layer(from_fn(log_request(context.output)));
    let server =
        tokio::spawn(axum::serve(listener, app).with_graceful_shutdown(service.clone().stop_on_signal()).into_future());

    if auto_run.enabled {
        match service.auto_run(auto_run).await {
            Ok(AutoRunOutcome::Applied(report)) => context.output.event(
                "auto-run",
                &format!("start-up migrations: applied {}", report.steps.len()),
                serde_json::json!({ "applied": report.steps.len() }),
            ),
            Ok(AutoRunOutcome::Failed(error)) => context.output.event(
                "auto-run-failed",
                &format!(
                    "start-up migrations failed; serving anyway, not ready (MIGRATE_ON_START_FAIL_HARD is not set): {}",
                    error.message
                ),
                serde_json::json!({ "kind": error.kind }),
            ),
            Ok(AutoRunOutcome::Disabled) => {}
            Err(error) => {
                context.output.error(&error.map_message(|m| format!("start-up migrations failed: {m}")));
                return Ok(1);
            }
        }
    }
    match server.await {
        Ok(Ok(())) => Ok(0),
        Ok(Err(e)) => Err(Error::config(format!("the server stopped: {e}"))),
        Err(e) => Err(Error::config(format!("the server stopped: {e}"))),
    }
}

/// `host:port` to one address; a name such as `localhost` is looked up.
async fn resolve(listen: &str, source: &str) -> Result<SocketAddr> {
    let bad = |why: String| {
        Error::config(format!(
            "cannot listen on '{listen}' (from {source}): {why}; give ADDR:PORT, e.g. 127.0.0.1:8080"
        ))
    };
    if let Ok(address) = listen.parse::<SocketAddr>() {
        return Ok(address);
    }
    let mut found = tokio::net::lookup_host(listen).await.map_err(|e| bad(e.to_string()))?;
    found.next().ok_or_else(|| bad("the name has no address".to_owned()))
}

/// One line per request on standard error: method, path, status, time. Never a header (the token).
fn log_request(
    output: crate::output::Output,
) -> impl Fn(Request, Next) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>> + Clone + Send + Sync + 'static
{
    move |request: Request, next: Next| {
        Box::pin(async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let started = Instant::now();
            let response = next.run(request).await;
            let status = response.status().as_u16();
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            output.event(
                "request",
                &format!("{method} {path} {status} {ms:.1} ms"),
                serde_json::json!({ "method": method.as_str(), "path": path, "status": status, "ms": ms }),
            );
            response
        })
    }
}
