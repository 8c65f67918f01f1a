//! Database URLs as shown in messages: the password replaced by `***`.
//!
//! Every target shows its URL in errors and reports, and a password must never appear there, so
//! the rule lives once: the credentials are everything between `://` and the last `@` (a password
//! written with an unescaped `@` or `/` is still hidden whole), and whatever follows the first `:`
//! of them is the password.

/// The URL with its password replaced by `***`; a URL without a password is returned as given.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, hosts)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{hosts}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_password_only() {
        assert_eq!(redact_url("postgres://me:secret@db:5432/app"), "postgres://me:***@db:5432/app");
        assert_eq!(redact_url("mongodb://me:secret@a:1,b:2/app?tls=true"), "mongodb://me:***@a:1,b:2/app?tls=true");
        assert_eq!(redact_url("postgres://me@db/app"), "postgres://me@db/app");
        assert_eq!(redact_url("postgres://db/app"), "postgres://db/app");
        assert_eq!(redact_url("sqlite:app.db"), "sqlite:app.db");
        assert_eq!(redact_url(""), "");
    }

    #[test]
    fn a_password_with_unescaped_at_or_slash_is_hidden_whole() {
        assert_eq!(redact_url("postgres://me:p@ss/w@db/app"), "postgres://me:***@db/app");
        assert_eq!(redact_url("mongodb://me:@@h/db"), "mongodb://me:***@h/db");
    }
}
