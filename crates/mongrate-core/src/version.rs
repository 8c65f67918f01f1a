//! Migration versions, and the key a migration has in the changelog.
//!
//! A version is an ordered sequence of numbers, compared as Flyway compares them: part by part as
//! numbers (`1.2 < 1.10`, `9 < 10`), a missing part counting as zero (`1.0` is `1`). Most are one
//! number, the leading digits of a file name (`20261122093000-add-index.sql`, `001_init.sql`);
//! Flyway's have dots (`V1.2__`, `V2024.01.15.1__`). A version is shown as it was written
//! (`2024.01.15.1`), except that a whole number is shown as the number (`001` as `1`), as ever.
//!
//! A repeatable migration has no version: its key is its name, written `R__<name>`, and it sorts
//! after every version (repeatables run after the versioned migrations, in name order, `_` read as
//! a space as Flyway reads its descriptions).
//!
//! In the changelog a whole number is stored as it always was (a `BIGINT` in SQL, its digits as a
//! string in MongoDB). Any other key is stored as its text ([`Version::stored_text`]) beside a
//! fixed 63-bit number derived from it ([`Version::storage_id`]), negative so it meets no whole
//! number.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

/// A migration's version, or a repeatable migration's name.
#[derive(Clone)]
pub struct Version(Repr);

#[derive(Clone)]
enum Repr {
    /// The numbers without trailing zero parts (at least one part), and the text as written when
    /// it shows more than the numbers do (`2024.01.15.1`, `1.0`).
    Numbers { parts: Box<[u64]>, written: Option<Box<str>> },
    /// A repeatable migration's name.
    Repeatable(Box<str>),
}

/// A regular expression for API documents of versions [`Version::parse`] accepts: whole numbers
/// and numbers with dots of up to 18 digits a part (parse takes up to `i64::MAX`), `R__<name>`
/// without control characters or white space at either end. The HTTP layer's parameters repeat
/// it (an attribute needs the literal); a test there keeps them equal.
pub const PATTERN: &str =
    r"^(0*[0-9]{1,18}(\.0*[0-9]{1,18})*|R__[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?)$";

impl Version {
    /// The whole-number version `n` (a negative one is taken as 0: versions are not negative).
    pub fn number(n: i64) -> Version {
        Version(Repr::Numbers { parts: Box::new([n.max(0) as u64]), written: None })
    }

    /// The version before every other: `migrate 0` and `down --to 0` mean "before the first".
    pub fn zero() -> Version {
        Version::number(0)
    }

    /// The key of a repeatable migration named `name`.
    pub fn repeatable(name: &str) -> Version {
        Version(Repr::Repeatable(name.into()))
    }

    /// The key of a repeatable migration named `name`, when the name can be one: not empty, no
    /// white space at either end (it would not survive being read back), no control characters.
    pub fn checked_repeatable(name: &str) -> Result<Version, String> {
        if name.is_empty() {
            return Err("a repeatable migration needs a name after R__ (R__views.sql)".into());
        }
        if name.trim() != name {
            return Err(format!("the repeatable migration's name '{name}' starts or ends with white space"));
        }
        if name.chars().any(char::is_control) {
            return Err(format!("the repeatable migration's name {name:?} holds a control character"));
        }
        Ok(Version::repeatable(name))
    }

    /// Whether this is a repeatable migration's key.
    pub fn is_repeatable(&self) -> bool {
        matches!(self.0, Repr::Repeatable(_))
    }

    /// The version as a whole number, when it is one.
    pub fn as_integer(&self) -> Option<i64> {
        match &self.0 {
            Repr::Numbers { parts, .. } if parts.len() == 1 => i64::try_from(parts[0]).ok(),
            _ => None,
        }
    }

    /// The text that identifies the key whatever way it was written: `1.2` for `1.2.0`, `R__x`.
    pub fn key_text(&self) -> String {
        match &self.0 {
            Repr::Numbers { parts, .. } => parts.iter().map(u64::to_string).collect::<Vec<_>>().join("."),
            Repr::Repeatable(name) => format!("R__{name}"),
        }
    }

    /// What a changelog stores beside the number: `None` for a whole number written as one, else
    /// the text as shown (which [`Version::parse`] reads back).
    pub fn stored_text(&self) -> Option<String> {
        match &self.0 {
            Repr::Numbers { parts, written: None } if parts.len() == 1 => None,
            _ => Some(self.to_string()),
        }
    }

    /// The number a SQL changelog keys the migration by: the version itself when it is a whole
    /// number, else a negative number derived from [`Version::key_text`] (SHA-256, 62 bits).
    pub fn storage_id(&self) -> i64 {
        if let Some(n) = self.as_integer() {
            return n;
        }
        let digest = Sha256::digest(self.key_text().as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        -1 - (u64::from_be_bytes(bytes) >> 2) as i64
    }

    /// The version read back from a changelog: its number, and the text stored beside it.
    pub fn from_storage(id: i64, text: Option<&str>) -> Result<Version, String> {
        match text {
            Some(text) => Version::parse(text),
            None if id >= 0 => Ok(Version::number(id)),
            None => Err(format!("version {id} without its text")),
        }
    }

    /// Reads the version at the start of a file name.
    ///
    /// Accepts plain leading digits (`20261122093000-add-index.sql`, `001_init.sql`) and the
    /// timestamp form `2024-01-15T10-30-00_name.js`, read as `20240115103000`. Returns the version
    /// and the rest of the name after the separator.
    pub fn from_file_stem(stem: &str) -> Result<(Version, &str), String> {
        if let Some((digits, rest)) = split_iso_timestamp(stem) {
            let version = parse_digits(&digits)?;
            return Ok((Version::number(version as i64), rest));
        }
        let end = stem.find(|c: char| !c.is_ascii_digit()).unwrap_or(stem.len());
        if end == 0 {
            return Err("the name does not start with a version number".into());
        }
        let version = parse_digits(&stem[..end])?;
        let rest = stem[end..].trim_start_matches(['-', '_', '.', ' ']);
        Ok((Version::number(version as i64), rest))
    }

    /// Parses a version typed by a user (`--to 20261122093000`, `--to 1.2`, `R__views`), or as a
    /// changelog stored it.
    pub fn parse(text: &str) -> Result<Version, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("R__") {
            return Version::checked_repeatable(name)
                .map_err(|why| format!("'{text}' is not a repeatable migration's key: {why}"));
        }
        let shape_ok = !text.is_empty()
            && text.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
        if !shape_ok {
            return Err(format!(
                "'{text}' is not a version: a version is a whole number such as 20261122093000, numbers with dots \
                 such as 1.2, or R__<name> for a repeatable migration"
            ));
        }
        let mut parts = text
            .split('.')
            .map(parse_digits)
            .collect::<Result<Vec<u64>, String>>()
            .map_err(|why| if text.contains('.') { format!("{text}: {why}") } else { why })?;
        let dotted = parts.len() > 1;
        while parts.len() > 1 && parts.last() == Some(&0) {
            parts.pop();
        }
        let canonical = parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
        let written = (dotted && canonical != text).then(|| text.into());
        Ok(Version(Repr::Numbers { parts: parts.into(), written }))
    }

    /// The parts to compare, and the name of a repeatable.
    fn order_key(&self) -> (Option<&[u64]>, Option<&str>) {
        match &self.0 {
            Repr::Numbers { parts, .. } => (Some(parts), None),
            Repr::Repeatable(name) => (None, Some(name)),
        }
    }
}

/// Digits as a number that fits an `i64` (golang-migrate's `unixNano` versions have 19 digits).
fn parse_digits(digits: &str) -> Result<u64, String> {
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    match significant.parse::<u64>() {
        Ok(n) if i64::try_from(n).is_ok() => Ok(n),
        _ => Err(format!("version {digits} is larger than the largest version, {}", i64::MAX)),
    }
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

/// Numbers part by part (a missing part is zero; parts never end in zero), then repeatables by name
/// (`_` read as a space).
impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        match (self.order_key(), other.order_key()) {
            ((Some(a), _), (Some(b), _)) => {
                let length = a.len().max(b.len());
                (0..length)
                    .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            }
            ((Some(_), _), (None, _)) => Ordering::Less,
            ((None, _), (Some(_), _)) => Ordering::Greater,
            // As Flyway orders repeatables, by description: the name with `_` read as a space
            // (`orders summary` before `ordersByDay`); names that read alike, as written.
            ((None, Some(a)), (None, Some(b))) => {
                let spaced = |name: &str| name.chars().map(|c| if c == '_' { ' ' } else { c }).collect::<Vec<_>>();
                spaced(a).cmp(&spaced(b)).then_with(|| a.cmp(b))
            }
            ((None, a), (None, b)) => a.cmp(&b),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.order_key().hash(state);
    }
}

/// Serialized as a string, as in the seed's status response (`"version": "20250122001"`).
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Numbers { written: Some(text), .. } => f.write_str(text),
            Repr::Numbers { .. } | Repr::Repeatable(_) => f.write_str(&self.key_text()),
        }
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn reads_leading_digits() {
        assert_eq!(
            Version::from_file_stem("20261122093000-add-email-index").unwrap(),
            (Version::number(20261122093000), "add-email-index")
        );
        assert_eq!(Version::from_file_stem("001_init").unwrap(), (Version::number(1), "init"));
        assert_eq!(Version::from_file_stem("42").unwrap(), (Version::number(42), ""));
    }

    #[test]
    fn reads_iso_timestamp_form() {
        assert_eq!(
            Version::from_file_stem("2024-01-15T10-30-00_add-field").unwrap(),
            (Version::number(20240115103000), "add-field")
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
        assert_eq!(v("007"), Version::number(7));
        assert_eq!(v("007").to_string(), "7", "a whole number is shown as the number");
        assert!(Version::parse("v7").is_err());
        assert!(Version::parse("1..2").is_err());
        assert!(Version::parse("1.").is_err());
        assert!(Version::parse("").is_err());
        assert!(Version::parse("R__").is_err());
        assert!(Version::parse("R__a\nb").is_err());
    }

    #[test]
    fn dotted_versions_order_as_flyway_orders_them() {
        let mut versions = ["1.10", "1.2", "2", "1", "1.2.1", "2024.01.15.1", "2024.1.15", "1.9"].map(v).to_vec();
        versions.sort();
        let shown: Vec<String> = versions.iter().map(Version::to_string).collect();
        assert_eq!(shown, ["1", "1.2", "1.2.1", "1.9", "1.10", "2", "2024.1.15", "2024.01.15.1"]);
        // Trailing zero parts are equal, and shown as written.
        assert_eq!(v("1.0"), v("1"));
        assert_eq!(v("1.2.0"), v("1.2"));
        assert_eq!(v("1.0").to_string(), "1.0");
        assert_eq!(v("2024.01.15.1").to_string(), "2024.01.15.1");
        assert_eq!(v("2024.01.15.1").key_text(), "2024.1.15.1");
        use std::collections::HashSet;
        let set: HashSet<Version> = ["1.0", "1", "1.0.0", "1.2"].map(v).into_iter().collect();
        assert_eq!(set.len(), 2, "equal versions hash alike");
    }

    #[test]
    fn repeatables_sort_after_every_version_by_name() {
        let views = Version::repeatable("views");
        assert!(views.is_repeatable());
        assert_eq!(views.to_string(), "R__views");
        assert_eq!(v("R__views"), views);
        assert!(Version::number(i64::MAX) < views);
        assert!(v("999.9") < Version::repeatable("a"));
        assert!(Version::repeatable("a_functions") < views);
        // As Flyway orders descriptions: `_` reads as a space, before any letter.
        assert!(Version::repeatable("orders_summary") < Version::repeatable("ordersByDay"));
        assert!(Version::repeatable("a_b") != Version::repeatable("a b"), "names that read alike stay two");
        // A name that could not be read back as it was written is refused.
        for bad in ["", " views", "views ", "a\tb"] {
            assert!(Version::checked_repeatable(bad).is_err(), "{bad:?}");
        }
        assert!(Version::parse("R__ views").is_err());
    }

    #[test]
    fn versions_fit_an_i64_as_golang_migrate_unix_nano_ones_do() {
        let nano = "1764709200123456789";
        assert_eq!(v(nano).as_integer(), Some(1_764_709_200_123_456_789));
        assert_eq!(Version::from_file_stem(&format!("{nano}_a")).unwrap().0.to_string(), nano);
        assert!(Version::parse("9223372036854775808").unwrap_err().contains("larger than the largest version"));
    }

    #[test]
    fn whole_numbers_are_stored_as_they_always_were() {
        for version in [Version::number(20261122093000), v("001"), Version::zero()] {
            assert_eq!(version.stored_text(), None);
            assert_eq!(Some(version.storage_id()), version.as_integer());
            assert_eq!(Version::from_storage(version.storage_id(), None), Ok(version));
        }
        for text in ["1.2", "2024.01.15.1", "R__views", "1.0"] {
            let version = v(text);
            let stored = version.stored_text();
            assert_eq!(stored.as_deref(), Some(text));
            let back = Version::from_storage(version.storage_id(), stored.as_deref()).unwrap();
            assert_eq!(back.to_string(), text, "shown as written after a round trip");
            assert_eq!(back, version);
        }
        assert!(v("1.2").storage_id() < 0 && v("R__views").storage_id() < 0);
        assert_ne!(v("1.2").storage_id(), v("1.20").storage_id());
        assert_eq!(v("1.2").storage_id(), v("1.2.0").storage_id(), "equal versions, one key");
        assert_eq!(v("1.0").storage_id(), 1, "1.0 is version 1");
        assert!(Version::from_storage(-5, None).is_err());
    }
}
