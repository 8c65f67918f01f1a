//! A reporter that writes down the events of a run, and can press Ctrl-C after a given step.

use std::sync::Mutex;

use tokio::sync::watch;

use crate::execution::{StepFailure, StepOutcome};
use crate::lease::LeaseInfo;
use crate::plan::Step;
use crate::reporter::Reporter;

#[derive(Default)]
pub struct RecordingReporter {
    events: Mutex<Vec<String>>,
    /// Set to `true` when this version's step completes.
    interrupt_after: Option<(i64, watch::Sender<bool>)>,
}

impl RecordingReporter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A reporter that sets `signal` when `version` completes: a Ctrl-C between two steps.
    pub fn interrupting_after(version: i64, signal: watch::Sender<bool>) -> Self {
        RecordingReporter { events: Mutex::default(), interrupt_after: Some((version, signal)) }
    }

    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    fn push(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }
}

fn describe(step: &Step) -> String {
    format!("{} {}", step.direction, step.migration.version())
}

impl Reporter for RecordingReporter {
    fn waiting_for_lock(&self, holder: &LeaseInfo) {
        self.push(format!("waiting for {}", holder.owner));
    }
    fn lock_acquired(&self) {
        self.push("lock acquired".into());
    }
    fn step_started(&self, step: &Step) {
        self.push(format!("{} started", describe(step)));
    }
    fn step_completed(&self, step: &Step, _outcome: &StepOutcome) {
        self.push(format!("{} completed", describe(step)));
        if let Some((version, signal)) = &self.interrupt_after
            && step.migration.version().as_integer().unwrap() == *version
        {
            signal.send_replace(true);
        }
    }
    fn step_failed(&self, step: &Step, failure: &StepFailure) {
        self.push(format!("{} failed ({:?})", describe(step), failure.effect));
    }
    fn notice(&self, message: &str) {
        self.push(format!("notice: {message}"));
    }
}
