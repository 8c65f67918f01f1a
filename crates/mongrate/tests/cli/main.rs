//! Integration tests: the built `mongrate` binary against real SQLite files and a real
//! PostgreSQL cluster that the suite starts itself.

mod adoption;
mod api_fuzz;
mod backup;
mod bad_input;
mod concurrency;
mod config;
mod dashboard;
mod data_dry_run;
mod data_helpers;
mod differential;
mod document_versions;
mod dry_run;
mod example_service;
mod failed_down;
mod failures;
mod group_commit;
mod javascript;
mod layouts;
mod lifecycle;
mod lint;
mod migrate_mongo;
mod mongo;
mod mongo_dump;
mod node_modules;
mod peer_import;
mod peer_tools;
mod phases;
mod resume;
mod roundtrip;
mod service;
mod service_support;
mod support;
mod templates;
mod transaction_control;
mod typescript;
