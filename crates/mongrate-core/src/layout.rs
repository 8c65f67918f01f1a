//! Layouts: the conventions by which a migrations directory names and splits its files — mongrate's
//! own, or another tool's (golang-migrate, sqlx, dbmate, Flyway, diesel), read as they are.
//!
//! A directory holds one layout. It is detected from the files: each file says which layouts it
//! can belong to (a `1_x.up.sql` is golang-migrate or sqlx, a `V1__x.sql` Flyway), and the layout
//! is the one every file allows. `layout = "…"` in `mongrate.toml` names it instead.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How a migrations directory is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<version>-<name>.sql|js|yaml|…` with `-- mongrate:up` / `-- mongrate:down` sections.
    #[default]
    Mongrate,
    /// `<N>_<name>.up.sql` + `<N>_<name>.down.sql`, each run as written.
    GolangMigrate,
    /// `<V>_<name>.sql` (up only) or `<V>_<name>.up.sql` + `.down.sql`; `-- no-transaction` first.
    Sqlx,
    /// `<V>_<name>.sql` with `-- migrate:up` and `-- migrate:down` sections.
    Dbmate,
    /// `V<version>__<name>.sql`, `U<version>__<name>.sql` (undo), `R__<name>.sql` (repeatable).
    Flyway,
    /// `<YYYY-MM-DD-HHMMSS>_<name>/up.sql` + `down.sql` folders.
    Diesel,
}

impl Layout {
    pub const ALL: [Layout; 6] =
        [Layout::Mongrate, Layout::GolangMigrate, Layout::Sqlx, Layout::Dbmate, Layout::Flyway, Layout::Diesel];

    /// Which layout a directory gets when several fit every file: a plain `1_x.up.sql` pair is
    /// more often golang-migrate's than sqlx's, and a directory of plain `1_x.sql` files is
    /// sqlx's (a mongrate `.sql` file has `-- mongrate:up`).
    const PREFERENCE: [Layout; 6] =
        [Layout::GolangMigrate, Layout::Sqlx, Layout::Dbmate, Layout::Flyway, Layout::Diesel, Layout::Mongrate];

    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Mongrate => "mongrate",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Sqlx => "sqlx",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "flyway",
            Layout::Diesel => "diesel",
        }
    }

    /// Whether the tool's files hold SQL run as written (no mongrate directives).
    pub fn is_foreign(self) -> bool {
        self != Layout::Mongrate
    }

    /// The names of all layouts, for messages: `golang-migrate, sqlx, …`.
    pub fn choices() -> String {
        Layout::ALL.iter().map(|l| format!("\"{}\"", l.as_str())).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layout {
    type Err = String;

    fn from_str(text: &str) -> Result<Layout, String> {
        let text = text.trim();
        Layout::ALL
            .into_iter()
            .find(|layout| layout.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| format!("'{text}' is not a layout mongrate reads; choose one of {}", Layout::choices()))
    }
}

/// The layouts one file can belong to, as a small set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fits(u8);

impl Fits {
    pub const ANY: Fits = Fits(0b11_1111);

    pub fn only(layout: Layout) -> Fits {
        Fits(1 << layout as u8)
    }

    pub fn either(layouts: &[Layout]) -> Fits {
        Fits(layouts.iter().fold(0, |bits, layout| bits | 1 << *layout as u8))
    }

    pub fn contains(self, layout: Layout) -> bool {
        self.0 & (1 << layout as u8) != 0
    }

    pub fn and(self, other: Fits) -> Fits {
        Fits(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The preferred layout of the set.
    pub fn preferred(self) -> Option<Layout> {
        Layout::PREFERENCE.into_iter().find(|layout| self.contains(*layout))
    }

    /// `golang-migrate or sqlx`.
    pub fn describe(self) -> String {
        let names: Vec<&str> = Layout::ALL.into_iter().filter(|l| self.contains(*l)).map(Layout::as_str).collect();
        names.join(" or ")
    }
}

/// The layout every file fits, from `(file name, fits)` pairs in name order. `Err` names two files
/// that cannot share a directory. An empty directory is mongrate's.
pub fn detect(files: &[(String, Fits)]) -> Result<Layout, String> {
    let mut common = Fits::ANY;
    for (index, (name, fits)) in files.iter().enumerate() {
        let narrowed = common.and(*fits);
        if narrowed.is_empty() {
            // The earlier file this one agrees with least names the other layout.
            let (other, other_fits) = files[..index]
                .iter()
                .min_by_key(|(_, earlier)| earlier.and(*fits).0.count_ones())
                .map(|(n, f)| (n.as_str(), *f))
                .unwrap_or((name.as_str(), *fits));
            return Err(format!(
                "the migrations directory mixes layouts: {other} is a {} migration and {name} a {} one. \
                 A directory holds one layout: move the other files out, or set `layout` in mongrate.toml \
                 (one of {}) to say which is meant",
                other_fits.describe(),
                fits.describe(),
                Layout::choices()
            ));
        }
        common = narrowed;
    }
    if files.is_empty() {
        return Ok(Layout::Mongrate);
    }
    Ok(common.preferred().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, Fits)]) -> Vec<(String, Fits)> {
        list.iter().map(|(n, f)| (n.to_string(), *f)).collect()
    }

    #[test]
    fn names_parse_in_any_case_and_a_wrong_one_lists_the_choices() {
        assert_eq!("golang-migrate".parse::<Layout>(), Ok(Layout::GolangMigrate));
        assert_eq!(" Flyway ".parse::<Layout>(), Ok(Layout::Flyway));
        let wrong = "liquibase".parse::<Layout>().unwrap_err();
        assert!(
            wrong.contains("liquibase") && wrong.contains("\"diesel\"") && wrong.contains("\"mongrate\""),
            "{wrong}"
        );
        for layout in Layout::ALL {
            assert_eq!(layout.as_str().parse::<Layout>(), Ok(layout));
        }
    }

    #[test]
    fn the_layout_every_file_fits_is_chosen() {
        let pair = Fits::either(&[Layout::GolangMigrate, Layout::Sqlx]);
        let plain = Fits::either(&[Layout::Sqlx, Layout::Mongrate]);
        assert_eq!(detect(&[]), Ok(Layout::Mongrate));
        assert_eq!(detect(&files(&[("1_a.up.sql", pair)])), Ok(Layout::GolangMigrate));
        assert_eq!(detect(&files(&[("1_a.up.sql", pair), ("2_b.sql", plain)])), Ok(Layout::Sqlx));
        assert_eq!(detect(&files(&[("1_a.sql", plain)])), Ok(Layout::Sqlx));
        // A plain file beside mongrate files is a mongrate file that lacks its sections.
        assert_eq!(
            detect(&files(&[("1_a.sql", plain), ("2_b.js", Fits::only(Layout::Mongrate))])),
            Ok(Layout::Mongrate)
        );
        assert_eq!(detect(&files(&[("V1__a.sql", Fits::only(Layout::Flyway))])), Ok(Layout::Flyway));
    }

    #[test]
    fn a_mixed_directory_names_two_files_of_different_layouts() {
        let error = detect(&files(&[
            ("1_a.up.sql", Fits::either(&[Layout::GolangMigrate, Layout::Sqlx])),
            ("2_b.sql", Fits::either(&[Layout::Sqlx, Layout::Mongrate])),
            ("V3__c.sql", Fits::only(Layout::Flyway)),
        ]))
        .unwrap_err();
        assert!(error.contains("V3__c.sql a flyway one"), "{error}");
        assert!(error.contains("1_a.up.sql is a golang-migrate or sqlx migration"), "{error}");
        assert!(error.contains("`layout`"), "{error}");
    }
}
