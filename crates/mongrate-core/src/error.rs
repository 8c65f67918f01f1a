//! One error type for the whole engine; its kind decides the process exit code.

use std::fmt;

/// What went wrong, coarsely: each kind maps to one exit code of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags or a bad configuration (exit 2).
    Config,
    /// A migration file is malformed, or the files disagree with the changelog (exit 4).
    Validation,
    /// An applied migration's file changed or vanished (exit 4).
    Drift,
    /// The request cannot be carried out as asked, e.g. reverting an irreversible migration (exit 4).
    Refused,
    /// The database failed or could not be reached (exit 1).
    Database,
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
            ErrorKind::Database | ErrorKind::Migration | ErrorKind::LeaseLost | ErrorKind::Interrupted => 1,
        }
    }
}

/// An error with a message written for the person who has to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
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
    pub fn migration(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Migration, message)
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
