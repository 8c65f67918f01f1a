//! Database URLs as shown in messages: the password replaced by `***`.
//!
//! Every target shows its URL in errors and reports, and a password must never appear there, so
//! the rule lives once. The credentials are everything between `scheme://` and the last `@` (a
//! password written with an unescaped `@` or `/` is still hidden whole); what follows their first
//! `:` is the password. A URL mistyped without `scheme://` is shown up to its first `:` only.

use std::ops::Range;

/// The URL with its password replaced by `***`; a URL without a password is returned as given.
pub fn redact_url(url: &str) -> String {
    match password_range(url) {
        Some(range) => format!("{}***{}", &url[..range.start], &url[range.end..]),
        None => url.to_owned(),
    }
}

/// `text` (a driver's message about `url`) with every copy of the URL's password replaced by
/// `***`, in any letter case (a driver may lower-case what it quotes). In a malformed URL the
/// driver may see the password's end elsewhere and quote a piece of it: the pieces between URL
/// delimiters (three characters or more) are hidden too.
pub fn hide_password(text: &str, url: &str) -> String {
    let Some(password) = password_range(url).map(|range| &url[range]).filter(|p| !p.is_empty()) else {
        return text.to_owned();
    };
    let is_delimiter = |c: char| "/?#@:,&=".contains(c) || c.is_whitespace();
    let pieces = password.split(is_delimiter).filter(|piece| piece.chars().count() >= 3);
    let mut secrets: Vec<&str> = std::iter::once(password).chain(pieces).collect();
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    secrets.into_iter().fold(text.to_owned(), |text, secret| replace_ignoring_case(&text, secret))
}

/// `text` with every ASCII-case-insensitive copy of `secret` (not empty) replaced by `***`.
fn replace_ignoring_case(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.get(..secret.len()).is_some_and(|head| head.eq_ignore_ascii_case(secret)) {
            out.push_str("***");
            rest = &rest[secret.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Where the password is in `url`, if it has one.
fn password_range(url: &str) -> Option<Range<usize>> {
    let at = url.rfind('@')?;
    let before_hosts = &url[..at];
    let credentials_start = match before_hosts.split_once("://") {
        Some((scheme, _)) if is_scheme(scheme) => scheme.len() + 3,
        _ => 0,
    };
    let colon = credentials_start + before_hosts[credentials_start..].find(':')?;
    Some(colon + 1..at)
}

/// `postgres`, `mongodb+srv`: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_password_only_and_all_of_it() {
        for (url, shown) in [
            ("postgres://me:secret@db:5432/app", "postgres://me:***@db:5432/app"),
            ("mongodb://me:secret@a:1,b:2/app?tls=true", "mongodb://me:***@a:1,b:2/app?tls=true"),
            ("postgres://me@db/app", "postgres://me@db/app"),
            ("postgres://db/app", "postgres://db/app"),
            ("sqlite:app.db", "sqlite:app.db"),
            ("", ""),
            // Unescaped `@` and `/` in the password, a mistyped scheme, no scheme at all.
            ("postgres://me:p@ss/w@db/app", "postgres://me:***@db/app"),
            ("mongodb://me:@@h/db", "mongodb://me:***@h/db"),
            ("mongodb:/me:secret@h/db", "mongodb:***@h/db"),
            ("héllo:wörld@h", "héllo:***@h"),
            ("m//me:secret@mongodb://h:1@h/db", "m//me:***@h/db"),
        ] {
            assert_eq!(redact_url(url), shown);
        }
    }

    #[test]
    fn a_message_loses_every_copy_of_the_password() {
        let url = "mongodb://me:SeCret@h/db";
        assert_eq!(hide_password("bad option me:secret@h and SECRET", url), "bad option me:***@h and ***");
        assert_eq!(hide_password("nothing to hide: é", "mongodb://h/db"), "nothing to hide: é");
        assert_eq!(hide_password("é:é", "x://u:é@h"), "***:***");
        // The driver took `secret\n?:db` for the password's place and quoted a piece of it.
        let malformed = "mongodb://app:secret\n?:db/x@rs0";
        assert_eq!(hide_password("invalid server address app:secret", malformed), "invalid server address app:***");
    }
}
