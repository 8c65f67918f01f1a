//! mongrate-js: runs migrate-mongo style JavaScript migrations (CommonJS, ES modules, the
//! `mongoose.connection.db` style) in an embedded QuickJS engine, with the Node driver's `db` and
//! `client` API over the Rust MongoDB driver. No Node.js needed.

mod bson_convert;
pub mod console;
mod dry_run;
mod engine;
mod host;
mod host_state;
mod inspector;
mod io_thread;
mod js_error;
mod migrate_mongo_config;
mod module_source;
mod native;
mod native_backup;
mod native_checkpoint;
mod native_dry_run;
mod native_fs;
mod native_modules;
mod native_node;
mod node_builtins;
mod node_resolution;
#[cfg(test)]
mod node_tests;
mod position;
mod read_ahead;
mod step_thread;
pub mod template;
mod typescript;

pub use console::{ConsoleLevel, ConsoleSink, StderrConsole};
pub use engine::JsEngine;
pub use migrate_mongo_config::read_migrate_mongo_config;
