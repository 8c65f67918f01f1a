//! Stopping a service: SIGTERM (an orchestrator stopping the pod) or Ctrl-C stops the migrations
//! running through the API, as Ctrl-C stops the command line's, then lets the server wind down.

use std::sync::Arc;

use super::service::Service;

/// Waits for SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

impl Service {
    /// For `axum::serve(…).with_graceful_shutdown(service.clone().stop_on_signal())`: on SIGTERM or
    /// Ctrl-C the running migrations stop (recorded, lock released), their requests answer, and
    /// the server ends once in-flight requests are done.
    pub async fn stop_on_signal(self: Arc<Self>) {
        shutdown_signal().await;
        self.stop_runs();
    }
}
