//! A migration as found on disk, and what its format says about it.

use std::path::PathBuf;

use crate::phase::Phase;
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
    pub checksum: String,
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
    /// Why the file could not be loaded (a JavaScript module that fails to load, a file its format
    /// refuses); `meta` is then a stand-in. It is listed with this error, and only a run that
    /// needs the file fails ([`crate::plan::plan`]).
    pub load_error: Option<String>,
}

impl Migration {
    pub fn version(&self) -> Version {
        self.file.version
    }
    pub fn name(&self) -> &str {
        &self.meta.name
    }
}
