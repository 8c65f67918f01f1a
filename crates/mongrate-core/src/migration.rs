//! A migration as found on disk, and what its format says about it.

use std::path::{Path, PathBuf};

use crate::layout::Layout;
use crate::phase::Phase;
use crate::plan::Direction;
use crate::version::Version;

/// One migration file, read and checksummed, before any format-specific parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    pub version: Version,
    /// The file name, e.g. `20261122093000-add-email-index.sql`.
    pub file_name: String,
    /// The descriptive part of the name, e.g. `add-email-index`.
    pub slug: String,
    /// The extension in lower case, without the dot.
    pub extension: String,
    pub path: PathBuf,
    pub content: String,
    /// Covers the down file too, where the layout keeps one apart.
    pub checksum: String,
    /// The layout the file was read in: it decides how the content is parsed.
    pub layout: Layout,
    /// The down file of a layout that keeps it apart: golang-migrate's and sqlx's `.down.sql`,
    /// diesel's `down.sql`, Flyway's `U…__` file.
    pub down: Option<SideFile>,
    /// The tool's settings for this one migration: diesel's `metadata.toml`, Flyway's
    /// `<script>.sql.conf`.
    pub settings: Option<SideFile>,
}

/// A file read beside a migration's main file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideFile {
    pub path: PathBuf,
    pub content: String,
}

impl MigrationFile {
    /// The file that holds `direction`'s statements, as messages name it.
    pub fn source(&self, direction: Direction) -> &Path {
        match (direction, &self.down) {
            (Direction::Down, Some(down)) => &down.path,
            _ => &self.path,
        }
    }
}

/// What a target learned by parsing a file: enough to plan and report without running it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationMeta {
    /// Human-readable name; the slug when the file declares none.
    pub name: String,
    pub description: Option<String>,
    /// Whether a `down` exists.
    pub reversible: bool,
    /// Whether the migration runs inside a transaction together with its changelog update.
    pub transactional: bool,
    /// Collections (tables) to back up before it runs (`backup: [users, orders]`).
    pub backup: Vec<String>,
    /// Expand, migrate or contract (`phase:`); `up --phase expand` stops before contract ones.
    pub phase: Phase,
    /// Applied again whenever its file changes, after the versioned migrations, in name order;
    /// never reverted (`-- mongrate:repeatable`, `repeatable: true`, Flyway's `R__` files).
    pub repeatable: bool,
}

/// A file together with its parsed metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub file: MigrationFile,
    pub meta: MigrationMeta,
    /// Why the file could not be loaded (a JavaScript module that fails to load, a file its format
    /// refuses); `meta` is then a stand-in. It is listed with this error, and only a run that
    /// needs the file fails ([`crate::plan::plan`]).
    pub load_error: Option<String>,
}

/// Gives each repeatable migration its key, `R__<name>` (a repeatable has no version: the one in a
/// mongrate file's name only names the file), and sorts them all as the plan runs them: versions
/// first, then repeatables by name. Two repeatables with one name are a problem naming both.
pub fn key_repeatables(migrations: Vec<Migration>) -> (Vec<Migration>, Vec<String>) {
    let mut problems = Vec::new();
    let mut keyed: Vec<Migration> = migrations
        .into_iter()
        .filter_map(|mut migration| {
            if migration.file.version.is_repeatable() {
                migration.meta.repeatable = true;
            } else if migration.meta.repeatable {
                match Version::checked_repeatable(&migration.file.slug) {
                    Ok(key) => migration.file.version = key,
                    Err(why) => {
                        problems.push(format!(
                            "{}: {why}; its key is the name after the version (5_views.sql is R__views)",
                            migration.file.path.display()
                        ));
                        return None;
                    }
                }
            }
            Some(migration)
        })
        .collect();
    keyed.sort_by(|a, b| a.file.version.cmp(&b.file.version).then_with(|| a.file.file_name.cmp(&b.file.file_name)));
    keyed.dedup_by(|later, earlier| {
        let same = later.file.version == earlier.file.version;
        if same {
            problems.push(format!(
                "{} and {} are both the repeatable migration {}; give one of them another name",
                earlier.file.path.display(),
                later.file.path.display(),
                earlier.file.version
            ));
        }
        same
    });
    (keyed, problems)
}

impl Migration {
    pub fn version(&self) -> Version {
        self.file.version.clone()
    }
    pub fn name(&self) -> &str {
        &self.meta.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::migration;

    fn flagged(version: i64, slug: &str) -> Migration {
        let mut m = migration(version, true);
        m.file.slug = slug.into();
        m.file.file_name = format!("{version}-{slug}.sql");
        m.file.path = m.file.file_name.clone().into();
        m.meta.repeatable = true;
        m
    }

    #[test]
    fn repeatables_are_keyed_by_name_after_every_version() {
        let mut flyway = migration(1, true);
        flyway.file.version = Version::repeatable("a_views");
        let (keyed, problems) =
            key_repeatables(vec![flagged(1, "views"), migration(3, true), flyway, migration(2, true)]);
        assert!(problems.is_empty(), "{problems:?}");
        let keys: Vec<String> = keyed.iter().map(|m| m.file.version.to_string()).collect();
        assert_eq!(keys, ["2", "3", "R__a_views", "R__views"]);
        assert!(keyed[2].meta.repeatable, "a Flyway R__ file is repeatable by its name");
    }

    #[test]
    fn two_repeatables_with_one_name_are_named() {
        let (keyed, problems) = key_repeatables(vec![flagged(1, "views"), flagged(2, "views")]);
        assert_eq!(keyed.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("1-views.sql and 2-views.sql") && problems[0].contains("R__views"),
            "{}",
            problems[0]
        );
    }
}
