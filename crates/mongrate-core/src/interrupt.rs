//! Ctrl-C: the signal a run watches, and the failure a step it stops reports.

use tokio::sync::watch;

use crate::error::{Error, ErrorKind};
use crate::execution::{FailureEffect, StepFailure};
use crate::plan::Step;

/// Becomes `true` when the user asks to stop.
pub type Interrupt = watch::Receiver<bool>;

/// Resolves when `signal` turns `true`; never without a signal.
pub async fn wait_for_interrupt(signal: Option<Interrupt>) {
    match signal {
        Some(mut signal) => {
            if signal.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// Whether `signal` has turned `true`.
pub fn is_interrupted(signal: &Option<Interrupt>) -> bool {
    signal.as_ref().is_some_and(|signal| *signal.borrow())
}

/// The failure of a step stopped while it ran: a transactional one was rolled back, another may
/// have done part of its work.
pub fn interrupted(step: &Step) -> StepFailure {
    StepFailure::new(
        Error::new(ErrorKind::Interrupted, "interrupted (Ctrl-C or a stop signal)"),
        if step.migration.meta.transactional { FailureEffect::RolledBack } else { FailureEffect::Partial },
    )
}
