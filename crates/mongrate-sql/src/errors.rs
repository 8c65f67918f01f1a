//! Turning sqlx errors into messages for people.

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
