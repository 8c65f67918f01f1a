//! Progress events of a run, for whatever shows them (terminal, JSON log, HTTP response).

use crate::execution::{StepFailure, StepOutcome};
use crate::lease::LeaseInfo;
use crate::plan::Step;

/// Receives the events of a run as they happen.
pub trait Reporter: Send + Sync {
    fn waiting_for_lock(&self, _holder: &LeaseInfo) {}
    fn lock_acquired(&self) {}
    fn step_started(&self, _step: &Step) {}
    fn step_completed(&self, _step: &Step, _outcome: &StepOutcome) {}
    fn step_failed(&self, _step: &Step, _failure: &StepFailure) {}
    fn notice(&self, _message: &str) {}
}

/// A reporter that shows nothing.
pub struct SilentReporter;

impl Reporter for SilentReporter {}
