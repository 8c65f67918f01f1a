//! What the changelog holds: one record per version (its current state) and an append-only
//! history of every attempt.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::host::AppliedBy;
use crate::version::Version;

/// The state of one version in the changelog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationStatus {
    /// Marked pending by hand (`mark V --pending`).
    Pending,
    /// Started and not finished: a crash outside a transaction leaves this.
    Running,
    Completed,
    Failed,
    RolledBack,
    /// A `down` started outside a transaction and not finished: still applied, maybe partly
    /// reverted.
    Reverting,
    /// A `down` failed outside a transaction: still applied, maybe partly reverted.
    DownFailed,
}

impl MigrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationStatus::Pending => "pending",
            MigrationStatus::Running => "running",
            MigrationStatus::Completed => "completed",
            MigrationStatus::Failed => "failed",
            MigrationStatus::RolledBack => "rolled-back",
            MigrationStatus::Reverting => "reverting",
            MigrationStatus::DownFailed => "down-failed",
        }
    }
}

impl FromStr for MigrationStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Ok(match text {
            "pending" => MigrationStatus::Pending,
            "running" => MigrationStatus::Running,
            "completed" => MigrationStatus::Completed,
            "failed" => MigrationStatus::Failed,
            "rolled-back" => MigrationStatus::RolledBack,
            "reverting" => MigrationStatus::Reverting,
            "down-failed" => MigrationStatus::DownFailed,
            other => return Err(format!("unknown migration status '{other}'")),
        })
    }
}

impl fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The current state of one version (one row of `mongrate_migrations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationRecord {
    pub version: Version,
    pub name: String,
    pub description: Option<String>,
    pub status: MigrationStatus,
    pub applied_at: Option<String>,
    pub rolled_back_at: Option<String>,
    /// Milliseconds.
    pub execution_time: Option<i64>,
    pub error: Option<String>,
    /// A failure outside a transaction: some of its changes may be in the database.
    pub partial: bool,
    pub reversible: bool,
    pub checksum: String,
    pub batch: i64,
    pub applied_by: AppliedBy,
    /// Resumable progress of a long data migration (JSON).
    pub checkpoint: Option<String>,
    /// Free-form JSON.
    pub metadata: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl MigrationRecord {
    /// Interrupted, or failed outside a transaction: changes may be half made, so the next `up`
    /// stops until someone decides. A failure inside a transaction left nothing and is pending.
    pub fn is_blocking(&self) -> bool {
        if self.is_resumable() {
            return false;
        }
        match self.status {
            MigrationStatus::Running | MigrationStatus::Reverting | MigrationStatus::DownFailed => true,
            MigrationStatus::Failed => self.partial,
            MigrationStatus::Pending | MigrationStatus::Completed | MigrationStatus::RolledBack => false,
        }
    }

    /// An `up` that stopped (killed, failed, interrupted, lease lost) after its batch loops
    /// checkpointed progress: the next `up` runs it again and the loops continue where they
    /// stopped, so it does not block.
    pub fn is_resumable(&self) -> bool {
        matches!(self.status, MigrationStatus::Running | MigrationStatus::Failed) && self.progress().is_some()
    }

    /// How far its batch loops got, when it checkpointed any.
    pub fn progress(&self) -> Option<crate::checkpoint::Progress> {
        self.checkpoint.as_deref().and_then(crate::checkpoint::progress_of)
    }

    /// Whether a `down` of this migration was cut short: it stays applied, maybe partly reverted.
    pub fn is_unfinished_down(&self) -> bool {
        matches!(self.status, MigrationStatus::Reverting | MigrationStatus::DownFailed)
    }

    /// Whether the migration's effects may be (partly) in the database.
    pub fn is_in_database(&self) -> bool {
        match self.status {
            MigrationStatus::Completed
            | MigrationStatus::Running
            | MigrationStatus::Reverting
            | MigrationStatus::DownFailed => true,
            MigrationStatus::Failed => self.partial,
            MigrationStatus::Pending | MigrationStatus::RolledBack => false,
        }
    }
}

/// What one history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HistoryAction {
    Up,
    Down,
    MarkApplied,
    MarkPending,
    Repair,
    Import,
    /// Backups put back: after a failed migration that ran without a transaction, or by
    /// `mongrate backup restore`.
    Restore,
}

impl HistoryAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryAction::Up => "up",
            HistoryAction::Down => "down",
            HistoryAction::MarkApplied => "mark-applied",
            HistoryAction::MarkPending => "mark-pending",
            HistoryAction::Repair => "repair",
            HistoryAction::Import => "import",
            HistoryAction::Restore => "restore",
        }
    }
}

impl FromStr for HistoryAction {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Ok(match text {
            "up" => HistoryAction::Up,
            "down" => HistoryAction::Down,
            "mark-applied" => HistoryAction::MarkApplied,
            "mark-pending" => HistoryAction::MarkPending,
            "repair" => HistoryAction::Repair,
            "import" => HistoryAction::Import,
            "restore" => HistoryAction::Restore,
            other => return Err(format!("unknown history action '{other}'")),
        })
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HistoryOutcome {
    Completed,
    Failed,
}

impl HistoryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryOutcome::Completed => "completed",
            HistoryOutcome::Failed => "failed",
        }
    }
}

impl FromStr for HistoryOutcome {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "completed" => Ok(HistoryOutcome::Completed),
            "failed" => Ok(HistoryOutcome::Failed),
            other => Err(format!("'{other}' is not a history status: use completed or failed")),
        }
    }
}

/// One attempt (one row of `mongrate_history`, which is append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// Assigned by the database; 0 before it is written.
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: Version,
    pub name: String,
    pub action: HistoryAction,
    pub status: HistoryOutcome,
    pub at: String,
    /// Milliseconds.
    pub execution_time: Option<i64>,
    pub error: Option<String>,
    pub checksum: Option<String>,
    pub batch: Option<i64>,
    pub applied_by: AppliedBy,
}

/// A page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub limit: i64,
    pub skip: i64,
    pub status: Option<HistoryOutcome>,
    pub version: Option<Version>,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        HistoryQuery { limit: 50, skip: 0, status: None, version: None }
    }
}

impl HistoryQuery {
    /// The longest page: more is a report, not a page.
    pub const MOST: i64 = 10_000;

    /// A query from what a person typed (flags or query parameters), each value checked and a
    /// bad one named.
    pub fn checked(limit: i64, skip: i64, status: Option<&str>, version: Option<&str>) -> Result<HistoryQuery, String> {
        if !(1..=Self::MOST).contains(&limit) {
            return Err(format!("limit must be between 1 and {}, not {limit}", Self::MOST));
        }
        if skip < 0 {
            return Err(format!("skip must be at least 0, not {skip}"));
        }
        let status = status.map(str::parse).transpose().map_err(|why| format!("status: {why}"))?;
        let version = version.map(Version::parse).transpose().map_err(|why| format!("version: {why}"))?;
        Ok(HistoryQuery { limit, skip, status, version })
    }
}
