//! Where a migration's `console.log` goes: the caller decides (mongrate's output for the CLI).

/// How loud a console line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl ConsoleLevel {
    pub fn parse(level: &str) -> ConsoleLevel {
        match level {
            "debug" => ConsoleLevel::Debug,
            "warn" => ConsoleLevel::Warn,
            "error" => ConsoleLevel::Error,
            _ => ConsoleLevel::Info,
        }
    }
}

/// Where one batch loop stands after a batch (`eachBatch`, the helpers).
#[derive(Debug, Clone, PartialEq)]
pub struct LoopProgress {
    /// The loop's place among the migration's loops (call order, from 0).
    pub index: usize,
    /// What the loop walks: `eachBatch users`, `transformData users`.
    pub label: String,
    /// Documents done, this run and the runs it resumes.
    pub processed: u64,
    /// The estimated total when the loop started.
    pub total: Option<u64>,
    /// Documents this run processed, and the milliseconds it took (for a rate that resumed
    /// work does not inflate).
    pub processed_now: u64,
    pub elapsed_ms: u64,
    pub done: bool,
}

impl LoopProgress {
    /// Documents a second this run.
    pub fn rate(&self) -> f64 {
        if self.elapsed_ms == 0 { 0.0 } else { self.processed_now as f64 * 1000.0 / self.elapsed_ms as f64 }
    }

    /// Seconds left at this run's rate, when the total is known.
    pub fn eta_seconds(&self) -> Option<u64> {
        let left = self.total?.saturating_sub(self.processed);
        let rate = self.rate();
        (rate > 0.0).then(|| (left as f64 / rate).ceil() as u64)
    }
}

/// Receives console lines, tagged with the migration file that wrote them, and the progress of
/// its batch loops.
pub trait ConsoleSink: Send + Sync {
    fn line(&self, file_name: &str, level: ConsoleLevel, text: &str);

    /// After each batch of a loop; by default not shown.
    fn progress(&self, _file_name: &str, _progress: &LoopProgress) {}
}

/// Writes console lines to standard error, prefixed with the file name.
pub struct StderrConsole;

impl ConsoleSink for StderrConsole {
    fn line(&self, file_name: &str, level: ConsoleLevel, text: &str) {
        let tag = match level {
            ConsoleLevel::Warn => " warning:",
            ConsoleLevel::Error => " error:",
            _ => "",
        };
        for line in text.lines() {
            eprintln!("  [{file_name}]{tag} {line}");
        }
    }
}
