//! A throw-away copy of a database, for `mongrate test`: every pending migration is applied,
//! reverted and applied again there, and the copy's state after the revert is compared with its
//! state before, never touching the database it was copied from.
//!
//! Each database crate makes its own copies (a template database, a copied file, a seeded
//! scratch database) and compares its own kind of state (rows and tables, documents and
//! indexes); the command drives them through this trait without naming a database.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::Result;
use crate::migration::Migration;

/// How a target for the copy connects: the URL, and on MongoDB the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScratchAddress {
    pub url: String,
    pub database: Option<String>,
}

/// The first place where the state after a revert differs from the state before the migration,
/// in words: `users _id=1 field phone: before "555-1234" (string), after "+1555-1234" (string)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// What differs: a table, a column, a row by its key, a document's field, an index.
    pub location: String,
    /// What it was before the migration ("absent" when it did not exist).
    pub before: String,
    /// What it is after the migration's `down` ("absent" when it is gone).
    pub after: String,
}

impl Difference {
    pub fn new(location: impl Into<String>, before: impl Into<String>, after: impl Into<String>) -> Difference {
        Difference { location: location.into(), before: before.into(), after: after.into() }
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: before {}, after {}", self.location, self.before, self.after)
    }
}

/// The word for something that is not there.
pub const ABSENT: &str = "absent";

/// A throw-away copy of the database being migrated.
#[async_trait]
pub trait Scratch: Send + Sync {
    /// What the copy is, for output: `database app_mongrate_test_1a2b3c4d (a template copy)`.
    fn describe(&self) -> String;

    /// Where a target for the copy connects.
    fn address(&self) -> ScratchAddress;

    /// Copies in what the migrations about to be tested need and the copy lacks yet (MongoDB: a
    /// sample of each collection they touch); returns a line saying what was copied, if anything.
    async fn seed(&self, migrations: &[Migration]) -> Result<Option<String>>;

    /// Records the copy's state now (mongrate's own tables left out), to compare with later.
    async fn capture(&self) -> Result<Box<dyn Captured>>;

    /// Drops the copy. Called once, also after an error or Ctrl-C.
    async fn discard(self: Box<Self>) -> Result<()>;
}

/// A state recorded by [`Scratch::capture`].
#[async_trait]
pub trait Captured: Send + Sync {
    /// The first difference between the state recorded and the copy's state now; `None` when
    /// they are the same.
    async fn first_difference(&self) -> Result<Option<Difference>>;
}

/// The longest value shown in a difference; longer ones are cut with `…`.
pub const LONGEST_SHOWN: usize = 120;

/// `text` cut to [`LONGEST_SHOWN`] characters.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(LONGEST_SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A name for a scratch copy of `source`: `<source>_mongrate_test_<8 hex>`, the source cut so
/// that the whole fits in `max_len` bytes.
pub fn scratch_name(source: &str, max_len: usize) -> String {
    let suffix = format!("_mongrate_test_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut base: String = source.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    while base.len() + suffix.len() > max_len {
        base.pop();
    }
    format!("{base}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_reads_as_a_sentence() {
        let difference = Difference::new("users _id=1 field phone", "\"555-1234\" (string)", "\"+1555-1234\" (string)");
        assert_eq!(
            difference.to_string(),
            "users _id=1 field phone: before \"555-1234\" (string), after \"+1555-1234\" (string)"
        );
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(LONGEST_SHOWN + 5);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), LONGEST_SHOWN + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn scratch_names_fit_and_differ() {
        let a = scratch_name("app", 63);
        let b = scratch_name("app", 63);
        assert!(a.starts_with("app_mongrate_test_") && a.len() == "app_mongrate_test_".len() + 8, "{a}");
        assert_ne!(a, b);
        let long = scratch_name(&"x".repeat(100), 63);
        assert_eq!(long.len(), 63);
        assert!(scratch_name("my-app.db", 63).starts_with("myappdb_mongrate_test_"));
    }
}
