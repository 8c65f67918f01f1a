//! Driver errors as messages for people.

use mongodb::error::{Error as DriverError, ErrorKind as DriverErrorKind, WriteFailure};
use mongrate_core::Error;

/// A database error with what was being done.
pub fn server(doing: &str, error: &DriverError) -> Error {
    Error::database(format!("{doing}: {}", describe(error)))
}

/// The server's message, or the driver's.
pub fn describe(error: &DriverError) -> String {
    match error.kind.as_ref() {
        DriverErrorKind::ServerSelection { message, .. } => {
            format!("cannot reach the server (no server answered within the timeout): {message}")
        }
        _ => error.to_string(),
    }
}

/// The server's error codes in an error (one per failed write of a batch).
pub fn codes(error: &DriverError) -> Vec<i32> {
    match error.kind.as_ref() {
        DriverErrorKind::Command(command) => vec![command.code],
        DriverErrorKind::Write(WriteFailure::WriteError(write)) => vec![write.code],
        DriverErrorKind::Write(WriteFailure::WriteConcernError(concern)) => vec![concern.code],
        DriverErrorKind::InsertMany(insert) => insert.write_errors.iter().flatten().map(|e| e.code).collect(),
        _ => Vec::new(),
    }
}

/// A duplicate key error (code 11000), as when the lease is held.
pub fn is_duplicate_key(error: &DriverError) -> bool {
    codes(error).contains(&11000) || error.to_string().contains("E11000")
}
