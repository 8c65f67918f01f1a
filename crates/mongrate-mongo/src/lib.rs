//! mongrate-mongo: the MongoDB target of mongrate and the declarative YAML/JSON migration format.

pub mod bson_value;
pub mod declarative;
pub mod operation;
