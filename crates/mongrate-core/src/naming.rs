//! Names for new migration files.

use crate::timestamp::compact_utc;
use crate::version::Version;

/// `Add User Index!` → `add-user-index`. Empty when nothing usable remains.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// `YYYYMMDDHHMMSS-<slug>.<ext>` in UTC, the name migrate-mongo writes, so directories stay
/// compatible both ways. When that version is taken or older than the newest existing one (two
/// files created in one second, a clock behind), the newest version plus one is used instead.
pub fn new_file_name(now_millis: i64, existing: &[Version], name: &str, extension: &str) -> Result<String, String> {
    let slug = slugify(name);
    if slug.is_empty() {
        return Err(format!(
            "'{name}' gives an empty file name: use letters or digits, e.g. mongrate create add-user-index"
        ));
    }
    let now = compact_utc(now_millis);
    let newest = existing.iter().filter(|v| !v.is_repeatable()).max();
    let newest_number = newest.and_then(Version::as_integer);
    let version = match (now.parse::<i64>(), newest) {
        (Ok(now), Some(newest)) if Version::number(now) <= *newest => {
            // The next version must still read back as one (it fits an i64).
            let next = newest_number
                .and_then(|n| n.checked_add(1))
                .map(|next| next.to_string())
                .filter(|next| Version::parse(next).is_ok());
            next.ok_or_else(|| {
                format!("the newest migration has version {newest}, the largest there is: no version can follow it")
            })?
        }
        _ => now,
    };
    Ok(format!("{version}-{slug}.{extension}"))
}

/// Whether `name` is a plain identifier (letters, digits, underscores, not starting with a digit),
/// optionally `schema.name`: the only table and collection names mongrate puts into statements.
pub fn is_plain_identifier(name: &str) -> bool {
    let plain = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match name.split_once('.') {
        Some((schema, table)) => plain(schema) && plain(table),
        None => plain(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Add User Index!"), "add-user-index");
        assert_eq!(slugify("  add__email  "), "add-email");
        assert_eq!(slugify("!!"), "");
    }

    #[test]
    fn file_names() {
        assert_eq!(
            new_file_name(1_795_339_800_250, &[Version::number(1)], "add email index", "sql").unwrap(),
            "20261122093000-add-email-index.sql"
        );
        assert_eq!(
            new_file_name(1_795_339_800_250, &[Version::number(20261122093000)], "again", "sql").unwrap(),
            "20261122093001-again.sql"
        );
        assert!(new_file_name(0, &[], "***", "sql").is_err());
        let largest = Version::parse("9223372036854775807").unwrap();
        assert!(new_file_name(0, &[largest], "next", "sql").unwrap_err().contains("9223372036854775807"));
        assert!(new_file_name(0, &[Version::number(i64::MAX)], "next", "sql").is_err());
        // A dotted newest version (Flyway's) cannot be followed by a number: said so, not guessed.
        assert!(new_file_name(0, &[Version::parse("99999999999999.1").unwrap()], "next", "sql").is_err());
    }
}
