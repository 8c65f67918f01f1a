//! mongrate: versioned schema-and-data migrations for MongoDB, PostgreSQL and SQLite, as a library
//! and as the `mongrate` command.
//!
//! Run a service's migrations at start-up:
//!
//! ```no_run
//! # async fn start() -> Result<(), mongrate::core::Error> {
//! let migrator = mongrate::Migrator::builder()
//!     .url("postgres://app@localhost/app")
//!     .migrations_dir("migrations")
//!     .connect()
//!     .await?;
//! let report = migrator.up().await?;
//! println!("applied {} migrations", report.steps.len());
//! # Ok(()) }
//! ```

pub mod auto_run;
pub mod batch_progress;
pub mod connect;
mod directory_fingerprint;
pub mod http;
pub mod lint_gate;
pub mod migrator;
pub mod new_migration;
pub mod roundtrip;
pub mod settings;
pub mod templates;

pub use connect::{connect_target, load_migrations};
pub use migrator::{Migrator, MigratorBuilder};
pub use mongrate_core as core;
pub use mongrate_js as js;
pub use mongrate_mongo as mongo;
pub use mongrate_sql as sql;
