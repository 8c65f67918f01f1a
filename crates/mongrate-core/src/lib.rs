//! mongrate-core: everything about migrations that does not depend on a database.
//!
//! Files are discovered and checksummed here, the plan is computed here as a pure function, and
//! the runner drives any [`Target`] (a database) through the plan under a lease lock.

pub mod backup;
pub mod checkpoint;
pub mod checksum;
pub mod config;
pub mod discovery;
pub mod error;
pub mod execution;
pub mod grouping;
pub mod host;
pub mod import;
pub mod interpolation;
pub mod interrupt;
pub mod layout;
pub mod lease;
pub mod lease_guard;
pub mod lint;
pub mod maintenance;
pub mod migration;
pub mod name_shape;
pub mod naming;
pub mod phase;
pub mod placeholders;
pub mod plan;
pub mod record;
pub mod reporter;
pub mod runner;
pub mod scratch;
pub mod secret;
pub mod status;
pub mod target;
#[cfg(test)]
mod testing;
pub mod timestamp;
pub mod url_redaction;
pub mod validation;
pub mod version;

pub use error::{Error, ErrorKind, Result};
pub use layout::Layout;
pub use migration::{Migration, MigrationFile, MigrationMeta, SideFile};
pub use target::{Target, TargetKind};
pub use version::Version;
