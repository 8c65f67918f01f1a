//! mongrate-mongo: the MongoDB target of mongrate and the declarative YAML/JSON migration format.

pub mod backup;
pub mod batched;
pub mod bson_value;
pub mod capabilities;
pub mod census;
pub mod changelog;
pub mod checkpoint;
pub mod connection;
pub mod database_state;
pub mod declarative;
pub mod document_difference;
pub mod document_versions;
pub mod errors;
pub mod executor;
pub mod lease_store;
pub mod lint;
pub mod migrate_mongo;
pub mod operation;
pub mod reply_count;
pub mod scratch;
pub mod script;
mod selection_failure;
pub mod source_lines;
pub mod target;

pub use target::{MongoOptions, MongoTarget};
