//! Turning sqlx errors into messages for people.

use mongrate_core::Error;

/// An error of `doing` from sqlx: `Unavailable` when the database could not be reached (a service
/// answers 503 and a caller may retry), `Database` when it answered with a refusal.
pub fn database(doing: &str, error: sqlx::Error) -> Error {
    let message = format!("{doing}: {}", describe(&error));
    let unreachable =
        matches!(error, sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed);
    let error_of = if unreachable { Error::unavailable } else { Error::database };
    error_of(message).with_source(error)
}

/// The database's own message, without sqlx's wrapping.
pub fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let mut message = db.message().to_owned();
            if let Some(code) = db.code() {
                message.push_str(&format!(" (code {code})"));
            }
            message
        }
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".into(),
        other => other.to_string(),
    }
}

/// SQLite's "database is locked": another process is writing; worth waiting, not failing.
pub fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("5") | Some("6") | Some("517"))
                || db.message().contains("database is locked")
        }
        _ => false,
    }
}
