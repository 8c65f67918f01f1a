//! Connecting: URL forms, SQLite paths relative to the configuration file, a connect timeout.

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use mongrate_core::url_redaction::{hide_password, redact_url};
use mongrate_core::{Error, Result};
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};

use crate::dialect::Dialect;

/// The forms of a SQL database URL, shown when one is malformed.
pub const URL_FORMS: &[&str] = &[
    "sqlite:path/to/app.db (relative to mongrate.toml)",
    "sqlite:///absolute/path/app.db",
    "sqlite::memory: (gone when mongrate exits)",
    "postgres://user:password@host:5432/dbname",
];

/// Which dialect a URL names, if it is a SQL URL at all.
pub fn dialect_of(url: &str) -> Option<Dialect> {
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "sqlite" => Some(Dialect::Sqlite),
        _ => None,
    }
}

/// Checks a SQL URL before the driver sees it, so that a short or malformed one (`sqlite`,
/// `sqlite:`, `postgres://`, a port that is not a number) is refused with the accepted forms.
pub fn check_url(url: &str) -> Result<Dialect> {
    let refuse = |why: &str| {
        Error::config(format!(
            "invalid database URL '{}': {why}. Accepted forms: {}",
            redact(url),
            URL_FORMS.join(", ")
        ))
    };
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(refuse("it is only a scheme: the database follows a ':'"));
    };
    match dialect_of(url) {
        Some(Dialect::Sqlite) => {
            if sqlite_path_and_query(rest).0.is_empty() {
                return Err(refuse("it names no database file"));
            }
            Ok(Dialect::Sqlite)
        }
        Some(Dialect::Postgres) => {
            let Some(rest) = rest.strip_prefix("//") else {
                return Err(refuse(&format!("a PostgreSQL URL starts with {scheme}://")));
            };
            check_postgres_server(rest).map_err(|why| refuse(&why))?;
            Ok(Dialect::Postgres)
        }
        None => Err(refuse(&format!("mongrate does not know the scheme '{scheme}:'"))),
    }
}

/// The server part of what follows `postgres://`: `user:password@host:port,host2/dbname?…`.
/// The authority ends at the first `/`, `?` or `#`, as the driver reads it.
fn check_postgres_server(rest: &str) -> std::result::Result<(), String> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, hosts)| hosts);
    if hosts.is_empty() {
        let query = tail.split_once('?').map_or("", |(_, query)| query);
        if query.split('&').any(|pair| pair.starts_with("host=")) {
            return Ok(());
        }
        return Err(
            "it names no server: write the host after `postgres://` (or a socket directory as ?host=/path)".into()
        );
    }
    for host in hosts.split(',') {
        let port = match host.strip_prefix('[') {
            Some(bracketed) => match bracketed.split_once(']') {
                Some((_, "")) => None,
                Some((_, after)) => {
                    Some(after.strip_prefix(':').ok_or("an IPv6 address is followed by ':' and a port")?)
                }
                None => return Err("an IPv6 address in '[…]' has no closing ']'".into()),
            },
            None => host.split_once(':').map(|(_, port)| port),
        };
        let Some(port) = port else { continue };
        if port.parse::<u16>().is_ok_and(|port| port > 0) {
            continue;
        }
        // An unescaped `/`, `?`, `#` or `@` in the password ends the host early: what looks like
        // a port may be part of the password, which is not shown.
        if tail.contains('@') {
            return Err("the text after ':' in the host is not a port number; if the password holds '/', '?', '#' or '@', write them as %2F, %3F, %23, %40".into());
        }
        return Err(format!("the port must be an integer between 1 and 65535, got \"{port}\""));
    }
    Ok(())
}

/// What follows `sqlite:` (and an optional `//`), split at the `?` of the options.
fn sqlite_path_and_query(rest: &str) -> (&str, Option<&str>) {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    }
}

/// `sqlite:app.db`, `sqlite://app.db`, `sqlite:///abs/app.db` → a URL sqlx opens, with a relative
/// path resolved against `base_dir` and the file created when missing. Anything else is returned
/// as given, for [`check_url`] to refuse.
pub fn normalize_sqlite_url(url: &str, base_dir: &Path) -> String {
    let Some((_, rest)) = url.split_once(':') else {
        return url.to_owned();
    };
    let (path, query) = sqlite_path_and_query(rest);
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
    redact_url(url)
}

/// Opens a small pool: one connection runs migrations, one renews the lease.
/// Opens the pool and its first connection, which becomes the run's primary connection (handing
/// it back and acquiring it again would open a second one: a connection goes back to the pool
/// asynchronously).
pub async fn connect(url: &str, dialect: Dialect, timeout: Duration) -> Result<(AnyPool, PoolConnection<Any>)> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    check_url(url)?;
    let shown = redact(url);
    let pool = AnyPoolOptions::new()
        .max_connections(3)
        .min_connections(0)
        .acquire_timeout(timeout)
        // The connection was just opened or is held for the whole run: no ping per acquire.
        .test_before_acquire(false)
        .connect_lazy(url)
        .map_err(|e| {
            Error::config(format!("invalid {} URL {shown}: {}", dialect.kind(), hide_password(&e.to_string(), url)))
        })?;
    // Connect now, so an unreachable database is reported before anything else.
    match tokio::time::timeout(timeout, pool.acquire()).await {
        Ok(Ok(connection)) => Ok((pool, connection)),
        Ok(Err(e)) => Err(crate::errors::database(&format!("cannot connect to {shown}"), e)),
        Err(_) => Err(Error::unavailable(format!(
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
        // Too short to be a SQLite URL: returned as given, for check_url to refuse.
        assert_eq!(normalize_sqlite_url("sqlite", base), "sqlite");
        assert_eq!(normalize_sqlite_url("sqlite:", base), "sqlite:");
    }

    #[test]
    fn malformed_urls_are_refused_with_the_accepted_forms() {
        for (url, why) in [
            ("sqlite", "only a scheme"),
            ("sqlite:", "names no database file"),
            ("sqlite://?mode=ro", "names no database file"),
            ("postgres:localhost", "starts with postgres://"),
            ("postgres://", "names no server"),
            ("postgres://me:pw@/app", "names no server"),
            ("postgres://me:pw@db:bad/app", "got \"bad\""),
            ("postgres://db:0/app", "got \"0\""),
            ("postgres://db:65536/app", "got \"65536\""),
            ("postgres://[::1/app", "no closing ']'"),
            ("postgres://me:p/w@db/app", "%2F"),
            ("mysql://db/app", "'mysql:'"),
        ] {
            let error = check_url(url).unwrap_err();
            assert!(error.message.contains(why), "{url}: {}", error.message);
            assert!(error.message.contains("postgres://user:password@host:5432/dbname"), "{}", error.message);
            assert!(!error.message.contains("pw@") && !error.message.contains("p/w"), "{}", error.message);
        }
    }

    #[test]
    fn well_formed_urls_pass() {
        for url in [
            "sqlite:app.db",
            "SQLite:app.db?mode=ro",
            "sqlite:///tmp/app.db",
            "postgres://me:secret@db:5432/app",
            "postgresql://db/app?sslmode=require",
            "postgres://[::1]:5432/app",
            "postgres://a:5432,b:5433/app",
            "postgres:///app?host=/var/run/postgresql",
            "sqlite::memory:",
        ] {
            check_url(url).unwrap_or_else(|e| panic!("{url}: {}", e.message));
        }
    }

    #[test]
    fn dialects_and_redaction() {
        assert_eq!(dialect_of("postgresql://x"), Some(Dialect::Postgres));
        assert_eq!(dialect_of("sqlite:x"), Some(Dialect::Sqlite));
        assert_eq!(dialect_of("mongodb://x"), None);
        assert_eq!(redact("postgres://me:secret@db:5432/app"), "postgres://me:***@db:5432/app");
        assert_eq!(redact("postgres://db/app"), "postgres://db/app");
        assert_eq!(redact("postgres://me:p@ss@db/app"), "postgres://me:***@db/app");
    }
}
