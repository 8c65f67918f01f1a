//! The declarative operations of a `.yaml`/`.json` migration, and their exact inverses.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::document_versions::VersionStep;

/// One operation, written `- renameField: { collection: users, from: phone, to: phoneNumber }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Operation {
    CreateCollection(CreateCollection),
    DropCollection(CollectionOnly),
    RenameCollection(RenameCollection),
    CreateIndex(CreateIndex),
    DropIndex(DropIndex),
    AddField(AddField),
    RemoveField(FieldOp),
    RenameField(RenameField),
    CopyField(RenameField),
    UpdateMany(UpdateMany),
    InsertMany(InsertMany),
    DeleteMany(DeleteMany),
    Archive(Archive),
    RemoveDuplicates(RemoveDuplicates),
    SetSchemaVersion(SetSchemaVersion),
    SetValidator(SetValidator),
    Command(Command),
    /// Not written in files: what a versioned migration's data operations on one collection run
    /// as (see [`crate::document_versions`]).
    #[serde(skip)]
    VersionStep(VersionStep),
}

/// How a data operation runs when it gives `batchSize`, `pauseMs` or `maxPerSecond`: a batch
/// (of `_id`s in order) at a time, throttled, its progress checkpointed after each batch so a
/// stopped run resumes after the last batch written (`batched.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Batching {
    pub batch_size: Option<u32>,
    pub pause_ms: Option<u64>,
    pub max_per_second: Option<u32>,
}

impl Batching {
    /// Documents per batch (default 1000).
    pub fn size(&self) -> usize {
        self.batch_size.map_or(1000, |n| n.max(1) as usize)
    }
}

/// The batch options of the operations that take them.
macro_rules! batching_of {
    ($op:expr) => {
        Batching { batch_size: $op.batch_size, pause_ms: $op.pause_ms, max_per_second: $op.max_per_second }
    };
}

/// Every operation name, for error messages and the README.
pub const OPERATION_NAMES: &[&str] = &[
    "createCollection",
    "dropCollection",
    "renameCollection",
    "createIndex",
    "dropIndex",
    "addField",
    "removeField",
    "renameField",
    "copyField",
    "updateMany",
    "insertMany",
    "deleteMany",
    "archive",
    "removeDuplicates",
    "setSchemaVersion",
    "setValidator",
    "command",
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    pub collection: String,
    /// Options of the `create` command (capped, validator, …).
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionOnly {
    pub collection: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameCollection {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIndex {
    pub collection: String,
    pub keys: Value,
    /// `name`, `unique`, `sparse`, `partialFilterExpression`, `expireAfterSeconds`, …
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropIndex {
    pub collection: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddField {
    pub collection: String,
    pub field: String,
    pub value: Value,
    #[serde(default)]
    pub filter: Option<Value>,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOp {
    pub collection: String,
    pub field: String,
    #[serde(default)]
    pub filter: Option<Value>,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameField {
    pub collection: String,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub filter: Option<Value>,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMany {
    pub collection: String,
    #[serde(default)]
    pub filter: Option<Value>,
    /// An update document (`{$set: …}`) or a pipeline (a list of stages).
    pub update: Value,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsertMany {
    pub collection: String,
    pub documents: Vec<Value>,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteMany {
    pub collection: String,
    pub filter: Value,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
pub struct Archive {
    pub collection: String,
    /// The collection the matching documents move to.
    pub to: String,
    pub filter: Value,
    /// Drop `collection` when it is left empty (the derived `down` of an archive sets it, so
    /// moving everything back leaves no empty archive collection behind).
    #[serde(default)]
    pub drop_if_empty: bool,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveDuplicates {
    pub collection: String,
    /// The fields whose values together must be unique.
    pub keys: Vec<String>,
    /// Which document of each group stays, by `_id` order.
    #[serde(default)]
    pub keep: Keep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Keep {
    #[default]
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSchemaVersion {
    pub collection: String,
    pub from: Value,
    pub to: Value,
    /// Default `schema_version`.
    #[serde(default = "default_schema_field")]
    pub field: String,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run a batch at a time (see [`Batching`]).
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

fn default_schema_field() -> String {
    "schema_version".to_owned()
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetValidator {
    pub collection: String,
    pub validator: Value,
    #[serde(default)]
    pub validation_level: Option<String>,
    #[serde(default)]
    pub validation_action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub command: Value,
    /// Run against this database instead of the migration's (e.g. `admin`).
    #[serde(default)]
    pub database: Option<String>,
}

impl Operation {
    /// The operation's name as written in a file.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::CreateCollection(_) => "createCollection",
            Operation::DropCollection(_) => "dropCollection",
            Operation::RenameCollection(_) => "renameCollection",
            Operation::CreateIndex(_) => "createIndex",
            Operation::DropIndex(_) => "dropIndex",
            Operation::AddField(_) => "addField",
            Operation::RemoveField(_) => "removeField",
            Operation::RenameField(_) => "renameField",
            Operation::CopyField(_) => "copyField",
            Operation::UpdateMany(_) => "updateMany",
            Operation::InsertMany(_) => "insertMany",
            Operation::DeleteMany(_) => "deleteMany",
            Operation::Archive(_) => "archive",
            Operation::RemoveDuplicates(_) => "removeDuplicates",
            Operation::SetSchemaVersion(_) => "setSchemaVersion",
            Operation::SetValidator(_) => "setValidator",
            Operation::Command(_) => "command",
            Operation::VersionStep(_) => "documents",
        }
    }

    /// Collection and index definitions: these cannot share a transaction with data changes.
    pub fn is_ddl(&self) -> bool {
        matches!(
            self,
            Operation::CreateCollection(_)
                | Operation::DropCollection(_)
                | Operation::RenameCollection(_)
                | Operation::CreateIndex(_)
                | Operation::DropIndex(_)
                | Operation::SetValidator(_)
                | Operation::Command(_)
        ) || matches!(self, Operation::Archive(op) if op.drop_if_empty)
    }

    /// The collections whose documents this operation may destroy or change in place (what
    /// `[backup] auto = true` backs up): removeField, dropCollection, deleteMany, updateMany,
    /// renameField, archive (both sides) and removeDuplicates.
    pub fn destructive_collections(&self) -> Vec<String> {
        match self {
            Operation::RemoveField(op) => vec![op.collection.clone()],
            Operation::DropCollection(op) => vec![op.collection.clone()],
            Operation::DeleteMany(op) => vec![op.collection.clone()],
            Operation::UpdateMany(op) => vec![op.collection.clone()],
            Operation::RenameField(op) => vec![op.collection.clone()],
            Operation::Archive(op) => vec![op.collection.clone(), op.to.clone()],
            Operation::RemoveDuplicates(op) => vec![op.collection.clone()],
            Operation::VersionStep(step) if step.destructive => vec![step.collection.clone()],
            _ => Vec::new(),
        }
    }

    /// Every collection this operation may change; `None` for a raw command, which may change
    /// anything.
    pub fn touched_collections(&self) -> Option<Vec<String>> {
        Some(match self {
            Operation::CreateCollection(op) => vec![op.collection.clone()],
            Operation::DropCollection(op) => vec![op.collection.clone()],
            Operation::RenameCollection(op) => vec![op.from.clone(), op.to.clone()],
            Operation::CreateIndex(op) => vec![op.collection.clone()],
            Operation::DropIndex(op) => vec![op.collection.clone()],
            Operation::AddField(op) => vec![op.collection.clone()],
            Operation::RemoveField(op) => vec![op.collection.clone()],
            Operation::RenameField(op) | Operation::CopyField(op) => vec![op.collection.clone()],
            Operation::UpdateMany(op) => vec![op.collection.clone()],
            Operation::InsertMany(op) => vec![op.collection.clone()],
            Operation::DeleteMany(op) => vec![op.collection.clone()],
            Operation::Archive(op) => vec![op.collection.clone(), op.to.clone()],
            Operation::RemoveDuplicates(op) => vec![op.collection.clone()],
            Operation::SetSchemaVersion(op) => vec![op.collection.clone()],
            Operation::SetValidator(op) => vec![op.collection.clone()],
            Operation::VersionStep(step) => vec![step.collection.clone()],
            Operation::Command(_) => return None,
        })
    }

    /// Its batch options, when it gives any (it then runs in batches).
    pub fn batching(&self) -> Option<Batching> {
        let batching = match self {
            Operation::AddField(op) => batching_of!(op),
            Operation::RemoveField(op) => batching_of!(op),
            Operation::RenameField(op) | Operation::CopyField(op) => batching_of!(op),
            Operation::UpdateMany(op) => batching_of!(op),
            Operation::InsertMany(op) => batching_of!(op),
            Operation::DeleteMany(op) => batching_of!(op),
            Operation::Archive(op) => batching_of!(op),
            Operation::SetSchemaVersion(op) => batching_of!(op),
            Operation::VersionStep(step) => step.batching,
            _ => return None,
        };
        (batching != Batching::default()).then_some(batching)
    }

    /// The operation that exactly undoes this one, where there is one.
    pub fn inverse(&self) -> Option<Operation> {
        Some(match self {
            Operation::CreateCollection(op) => {
                Operation::DropCollection(CollectionOnly { collection: op.collection.clone() })
            }
            Operation::RenameCollection(op) => {
                Operation::RenameCollection(RenameCollection { from: op.to.clone(), to: op.from.clone() })
            }
            Operation::CreateIndex(op) => {
                Operation::DropIndex(DropIndex { collection: op.collection.clone(), name: index_name(op) })
            }
            Operation::AddField(op) => Operation::RemoveField(FieldOp {
                collection: op.collection.clone(),
                field: op.field.clone(),
                filter: op.filter.clone(),
                batch_size: op.batch_size,
                pause_ms: op.pause_ms,
                max_per_second: op.max_per_second,
            }),
            Operation::RenameField(op) => Operation::RenameField(RenameField {
                collection: op.collection.clone(),
                from: op.to.clone(),
                to: op.from.clone(),
                filter: None,
                batch_size: op.batch_size,
                pause_ms: op.pause_ms,
                max_per_second: op.max_per_second,
            }),
            Operation::CopyField(op) => Operation::RemoveField(FieldOp {
                collection: op.collection.clone(),
                field: op.to.clone(),
                filter: None,
                batch_size: op.batch_size,
                pause_ms: op.pause_ms,
                max_per_second: op.max_per_second,
            }),
            Operation::InsertMany(op) => {
                let ids: Option<Vec<Value>> = op.documents.iter().map(|d| d.get("_id").cloned()).collect();
                Operation::DeleteMany(DeleteMany {
                    collection: op.collection.clone(),
                    filter: json!({ "_id": { "$in": ids? } }),
                    batch_size: op.batch_size,
                    pause_ms: op.pause_ms,
                    max_per_second: op.max_per_second,
                })
            }
            Operation::Archive(op) => Operation::Archive(Archive {
                collection: op.to.clone(),
                to: op.collection.clone(),
                filter: op.filter.clone(),
                drop_if_empty: true,
                batch_size: op.batch_size,
                pause_ms: op.pause_ms,
                max_per_second: op.max_per_second,
            }),
            Operation::SetSchemaVersion(op) => Operation::SetSchemaVersion(SetSchemaVersion {
                collection: op.collection.clone(),
                from: op.to.clone(),
                to: op.from.clone(),
                field: op.field.clone(),
                batch_size: op.batch_size,
                pause_ms: op.pause_ms,
                max_per_second: op.max_per_second,
            }),
            Operation::DropCollection(_)
            | Operation::DropIndex(_)
            | Operation::RemoveField(_)
            | Operation::UpdateMany(_)
            | Operation::DeleteMany(_)
            | Operation::RemoveDuplicates(_)
            | Operation::SetValidator(_)
            | Operation::Command(_)
            // Run form only: the down is compiled from the file's down (`document_versions`).
            | Operation::VersionStep(_) => return None,
        })
    }
}

/// The name MongoDB gives an index: `options.name`, else `field_direction` joined by `_`.
pub fn index_name(op: &CreateIndex) -> String {
    if let Some(name) = op.options.as_ref().and_then(|o| o.get("name")).and_then(Value::as_str) {
        return name.to_owned();
    }
    match &op.keys {
        Value::Object(keys) => keys
            .iter()
            .map(|(field, direction)| match direction {
                Value::String(kind) => format!("{field}_{kind}"),
                other => format!("{field}_{other}"),
            })
            .collect::<Vec<_>>()
            .join("_"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Operation {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn inverses() {
        let index = parse(r#"{"createIndex": {"collection": "users", "keys": {"email": 1, "age": -1}}}"#);
        assert_eq!(
            index.inverse(),
            Some(Operation::DropIndex(DropIndex { collection: "users".into(), name: "email_1_age_-1".into() }))
        );
        let named = parse(r#"{"createIndex": {"collection": "u", "keys": {"e": 1}, "options": {"name": "by_e"}}}"#);
        assert!(matches!(named.inverse(), Some(Operation::DropIndex(DropIndex { name, .. })) if name == "by_e"));
        let rename = parse(r#"{"renameField": {"collection": "u", "from": "a", "to": "b"}}"#);
        assert!(
            matches!(rename.inverse(), Some(Operation::RenameField(RenameField { from, to, .. })) if from == "b" && to == "a")
        );
        let version = parse(r#"{"setSchemaVersion": {"collection": "u", "from": 1, "to": 2}}"#);
        assert!(
            matches!(version.inverse(), Some(Operation::SetSchemaVersion(SetSchemaVersion { from, to, field, .. }))
            if from == json!(2) && to == json!(1) && field == "schema_version")
        );
        assert!(parse(r#"{"removeField": {"collection": "u", "field": "x"}}"#).inverse().is_none());
        assert!(parse(r#"{"updateMany": {"collection": "u", "update": {"$set": {"a": 1}}}}"#).inverse().is_none());
    }

    #[test]
    fn destructive_operations_name_their_collections() {
        let archive = parse(r#"{"archive": {"collection": "orders", "to": "old_orders", "filter": {}}}"#);
        assert_eq!(archive.destructive_collections(), ["orders", "old_orders"]);
        let index = parse(r#"{"createIndex": {"collection": "users", "keys": {"email": 1}}}"#);
        assert!(index.destructive_collections().is_empty());
        assert_eq!(index.touched_collections(), Some(vec!["users".to_owned()]));
        assert_eq!(parse(r#"{"command": {"command": {"ping": 1}}}"#).touched_collections(), None);
    }

    #[test]
    fn insert_many_is_reversible_only_with_ids() {
        let with_ids = parse(r#"{"insertMany": {"collection": "t", "documents": [{"_id": 1}, {"_id": 2}]}}"#);
        assert!(with_ids.inverse().is_some());
        let without = parse(r#"{"insertMany": {"collection": "t", "documents": [{"_id": 1}, {"name": "x"}]}}"#);
        assert!(without.inverse().is_none());
    }

    #[test]
    fn unknown_operations_list_the_valid_ones() {
        let error = serde_json::from_str::<Operation>(r#"{"renameFeld": {}}"#).unwrap_err().to_string();
        assert!(
            error.contains("renameFeld") && error.contains("renameField") && error.contains("setSchemaVersion"),
            "{error}"
        );
        assert_eq!(OPERATION_NAMES.len(), 17);
    }
}
