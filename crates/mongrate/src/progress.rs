//! Progress of a run on standard error: one line per migration with its duration.

use mongrate_core::execution::{StepFailure, StepOutcome};
use mongrate_core::lease::LeaseInfo;
use mongrate_core::plan::{Direction, Step};
use mongrate_core::reporter::Reporter;
use serde_json::json;

use crate::output::{Output, duration_ms};

/// Prints run events through [`Output`].
pub struct ProgressReporter {
    pub output: Output,
}

fn step_fields(step: &Step) -> serde_json::Value {
    json!({
        "version": step.migration.version().to_string(),
        "name": step.migration.meta.name,
        "file": step.migration.file.file_name,
        "direction": step.direction.as_str(),
    })
}

impl Reporter for ProgressReporter {
    fn waiting_for_lock(&self, holder: &LeaseInfo) {
        self.output.event(
            "lock_wait",
            &format!(
                "waiting for the migration lock, held by {} (pid {}) since {} ({}), expires {}",
                holder.host, holder.pid, holder.locked_at, holder.reason, holder.expires_at
            ),
            json!({ "holder": holder }),
        );
    }

    fn step_started(&self, step: &Step) {
        // On a terminal, show what is running now; the completion line replaces it.
        if self.output.terminal && !self.output.log_json && !self.output.quiet {
            let verb = match step.direction {
                Direction::Up => "applying ",
                Direction::Down => "reverting",
            };
            eprint!("{verb} {} {} …\r", step.migration.version(), step.migration.meta.name);
        }
    }

    fn step_completed(&self, step: &Step, outcome: &StepOutcome) {
        let verb = match step.direction {
            Direction::Up => "applied ",
            Direction::Down => "reverted",
        };
        let ms = outcome.elapsed.as_millis() as i64;
        let mut fields = step_fields(step);
        fields["executionTime"] = json!(ms);
        self.output.event(
            "step_completed",
            &format!("{verb} {} {} ({})", step.migration.version(), step.migration.meta.name, duration_ms(Some(ms))),
            fields,
        );
    }

    fn step_failed(&self, step: &Step, failure: &StepFailure) {
        let mut fields = step_fields(step);
        fields["error"] = json!(failure.error.message);
        fields["partial"] = json!(failure.effect.is_partial());
        fields["effect"] = json!(failure.effect);
        self.output.event(
            "step_failed",
            &format!("FAILED   {} {}", step.migration.version(), step.migration.meta.name),
            fields,
        );
    }

    fn notice(&self, message: &str) {
        self.output.event("notice", message, json!({}));
    }
}
