//! An axum service that applies its migrations when it starts and serves mongrate's API beside
//! its own routes: seed 001's `setupAutoRun(app)`, in Rust.
//!
//! ```text
//! DATABASE_URL=sqlite:app.db MIGRATE_ON_START=true MONGRATE_API_TOKEN=secret \
//!     cargo run -p mongrate-example-service
//! curl localhost:3000/hello
//! curl localhost:3000/readyz
//! curl -H 'Authorization: Bearer secret' localhost:3000/api/migrations/status
//! ```
//!
//! Environment: `DATABASE_URL` (or `MONGRATE_URL`), `MIGRATIONS_DIR` (default: this example's
//! `migrations/`), `LISTEN` (default `127.0.0.1:3000`), `MONGRATE_API_TOKEN` (without it the API
//! is read-only), `MIGRATE_ON_START` and `MIGRATE_ON_START_FAIL_HARD`. A `mongrate.toml` in the
//! working directory is read too, as the `mongrate` command reads it.
//!
//! The port is bound before the migrations run, so `/healthz` answers at once while `/readyz`
//! says 503 until they are applied. SIGTERM or Ctrl-C stops a running migration (recorded, lease
//! released), lets the requests in flight finish, and exits 0.

use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use mongrate::Migrator;
use mongrate::auto_run::{AutoRunOutcome, AutoRunSettings};
use mongrate::http::Service;

const DEFAULT_MIGRATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("example service: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let auto_run = AutoRunSettings::from_env().map_err(|e| e.message)?;
    let migrations_dir = std::env::var("MIGRATIONS_DIR").unwrap_or_else(|_| DEFAULT_MIGRATIONS_DIR.to_owned());
    let migrator = Migrator::builder().migrations_dir(migrations_dir).connect().await.map_err(|e| e.message)?;
    let service = Arc::new(Service::new(Arc::new(migrator)));

    let app = Router::new().route("/hello", get(hello)).merge(mongrate::http::router(service.clone()));
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| DEFAULT_LISTEN.to_owned());
    let listener =
        tokio::net::TcpListener::bind(&listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    if auto_run.enabled {
        // Not ready from the first request on, not only once the run has begun.
        service.expect_auto_run();
    }
    eprintln!("example service: listening on http://{address}");

    // SIGTERM or Ctrl-C stops a running migration (recorded, lock released), then the server.
    let server =
        tokio::spawn(axum::serve(listener, app).with_graceful_shutdown(service.clone().stop_on_signal()).into_future());

    match service.auto_run(auto_run).await {
        Ok(AutoRunOutcome::Disabled) => {}
        Ok(AutoRunOutcome::Applied(report)) => {
            eprintln!("example service: start-up migrations applied {}", report.steps.len())
        }
        Ok(AutoRunOutcome::Failed(error)) => {
            eprintln!("example service: start-up migrations failed, serving but not ready: {}", error.message)
        }
        Err(error) => return Err(format!("start-up migrations failed: {}", error.message)),
    }

    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the server stopped: {e}")),
        Err(e) => Err(format!("the server stopped: {e}")),
    }
}

/// The service's own route.
async fn hello() -> &'static str {
    "hello from the example service\n"
}
