//! What a directory entry's name says about it: which layouts' migration files it can be, and
//! the version and name it carries.

use crate::layout::{Fits, Layout};
use crate::version::Version;

/// Extensions mongrate reads as migrations; other files (READMEs, helpers) are left alone.
pub const MIGRATION_EXTENSIONS: &[&str] = &["sql", "js", "mjs", "cjs", "ts", "mts", "cts", "yaml", "yml", "json"];

/// The kinds of Flyway file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlywayKind {
    /// `V<version>__<name>.sql`.
    Versioned,
    /// `U<version>__<name>.sql`: the undo (down) of the versioned file of the same version.
    Undo,
    /// `R__<name>.sql`: applied again whenever it changes.
    Repeatable,
}

/// A migration file's name, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameShape {
    /// `<version>[-_]<name>.<ext>`: mongrate's, and for `.sql` also dbmate's or sqlx's (up only).
    /// `underscore`: the version is followed by `_`, as sqlx requires.
    Single { version: Version, slug: String, underscore: bool },
    /// `<version>_<name>.up.sql` or `.down.sql`: golang-migrate's or sqlx's.
    Pair { version: Version, slug: String, down: bool },
    /// `V…__`, `U…__`, `R__…`.
    Flyway { kind: FlywayKind, version: Option<Version>, slug: String },
    /// A folder `<YYYY-MM-DD-HHMMSS>_<name>` holding `up.sql` (diesel).
    DieselFolder { version: Version, slug: String },
}

impl NameShape {
    /// The layouts a file of this shape can belong to, judged by its name, its extension and the
    /// marks in its content (`-- mongrate:up`, `-- migrate:up`, a first line `-- no-transaction`).
    pub fn fits(&self, extension: &str, content: &str) -> Fits {
        let sqlx_mark = content.lines().next().is_some_and(|line| line.trim() == "-- no-transaction");
        match self {
            NameShape::Single { .. } if extension != "sql" => Fits::only(Layout::Mongrate),
            NameShape::Single { .. } if has_marker(content, "mongrate:") => Fits::only(Layout::Mongrate),
            NameShape::Single { .. } if has_marker(content, "migrate:up") => Fits::only(Layout::Dbmate),
            NameShape::Single { underscore: true, .. } if sqlx_mark => Fits::only(Layout::Sqlx),
            NameShape::Single { underscore: true, .. } => Fits::either(&[Layout::Sqlx, Layout::Mongrate]),
            NameShape::Single { underscore: false, .. } => Fits::only(Layout::Mongrate),
            NameShape::Pair { .. } if sqlx_mark => Fits::only(Layout::Sqlx),
            NameShape::Pair { .. } => Fits::either(&[Layout::GolangMigrate, Layout::Sqlx]),
            NameShape::Flyway { .. } => Fits::only(Layout::Flyway),
            NameShape::DieselFolder { .. } => Fits::only(Layout::Diesel),
        }
    }
}

/// Whether a line of `content` is the comment `-- <word>…` (`-- mongrate:up`, `--migrate:up`).
fn has_marker(content: &str, word: &str) -> bool {
    content
        .lines()
        .any(|line| line.trim_start().strip_prefix("--").is_some_and(|rest| rest.trim_start().starts_with(word)))
}

/// The shape of a file's name: `None` when the extension is not a migration's, `Some(Err)` when it
/// is but the name fits no layout (the reason, in words).
pub fn file_shape(name: &str) -> Option<Result<NameShape, String>> {
    let (stem, extension) = name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    if !MIGRATION_EXTENSIONS.contains(&extension.as_str()) {
        return None;
    }
    if extension == "sql" {
        if let Some(shape) = flyway_shape(stem) {
            return Some(shape);
        }
        if let Some(shape) = pair_shape(stem) {
            return Some(Ok(shape));
        }
    }
    Some(Version::from_file_stem(stem).map(|(version, slug)| {
        let digits = stem.find(|c: char| !c.is_ascii_digit()).unwrap_or(stem.len());
        let underscore = digits > 0 && stem[digits..].starts_with('_');
        NameShape::Single { version, slug: slug.to_owned(), underscore }
    }))
}

/// The shape of a folder's name: `Some` for a diesel migration folder (`2024-01-15-103000_x`,
/// also `00000000000000_diesel_initial_setup`), `None` for any other folder.
pub fn folder_shape(name: &str) -> Option<Result<NameShape, String>> {
    let (version, slug) = name.split_once('_')?;
    if version.is_empty()
        || !version.starts_with(|c: char| c.is_ascii_digit())
        || !version.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return None;
    }
    Some(diesel_version(version).map(|version| NameShape::DieselFolder { version, slug: slug.to_owned() }))
}

/// diesel's version of a folder (`2024-01-15-103000` → 20240115103000) or of a row of its table.
/// diesel orders its folders by name, and since 2.3 it names them with a counter after the time
/// (`2024-01-15-103000-0001`, recorded as the 18 digits `202401151030000001`): the counter is a
/// second part (`20240115103000.0001`), so such a folder sorts by its date among the older ones,
/// as in diesel, not after every one of them as a larger number would.
pub fn diesel_version(version: &str) -> Result<Version, String> {
    let digits: String = version.chars().filter(char::is_ascii_digit).collect();
    let lengths: Vec<usize> = version.split('-').map(str::len).collect();
    let with_counter = lengths == [4, 2, 2, 6, 4] || (lengths == [18] && digits.len() == 18);
    if with_counter { Version::parse(&format!("{}.{}", &digits[..14], &digits[14..])) } else { Version::parse(&digits) }
}

/// `1_create_users.up` / `.down` (the stem of a `.sql` file).
fn pair_shape(stem: &str) -> Option<NameShape> {
    let (rest, down) = if let Some(rest) = strip_suffix_ignore_case(stem, ".up") {
        (rest, false)
    } else {
        (strip_suffix_ignore_case(stem, ".down")?, true)
    };
    let (digits, slug) = rest.split_once('_')?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let version = Version::parse(digits).ok()?;
    Some(NameShape::Pair { version, slug: slug.to_owned(), down })
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    (text.is_char_boundary(cut) && text[cut..].eq_ignore_ascii_case(suffix)).then(|| &text[..cut])
}

/// `V1__x`, `V1_1__x` (version 1.1), `U1__x`, `R__x`: Flyway's default prefixes and separator.
fn flyway_shape(stem: &str) -> Option<Result<NameShape, String>> {
    if let Some(slug) = stem.strip_prefix("R__") {
        let shape = Version::checked_repeatable(slug).map(|_| NameShape::Flyway {
            kind: FlywayKind::Repeatable,
            version: None,
            slug: slug.to_owned(),
        });
        return Some(shape);
    }
    let kind = match stem.as_bytes().first()? {
        b'V' => FlywayKind::Versioned,
        b'U' => FlywayKind::Undo,
        _ => return None,
    };
    let (version, slug) = stem[1..].split_once("__")?;
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // Flyway reads `_` in a version as `.`: `V1_1__x` is version 1.1.
    let written = version.replace('_', ".");
    Some(
        Version::parse(&written)
            .map(|version| NameShape::Flyway { kind, version: Some(version), slug: slug.to_owned() })
            .map_err(|why| format!("Flyway version {version}: {why}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(name: &str) -> NameShape {
        file_shape(name).expect("a migration extension").expect("a migration name")
    }

    #[test]
    fn singles_pairs_and_flyway_names() {
        assert_eq!(
            shape("20261122093000-add-index.sql"),
            NameShape::Single { version: Version::number(20261122093000), slug: "add-index".into(), underscore: false }
        );
        assert_eq!(
            shape("001_init.sql"),
            NameShape::Single { version: Version::number(1), slug: "init".into(), underscore: true }
        );
        assert_eq!(
            shape("1_create_users.up.sql"),
            NameShape::Pair { version: Version::number(1), slug: "create_users".into(), down: false }
        );
        assert_eq!(
            shape("12_x.DOWN.SQL"),
            NameShape::Pair { version: Version::number(12), slug: "x".into(), down: true }
        );
        assert_eq!(
            shape("V2__add_email.sql"),
            NameShape::Flyway {
                kind: FlywayKind::Versioned,
                version: Some(Version::number(2)),
                slug: "add_email".into()
            }
        );
        assert_eq!(
            shape("U2__add_email.sql"),
            NameShape::Flyway { kind: FlywayKind::Undo, version: Some(Version::number(2)), slug: "add_email".into() }
        );
        assert_eq!(
            shape("R__views.sql"),
            NameShape::Flyway { kind: FlywayKind::Repeatable, version: None, slug: "views".into() }
        );
        // Not Flyway: a JavaScript file, a name without the separator.
        assert!(matches!(shape("1_x.up.js"), NameShape::Single { .. }));
        assert!(file_shape("Views.sql").unwrap().is_err());
        assert!(file_shape("README.md").is_none());
    }

    #[test]
    fn diesel_folders_and_other_folders() {
        assert_eq!(
            folder_shape("2024-01-15-103000_create_users").unwrap().unwrap(),
            NameShape::DieselFolder { version: Version::number(20240115103000), slug: "create_users".into() }
        );
        assert_eq!(
            folder_shape("00000000000000_diesel_initial_setup").unwrap().unwrap(),
            NameShape::DieselFolder { version: Version::number(0), slug: "diesel_initial_setup".into() }
        );
        // diesel 2.3's counter: a second part, so it sorts by its date, as diesel sorts names.
        let counted = |name: &str| match folder_shape(name).unwrap().unwrap() {
            NameShape::DieselFolder { version, .. } => version,
            other => panic!("{other:?}"),
        };
        let with_counter = counted("2024-01-01-000000-0001_c");
        assert_eq!(with_counter.to_string(), "20240101000000.0001");
        assert!(counted("2024-01-01-000000-0000_a") < with_counter);
        assert!(with_counter < counted("2024-06-01-000000_b"));
        assert_eq!(diesel_version("202401010000000001").unwrap(), with_counter, "as diesel records it");
        assert_eq!(diesel_version("20240601000000").unwrap(), Version::number(20240601000000));
        assert!(folder_shape("lib").is_none());
        assert!(folder_shape("node_modules").is_none());
        assert!(folder_shape("-_x").is_none());
    }

    #[test]
    fn what_each_file_fits() {
        let fits = |name: &str, content: &str| {
            let extension = name.rsplit_once('.').unwrap().1.to_ascii_lowercase();
            shape(name).fits(&extension, content)
        };
        assert_eq!(fits("1_x.sql", "CREATE TABLE t (id int);"), Fits::either(&[Layout::Sqlx, Layout::Mongrate]));
        assert_eq!(fits("1-x.sql", "CREATE TABLE t (id int);"), Fits::only(Layout::Mongrate));
        assert_eq!(fits("1_x.sql", "-- mongrate:up\nSELECT 1;"), Fits::only(Layout::Mongrate));
        assert_eq!(fits("1_x.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n"), Fits::only(Layout::Dbmate));
        assert_eq!(fits("1_x.sql", "-- no-transaction\nVACUUM;"), Fits::only(Layout::Sqlx));
        assert_eq!(fits("1_x.js", "module.exports = {}"), Fits::only(Layout::Mongrate));
        assert_eq!(fits("1_x.up.sql", "SELECT 1;"), Fits::either(&[Layout::GolangMigrate, Layout::Sqlx]));
        assert_eq!(fits("1_x.up.sql", "-- no-transaction\nSELECT 1;"), Fits::only(Layout::Sqlx));
        assert_eq!(fits("V1__x.sql", "-- mongrate:up"), Fits::only(Layout::Flyway));
    }
}
