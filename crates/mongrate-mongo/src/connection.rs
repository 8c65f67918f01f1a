//! Connecting to MongoDB: the URL, the database, a bounded server selection.

use std::time::Duration;

use mongodb::Client;
use mongodb::options::ClientOptions;
use mongrate_core::url_redaction::redact_url;
use mongrate_core::{Error, Result};

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

/// A client, the database the URL path (or `database`) names, and the options the client was
/// made with (a JavaScript migration's thread makes a client of its own from them).
pub async fn connect(url: &str, database: Option<&str>, timeout: Duration) -> Result<(Client, String, ClientOptions)> {
    let shown = redact(url);
    let mut options =
        ClientOptions::parse(url).await.map_err(|e| Error::config(format!("invalid MongoDB URL {shown}: {e}")))?;
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
    let client = Client::with_options(options.clone()).map_err(|e| Error::config(format!("{shown}: {e}")))?;
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
}
