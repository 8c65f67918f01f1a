//! Connecting: URL forms, SQLite paths relative to the configuration file, a connect timeout.

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use mongrate_core::{Error, Result};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::dialect::Dialect;

/// Which dialect a URL names, if it is a SQL URL at all.
pub fn dialect_of(url: &str) -> Option<Dialect> {
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "sqlite" => Some(Dialect::Sqlite),
        _ => None,
    }
}

/// `sqlite:app.db`, `sqlite://app.db`, `sqlite:///abs/app.db` → a URL sqlx opens, with a relative
/// path resolved against `base_dir` and the file created when missing.
pub fn normalize_sqlite_url(url: &str, base_dir: &Path) -> String {
    let rest = &url["sqlite:".len()..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if path == ":memory:" || path.is_empty() {
        return url.to_owned();
    }
    let path = Path::new(path);
    let absolute = if path.is_absolute() { path.to_path_buf() } else { base_dir.join(path) };
    let mut query = query.map(str::to_owned).unwrap_or_default();
    if !query.split('&').any(|pair| pair.starts_with("mode=")) {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("mode=rwc");
    }
    format!("sqlite://{}?{query}", absolute.display())
}

/// The URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Opens a small pool: one connection runs migrations, one renews the lease.
pub async fn connect(url: &str, dialect: Dialect, timeout: Duration) -> Result<AnyPool> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let shown = redact(url);
    let pool = AnyPoolOptions::new()
        .max_connections(3)
        .min_connections(0)
        .acquire_timeout(timeout)
        // The connection was just opened or is held for the whole run: no ping per acquire.
        .test_before_acquire(false)
        .connect_lazy(url)
        .map_err(|e| Error::config(format!("invalid {} URL {shown}: {e}", dialect.kind())))?;
    // Connect now, so an unreachable database is reported before anything else.
    match tokio::time::timeout(timeout, pool.acquire()).await {
        Ok(Ok(_)) => Ok(pool),
        Ok(Err(e)) => Err(Error::database(format!("cannot connect to {shown}: {}", crate::errors::describe(&e)))),
        Err(_) => Err(Error::database(format!(
            "cannot connect to {shown}: no answer within {} s (raise connect_timeout_seconds if the server is slow)",
            timeout.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls() {
        let base = Path::new("/srv/app");
        assert_eq!(normalize_sqlite_url("sqlite:data.db", base), "sqlite:///srv/app/data.db?mode=rwc");
        assert_eq!(normalize_sqlite_url("sqlite://data.db?mode=ro", base), "sqlite:///srv/app/data.db?mode=ro");
        assert_eq!(normalize_sqlite_url("sqlite:///tmp/x.db", base), "sqlite:///tmp/x.db?mode=rwc");
        assert_eq!(normalize_sqlite_url("sqlite::memory:", base), "sqlite::memory:");
    }

    #[test]
    fn dialects_and_redaction() {
        assert_eq!(dialect_of("postgresql://x"), Some(Dialect::Postgres));
        assert_eq!(dialect_of("sqlite:x"), Some(Dialect::Sqlite));
        assert_eq!(dialect_of("mongodb://x"), None);
        assert_eq!(redact("postgres://me:secret@db:5432/app"), "postgres://me:***@db:5432/app");
        assert_eq!(redact("postgres://db/app"), "postgres://db/app");
    }
}
