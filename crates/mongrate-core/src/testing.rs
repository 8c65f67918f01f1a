//! Test doubles for the runner and the lease guard: a target, a lease store and a reporter that
//! live in memory and keep time on tokio's clock, so tests run with paused time.

mod memory_lease;
mod memory_target;
mod recording_reporter;

use std::time::Duration;

pub use memory_lease::MemoryLeaseStore;
pub use memory_target::{Behaviour, MemoryTarget};
pub use recording_reporter::RecordingReporter;

use crate::host::AppliedBy;
use crate::lease::LeaseClaim;
use crate::migration::{Migration, MigrationFile, MigrationMeta};
use crate::version::Version;

/// Reversible migrations numbered from 1, one per flag: whether it runs in a transaction.
pub fn migrations(transactional: &[bool]) -> Vec<Migration> {
    (1..).zip(transactional).map(|(version, &transactional)| migration(version, transactional)).collect()
}

/// A reversible migration `<version>_step.sql`.
pub fn migration(version: i64, transactional: bool) -> Migration {
    let file_name = format!("{version}_step.sql");
    Migration {
        file: MigrationFile {
            version: Version::number(version),
            file_name: file_name.clone(),
            slug: "step".into(),
            extension: "sql".into(),
            path: file_name.into(),
            content: format!("-- step {version}"),
            checksum: format!("sum{version}"),
            layout: Default::default(),
            down: None,
            settings: None,
        },
        meta: MigrationMeta {
            name: "step".into(),
            description: None,
            reversible: true,
            transactional,
            backup: Vec::new(),
            phase: Default::default(),
            repeatable: false,
        },
        load_error: None,
    }
}

/// The claim of another runner, on `other-host`, pid 4242.
pub fn other_claim(owner: &str, ttl: Duration) -> LeaseClaim {
    LeaseClaim {
        owner: owner.into(),
        holder: AppliedBy { host: "other-host".into(), user: "ops".into(), pid: 4242 },
        reason: "other deploy".into(),
        ttl,
    }
}
