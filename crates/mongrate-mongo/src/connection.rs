//! Connecting to MongoDB: the URL, the database, a bounded server selection.

use std::time::Duration;

use mongodb::Client;
use mongodb::options::ClientOptions;
use mongrate_core::url_redaction::{hide_password, redact_url};
use mongrate_core::{Error, Result};

use crate::errors::describe;

/// The forms of a MongoDB URL, shown when a URL is not one mongrate knows.
pub const URL_FORMS: &[&str] =
    &["mongodb://user:password@host:27017/dbname", "mongodb+srv://user:password@cluster.example.net/dbname"];

/// Whether a URL is a MongoDB URL.
pub fn is_mongodb_url(url: &str) -> bool {
    url.starts_with("mongodb://") || url.starts_with("mongodb+srv://")
}

/// The URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    redact_url(url)
}

/// The driver's options for a URL; an error names the URL without its password.
pub async fn parse_url(url: &str) -> Result<ClientOptions> {
    let refuse = |why: &dyn std::fmt::Display| Error::config(format!("invalid MongoDB URL {}: {why}", redact(url)));
    check_percent_signs(url).map_err(|why| refuse(&why))?;
    // The driver quotes parts of the URL in its messages, the password among them.
    ClientOptions::parse(url).await.map_err(|e| refuse(&hide_password(&describe(&e), url)))
}

/// Every `%` starts an escaped byte (`%40`). The driver (3.9) slices the two bytes after a `%` of
/// the user name or password without checking that they are characters, and panics on `%é`.
fn check_percent_signs(url: &str) -> std::result::Result<(), String> {
    let bad = url
        .split('%')
        .skip(1)
        .any(|after| after.get(..2).is_none_or(|two| !two.bytes().all(|b| b.is_ascii_hexdigit())));
    if bad {
        return Err("a '%' must start an escaped byte such as %40 (for '@'); write a '%' itself as %25".into());
    }
    Ok(())
}

/// A client, the database the URL path (or `database`) names, and the options the client was
/// made with (a JavaScript migration's thread makes a client of its own from them).
pub async fn connect(url: &str, database: Option<&str>, timeout: Duration) -> Result<(Client, String, ClientOptions)> {
    let shown = redact(url);
    let mut options = parse_url(url).await?;
    options.app_name = Some("mongrate".into());
    options.server_selection_timeout = Some(timeout);
    options.connect_timeout = Some(timeout);
    let database = database
        .map(str::to_owned)
        .or_else(|| options.default_database.clone())
        .filter(|name| !name.is_empty())
        .ok_or_else(|| {
            Error::config(format!(
                "no MongoDB database: put it in the URL path ({}/mydb) or set `database` in mongrate.toml (--database on the command line)",
                shown.trim_end_matches('/')
            ))
        })?;
    let client =
        Client::with_options(options.clone()).map_err(|e| Error::config(format!("{shown}: {}", describe(&e))))?;
    Ok((client, database, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(is_mongodb_url("mongodb://localhost/app"));
        assert!(is_mongodb_url("mongodb+srv://cluster.example.net/app"));
        assert!(!is_mongodb_url("postgres://x"));
        assert_eq!(redact("mongodb://me:secret@db:27017/app"), "mongodb://me:***@db:27017/app");
    }

    #[tokio::test]
    async fn a_percent_sign_before_a_wide_character_is_refused_not_a_panic() {
        // Found by the property tests: the driver panicked on this one.
        let error = parse_url("mongodb://%\u{800}mongodb://@").await.unwrap_err();
        assert!(error.message.contains("%25"), "{}", error.message);
        let error = parse_url("mongodb://me:50%@db/app").await.unwrap_err();
        assert!(error.message.contains("mongodb://me:***@db/app"), "{}", error.message);
        assert!(parse_url("mongodb://me:p%40ss@db/app").await.is_ok());
    }
}
