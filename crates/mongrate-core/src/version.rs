//! Migration versions: the leading digits of a file name, compared as numbers.

use std::fmt;

/// A migration version. `001` and `1` are the same version; versions order numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub i64);

impl Version {
    /// Reads the version at the start of a file name.
    ///
    /// Accepts plain leading digits (`20261122093000-add-index.sql`, `001_init.sql`) and the
    /// timestamp form `2024-01-15T10-30-00_name.js`, read as `20240115103000`. Returns the version
    /// and the rest of the name after the separator.
    pub fn from_file_stem(stem: &str) -> Result<(Version, &str), String> {
        if let Some((digits, rest)) = split_iso_timestamp(stem) {
            let version = parse_digits(&digits)?;
            return Ok((version, rest));
        }
        let end = stem.find(|c: char| !c.is_ascii_digit()).unwrap_or(stem.len());
        if end == 0 {
            return Err("the name does not start with a version number".into());
        }
        let version = parse_digits(&stem[..end])?;
        let rest = stem[end..].trim_start_matches(['-', '_', '.', ' ']);
        Ok((version, rest))
    }

    /// Parses a version typed by a user (`--to 20261122093000`).
    pub fn parse(text: &str) -> Result<Version, String> {
        let text = text.trim();
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("'{text}' is not a version: a version is a whole number such as 20261122093000"));
        }
        parse_digits(text)
    }
}

fn parse_digits(digits: &str) -> Result<Version, String> {
    let significant = digits.trim_start_matches('0');
    if significant.len() > 18 {
        return Err(format!("version {digits} has more than 18 significant digits"));
    }
    if significant.is_empty() {
        return Ok(Version(0));
    }
    significant.parse::<i64>().map(Version).map_err(|e| format!("version {digits}: {e}"))
}

/// `2024-01-15T10-30-00_rest` → (`20240115103000`, `rest`).
fn split_iso_timestamp(stem: &str) -> Option<(String, &str)> {
    let bytes = stem.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let shape = b"dddd-dd-ddTdd-dd-dd";
    for (byte, expected) in bytes.iter().zip(shape.iter()) {
        let ok = match expected {
            b'd' => byte.is_ascii_digit(),
            other => byte == other,
        };
        if !ok {
            return None;
        }
    }
    let digits: String = stem[..19].chars().filter(|c| c.is_ascii_digit()).collect();
    let rest = stem[19..].trim_start_matches(['-', '_', '.', ' ']);
    Some((digits, rest))
}

/// Serialized as a string, as in the seed's status response (`"version": "20250122001"`).
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leading_digits() {
        assert_eq!(
            Version::from_file_stem("20261122093000-add-email-index").unwrap(),
            (Version(20261122093000), "add-email-index")
        );
        assert_eq!(Version::from_file_stem("001_init").unwrap(), (Version(1), "init"));
        assert_eq!(Version::from_file_stem("42").unwrap(), (Version(42), ""));
    }

    #[test]
    fn reads_iso_timestamp_form() {
        assert_eq!(
            Version::from_file_stem("2024-01-15T10-30-00_add-field").unwrap(),
            (Version(20240115103000), "add-field")
        );
    }

    #[test]
    fn rejects_names_without_version() {
        assert!(Version::from_file_stem("init").is_err());
        assert!(Version::from_file_stem("-1-init").is_err());
        assert!(Version::from_file_stem("1234567890123456789012_x").is_err());
    }

    #[test]
    fn versions_compare_as_numbers() {
        let (a, _) = Version::from_file_stem("9_a").unwrap();
        let (b, _) = Version::from_file_stem("10_b").unwrap();
        assert!(a < b);
        assert_eq!(Version::parse("007").unwrap(), Version(7));
        assert!(Version::parse("v7").is_err());
    }
}
