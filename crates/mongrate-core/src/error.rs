//! One error type for the whole engine; its kind decides the process exit code.

use std::fmt;
use std::sync::Arc;

use crate::runner::RunReport;

/// What went wrong, coarsely: each kind maps to one exit code of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorKind {
    /// Bad flags or a bad configuration (exit 2).
    Config,
    /// A migration file is malformed, or the files disagree with the changelog (exit 4).
    Validation,
    /// An applied migration's file changed or vanished (exit 4).
    Drift,
    /// The request cannot be carried out as asked, e.g. reverting an irreversible migration (exit 4).
    Refused,
    /// The database refused or failed a request (exit 1).
    Database,
    /// The database could not be reached: no connection, no server selected, the network failed
    /// (exit 1). A service answers 503 for it: worth retrying later.
    Unavailable,
    /// A migration failed while running, or a failed one blocks the run (exit 1).
    Migration,
    /// The lease lock was not acquired in time (exit 3).
    LockTimeout,
    /// The lease was lost while running (exit 1).
    LeaseLost,
    /// The run was interrupted (Ctrl-C) (exit 1).
    Interrupted,
}

impl ErrorKind {
    /// The exit code the command line uses for this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Config => 2,
            ErrorKind::Validation | ErrorKind::Drift | ErrorKind::Refused => 4,
            ErrorKind::LockTimeout => 3,
            ErrorKind::Database
            | ErrorKind::Unavailable
            | ErrorKind::Migration
            | ErrorKind::LeaseLost
            | ErrorKind::Interrupted => 1,
        }
    }
}

/// An error with a message written for the person who has to fix it.
///
/// It keeps the error underneath (a driver's or the operating system's) as its
/// [`source`](std::error::Error::source) for callers that inspect it; the message never repeats
/// that error's debugging text. A failed run also carries the report of the steps that
/// completed before the failure, as refinery's `Error` does.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    report: Option<Box<RunReport>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), source: None, report: None }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    pub fn database(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Database, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }
    pub fn migration(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Migration, message)
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, message)
    }

    /// Keeps `cause` as this error's source.
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    /// Attaches what a run did before it failed.
    pub fn with_report(mut self, report: RunReport) -> Self {
        self.report = Some(Box::new(report));
        self
    }

    /// For a failed run: the steps that completed before the failure.
    pub fn report(&self) -> Option<&RunReport> {
        self.report.as_deref()
    }

    /// The same error with another message (a caller adding where it happened).
    pub fn map_message(mut self, change: impl FnOnce(String) -> String) -> Self {
        self.message = change(self.message);
        self
    }
}

/// Two errors are equal when they say the same: the source is a detail for callers.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message && self.report == other.report
    }
}

impl Eq for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_kept_but_not_shown() {
        let cause = std::io::Error::other("disk on fire");
        let error = Error::database("reading the changelog failed").with_source(cause);
        assert_eq!(error.to_string(), "reading the changelog failed");
        let source = std::error::Error::source(&error).expect("a source");
        assert_eq!(source.to_string(), "disk on fire");
        assert_eq!(error, Error::database("reading the changelog failed"));
    }

    #[test]
    fn a_run_error_keeps_its_report() {
        let report = RunReport::default();
        let error = Error::migration("002 failed").with_report(report.clone());
        assert_eq!(error.report(), Some(&report));
        assert_eq!(Error::migration("x").report(), None);
    }
}
