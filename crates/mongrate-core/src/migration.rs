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
}

/// A file together with its parsed metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub file: MigrationFile,
    pub meta: MigrationMeta,
}

impl Migration {
    pub fn version(&self) -> Version {
        self.file.version
    }
    pub fn name(&self) -> &str {
        &self.meta.name
    }
}
