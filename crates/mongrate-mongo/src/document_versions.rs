//! Document versions in a declarative migration: `documents: { collection: users, from: 2, to: 3 }`.
//!
//! The migration's data operations on that collection become one *version step*: a single update
//! per document that matches the documents at `from`, makes every change the operations ask for
//! and sets the version to `to` in the same write. A crash (or a kill between two batches) so
//! leaves each document whole, at 2 with its old fields or at 3 with its new ones, and a resumed
//! run finds the documents still at 2. The down does the same from `to` back to `from`.
//!
//! Because there is one write per document, all the operations of a step see the document as it
//! was at `from`; two operations that change the same field (or one reads what another changes)
//! are refused, and so are those that cannot share the update: a per-operation `filter` (the
//! version is the filter), `removeDuplicates`, `setSchemaVersion` (the step sets the version),
//! and an update pipeline beside other changes. `deleteMany` and `archive` of the collection
//! match only documents at `from` and run before the step; `insertMany` writes its documents at
//! `to`. `from: null` means documents without the field; `to: null` removes it.

use bson::{Bson, Document, doc};
use mongrate_core::plan::Direction;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::bson_value::to_bson;
use crate::operation::{Archive, Batching, DeleteMany, InsertMany, Operation};

/// The version field when neither the file nor `[schema] field` names one.
pub const DEFAULT_FIELD: &str = "schema_version";

/// `documents:` as written: one collection, or a list of them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsSpec {
    pub collection: String,
    /// The version the up moves documents from (`null`: documents without the field).
    pub from: Value,
    /// The version the up moves them to (`null`: the field is removed).
    pub to: Value,
    /// The version field; default `[schema] field` of mongrate.toml, else `schema_version`.
    #[serde(default)]
    pub field: Option<String>,
    /// `batchSize`, `pauseMs`, `maxPerSecond`: run the step a batch at a time.
    #[serde(default, rename = "batchSize")]
    pub batch_size: Option<u32>,
    #[serde(default, rename = "pauseMs")]
    pub pause_ms: Option<u64>,
    #[serde(default, rename = "maxPerSecond")]
    pub max_per_second: Option<u32>,
}

/// One versioned collection, checked, its field resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentVersions {
    pub collection: String,
    pub field: String,
    pub from: Value,
    pub to: Value,
    pub batching: Batching,
}

/// Reads the `documents` key: a map or a list of maps. `default_field` is the field used where
/// an entry names none.
pub fn read_documents(value: &Value, default_field: &str) -> Result<Vec<DocumentVersions>, String> {
    let entries: Vec<DocumentsSpec> = match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| serde_json::from_value(item.clone()).map_err(|e| format!("[{index}]: {e}")))
            .collect::<Result<_, _>>()?,
        other => vec![serde_json::from_value(other.clone()).map_err(|e| e.to_string())?],
    };
    if entries.is_empty() {
        return Err("names no collection; write `documents: { collection: users, from: 1, to: 2 }`".into());
    }
    let mut versions: Vec<DocumentVersions> = Vec::with_capacity(entries.len());
    for entry in entries {
        let collection = entry.collection.trim().to_owned();
        if collection.is_empty() {
            return Err("`collection` must not be empty".into());
        }
        if versions.iter().any(|v| v.collection == collection) {
            return Err(format!("names {collection} twice"));
        }
        let field = entry.field.as_deref().unwrap_or(default_field).trim().to_owned();
        check_field(&field).map_err(|why| format!("`field`: {why}"))?;
        for (key, value) in [("from", &entry.from), ("to", &entry.to)] {
            check_version(value).map_err(|why| format!("`{key}`: {why}"))?;
        }
        if same_version(&entry.from, &entry.to) {
            return Err(format!("`from` and `to` are both {}: the documents would not move", shown(&entry.from)));
        }
        versions.push(DocumentVersions {
            collection,
            field,
            from: entry.from,
            to: entry.to,
            batching: Batching {
                batch_size: entry.batch_size,
                pause_ms: entry.pause_ms,
                max_per_second: entry.max_per_second,
            },
        });
    }
    Ok(versions)
}

/// A version field: a field path, not `_id`, no operator.
pub fn check_field(field: &str) -> Result<(), String> {
    if field.is_empty() {
        return Err("must not be empty".into());
    }
    if field.starts_with('$') || field.split('.').any(|part| part.is_empty()) {
        return Err(format!("`{field}` is not a field path (e.g. schema_version or meta.version)"));
    }
    if field == "_id" || field.starts_with("_id.") {
        return Err("the version cannot live in `_id`, which never changes".into());
    }
    Ok(())
}

/// A version is a number or a string (or null: none).
fn check_version(value: &Value) -> Result<(), String> {
    match value {
        Value::Null | Value::Number(_) | Value::String(_) => Ok(()),
        Value::Object(_) => match to_bson(value)? {
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => Ok(()),
            _ => Err("a version is a number or a string (null: documents without one)".into()),
        },
        _ => Err("a version is a number or a string (null: documents without one)".into()),
    }
}

/// Whether two versions are the same value (numbers compare by value, as the server does).
fn same_version(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A version as people read it.
pub fn shown(version: &Value) -> String {
    match version {
        Value::Null => "none".to_owned(),
        Value::String(text) => format!("\"{text}\""),
        other => other.to_string(),
    }
}

/// The run form of one versioned collection's changes: one update per document.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionStep {
    pub collection: String,
    pub field: String,
    pub from: Value,
    pub to: Value,
    /// The operators of the operations merged into the step (`$set`, `$unset`, `$rename`, …),
    /// without the version.
    pub update: Document,
    /// An `updateMany` pipeline, the step's only change.
    pub pipeline: Option<Vec<Document>>,
    /// copyField `(from, to)` pairs: each document's value is read and written with the step.
    pub copies: Vec<(String, String)>,
    pub batching: Batching,
    /// What the merged operations do, for reports.
    pub changes: Vec<String>,
    /// Whether a merged operation removes or overwrites data (what `[backup] auto` backs up).
    pub destructive: bool,
}

impl VersionStep {
    /// The documents at `from`.
    pub fn filter(&self) -> Result<Document, String> {
        Ok(match &self.from {
            Value::Null => doc! { &self.field: { "$exists": false } },
            from => doc! { &self.field: to_bson(from)? },
        })
    }

    /// The whole update: the operators with the version set to `to` (or removed), or the
    /// pipeline with a last stage that does it.
    pub fn full_update(&self) -> Result<Bson, String> {
        let version = match &self.to {
            Value::Null => None,
            to => Some(to_bson(to)?),
        };
        if let Some(pipeline) = &self.pipeline {
            let mut stages: Vec<Bson> = pipeline.iter().cloned().map(Bson::Document).collect();
            stages.push(match version {
                Some(to) => doc! { "$set": { &self.field: to } }.into(),
                None => doc! { "$unset": &self.field }.into(),
            });
            return Ok(Bson::Array(stages));
        }
        let mut update = self.update.clone();
        let (operator, value) = match version {
            Some(to) => ("$set", to),
            None => ("$unset", Bson::String(String::new())),
        };
        match update.get_mut(operator) {
            Some(Bson::Document(fields)) => {
                fields.insert(&self.field, value);
            }
            _ => {
                update.insert(operator, doc! { &self.field: value });
            }
        }
        Ok(Bson::Document(update))
    }

    /// `users.schema_version 2 → 3 (adds preferences, renames phone → phoneNumber)`.
    pub fn describe(&self) -> String {
        let changes = if self.changes.is_empty() { "the version only".to_owned() } else { self.changes.join(", ") };
        format!("{}.{} {} → {} ({changes})", self.collection, self.field, shown(&self.from), shown(&self.to))
    }
}

/// Why an operation cannot be part of a versioned migration; `index` is its place in the list
/// (`None`: the `documents` key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub index: Option<usize>,
    pub why: String,
}

fn refuse(index: usize, why: impl Into<String>) -> Refusal {
    Refusal { index: Some(index), why: why.into() }
}

/// The collection whose documents an operation matches or changes in place.
fn data_collection(operation: &Operation) -> Option<&str> {
    Some(match operation {
        Operation::AddField(op) => &op.collection,
        Operation::RemoveField(op) => &op.collection,
        Operation::RenameField(op) | Operation::CopyField(op) => &op.collection,
        Operation::UpdateMany(op) => &op.collection,
        Operation::InsertMany(op) => &op.collection,
        Operation::DeleteMany(op) => &op.collection,
        Operation::Archive(op) => &op.collection,
        Operation::RemoveDuplicates(op) => &op.collection,
        Operation::SetSchemaVersion(op) => &op.collection,
        _ => return None,
    })
}

/// Whether two field paths touch the same data (equal, or one inside the other).
fn overlap(a: &str, b: &str) -> bool {
    let inside = |long: &str, short: &str| {
        long.len() > short.len() && long.starts_with(short) && long.as_bytes()[short.len()] == b'.'
    };
    a == b || inside(a, b) || inside(b, a)
}

/// One versioned collection's operations, gathered in order.
struct Gathered<'a> {
    versions: &'a DocumentVersions,
    from: &'a Value,
    to: &'a Value,
    update: Document,
    pipeline: Option<Vec<Document>>,
    copies: Vec<(String, String)>,
    changes: Vec<String>,
    /// The fields the step writes (`true`) or reads, with who does.
    paths: Vec<(String, String, bool)>,
    /// Indexes of the merged operations.
    merged: Vec<usize>,
    /// Index after the last deleteMany/archive of the collection.
    after_removals: usize,
    batching: Option<(Batching, usize)>,
    destructive: bool,
}

impl Gathered<'_> {
    /// Registers a field the step writes (or only reads) for operation `index`.
    fn claim(&mut self, index: usize, who: &str, path: &str, writes: bool) -> Result<(), Refusal> {
        if let Some((_, other, _)) = self.paths.iter().find(|(p, _, w)| (writes || *w) && overlap(p, path)) {
            return Err(refuse(
                index,
                format!(
                    "`{path}` is also used by {other}; a versioned migration changes each document of {} in one \
                     update, which cannot touch a field twice: move one of them to the next version",
                    self.versions.collection
                ),
            ));
        }
        self.paths.push((path.to_owned(), who.to_owned(), writes));
        Ok(())
    }

    /// Adds `path: value` under `operator` to the merged update.
    fn write(&mut self, index: usize, who: &str, operator: &str, path: &str, value: Bson) -> Result<(), Refusal> {
        self.claim(index, who, path, true)?;
        match self.update.get_mut(operator) {
            Some(Bson::Document(fields)) => {
                fields.insert(path, value);
            }
            _ => {
                self.update.insert(operator, doc! { path: value });
            }
        }
        Ok(())
    }

    fn merged_batching(&mut self, index: usize, batching: Option<Batching>) -> Result<(), Refusal> {
        let Some(batching) = batching else { return Ok(()) };
        match self.batching {
            None => self.batching = Some((batching, index)),
            Some((agreed, _)) if agreed == batching => {}
            Some((_, first)) => {
                return Err(refuse(
                    index,
                    format!(
                        "its batch options differ from those of operation [{first}]; the operations on {} run as one \
                         loop: give batchSize, pauseMs and maxPerSecond once, on `documents:`",
                        self.versions.collection
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The filter of a deleteMany or archive limited to the documents at `from`.
    fn at_from(&self, filter: &Value) -> Value {
        let version = match self.from {
            Value::Null => serde_json::json!({ "$exists": false }),
            from => from.clone(),
        };
        let mut at = Map::new();
        at.insert(self.versions.field.clone(), version);
        match filter {
            Value::Object(fields) if fields.is_empty() => Value::Object(at),
            other => serde_json::json!({ "$and": [other, Value::Object(at)] }),
        }
    }

    fn step(self) -> VersionStep {
        VersionStep {
            collection: self.versions.collection.clone(),
            field: self.versions.field.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            update: self.update,
            pipeline: self.pipeline,
            copies: self.copies,
            batching: match (self.versions.batching, self.batching) {
                (own, _) if own != Batching::default() => own,
                (_, Some((merged, _))) => merged,
                _ => Batching::default(),
            },
            changes: self.changes,
            destructive: self.destructive,
        }
    }
}

/// A filter that is absent or `{}`.
fn no_filter(index: usize, filter: Option<&Value>) -> Result<(), Refusal> {
    match filter {
        None => Ok(()),
        Some(Value::Object(fields)) if fields.is_empty() => Ok(()),
        Some(_) => Err(refuse(
            index,
            "a per-operation `filter` cannot share the version's update: the step moves every document at `from`; \
             leave the filter out, or make the condition a migration of its own",
        )),
    }
}

fn bson_of(index: usize, what: &str, value: &Value) -> Result<Bson, Refusal> {
    to_bson(value).map_err(|why| refuse(index, format!("`{what}`: {why}")))
}

/// The operations to run for one direction of a versioned migration: `operations` (the file's
/// `up`, or its `down`, written or derived) with each versioned collection's data operations
/// replaced by its [`VersionStep`], placed where the first of them was written (after the
/// collection's deleteMany and archive operations). The down moves from `to` back to `from`.
pub fn compile(
    operations: &[Operation],
    versions: &[DocumentVersions],
    direction: Direction,
) -> Result<Vec<Operation>, Refusal> {
    let mut gathered: Vec<Gathered<'_>> = versions
        .iter()
        .map(|versions| {
            let (from, to) = match direction {
                Direction::Up => (&versions.from, &versions.to),
                Direction::Down => (&versions.to, &versions.from),
            };
            Gathered {
                versions,
                from,
                to,
                update: Document::new(),
                pipeline: None,
                copies: Vec::new(),
                changes: Vec::new(),
                paths: vec![(versions.field.clone(), "the version (`documents:`)".to_owned(), true)],
                merged: Vec::new(),
                after_removals: 0,
                batching: None,
                destructive: false,
            }
        })
        .collect();
    // Operations as they run, by index (`None`: merged into a step).
    let mut kept: Vec<Option<Operation>> = Vec::with_capacity(operations.len());
    for (index, operation) in operations.iter().enumerate() {
        let Some(g) =
            data_collection(operation).and_then(|name| gathered.iter_mut().find(|g| g.versions.collection == name))
        else {
            kept.push(Some(operation.clone()));
            continue;
        };
        let who = format!("operation [{index}] ({})", operation.name());
        let mut merged = true;
        match operation {
            Operation::AddField(op) => {
                no_filter(index, op.filter.as_ref())?;
                g.write(index, &who, "$set", &op.field, bson_of(index, "value", &op.value)?)?;
                g.changes.push(format!("adds {}", op.field));
            }
            Operation::RemoveField(op) => {
                no_filter(index, op.filter.as_ref())?;
                g.write(index, &who, "$unset", &op.field, Bson::String(String::new()))?;
                g.changes.push(format!("removes {}", op.field));
                g.destructive = true;
            }
            Operation::RenameField(op) => {
                no_filter(index, op.filter.as_ref())?;
                g.claim(index, &who, &op.to, true)?;
                g.write(index, &who, "$rename", &op.from, Bson::String(op.to.clone()))?;
                g.changes.push(format!("renames {} → {}", op.from, op.to));
                g.destructive = true;
            }
            Operation::CopyField(op) => {
                no_filter(index, op.filter.as_ref())?;
                g.claim(index, &who, &op.from, false)?;
                g.claim(index, &who, &op.to, true)?;
                g.copies.push((op.from.clone(), op.to.clone()));
                g.changes.push(format!("copies {} → {}", op.from, op.to));
            }
            Operation::UpdateMany(op) => {
                no_filter(index, op.filter.as_ref())?;
                merge_update(g, index, &who, &op.update)?;
                g.changes.push("updateMany".to_owned());
                g.destructive = true;
            }
            Operation::InsertMany(op) => {
                merged = false;
                let documents = op
                    .documents
                    .iter()
                    .enumerate()
                    .map(|(n, document)| {
                        stamped(document, &g.versions.field, g.to)
                            .map_err(|why| refuse(index, format!("document {n}: {why}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                kept.push(Some(Operation::InsertMany(InsertMany { documents, ..op.clone() })));
            }
            Operation::DeleteMany(op) => {
                merged = false;
                g.after_removals = index + 1;
                kept.push(Some(Operation::DeleteMany(DeleteMany { filter: g.at_from(&op.filter), ..op.clone() })));
            }
            Operation::Archive(op) => {
                merged = false;
                g.after_removals = index + 1;
                kept.push(Some(Operation::Archive(Archive { filter: g.at_from(&op.filter), ..op.clone() })));
            }
            Operation::SetSchemaVersion(_) => {
                return Err(refuse(
                    index,
                    format!(
                        "`documents:` already moves {}.{} from {} to {}: leave setSchemaVersion out",
                        g.versions.collection,
                        g.versions.field,
                        shown(g.from),
                        shown(g.to)
                    ),
                ));
            }
            Operation::RemoveDuplicates(_) => {
                return Err(refuse(
                    index,
                    "removeDuplicates compares documents at every version, so it cannot be limited to the documents \
                     of one; run it in a migration of its own",
                ));
            }
            _ => {
                merged = false;
                kept.push(Some(operation.clone()));
            }
        }
        if merged {
            g.merged_batching(index, operation.batching())?;
            g.merged.push(index);
            kept.push(None);
        }
    }
    for g in &gathered {
        if g.pipeline.is_some() && g.merged.len() > 1 {
            let index = g
                .merged
                .iter()
                .copied()
                .find(|i| matches!(&operations[*i], Operation::UpdateMany(op) if op.update.is_array()));
            return Err(refuse(
                index.unwrap_or(0),
                "an update pipeline cannot share one update with the other changes to the collection: make the \
                 pipeline do all of them, or move them to the next version",
            ));
        }
    }
    // Each step runs where its first operation was written, after the collection's removals.
    let places: Vec<usize> =
        gathered.iter().map(|g| g.merged.first().copied().unwrap_or(operations.len()).max(g.after_removals)).collect();
    let mut steps: Vec<Option<(usize, VersionStep)>> =
        gathered.into_iter().zip(places).map(|(g, place)| Some((place, g.step()))).collect();
    let mut run = Vec::with_capacity(kept.len() + steps.len());
    for (index, operation) in kept.into_iter().map(Some).chain(std::iter::once(None)).enumerate() {
        for slot in steps.iter_mut() {
            if slot.as_ref().is_some_and(|(place, _)| *place == index)
                && let Some((_, step)) = slot.take()
            {
                run.push(Operation::VersionStep(step));
            }
        }
        if let Some(Some(operation)) = operation {
            run.push(operation);
        }
    }
    Ok(run)
}

/// Merges an `updateMany`'s update into the step: each operator's fields, or a pipeline.
fn merge_update(g: &mut Gathered<'_>, index: usize, who: &str, update: &Value) -> Result<(), Refusal> {
    match bson_of(index, "update", update)? {
        Bson::Array(stages) => {
            let stages = stages
                .into_iter()
                .map(|stage| match stage {
                    Bson::Document(stage) => Ok(stage),
                    _ => Err(refuse(index, "`update`: each pipeline stage is a document")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            g.pipeline = Some(stages);
        }
        Bson::Document(operators) => {
            if operators.is_empty() {
                return Err(refuse(index, "`update` is empty"));
            }
            for (operator, fields) in operators {
                if !operator.starts_with('$') {
                    return Err(refuse(
                        index,
                        "a replacement document (no update operators) cannot carry the version: write { $set: … }",
                    ));
                }
                let Bson::Document(fields) = fields else {
                    return Err(refuse(index, format!("`{operator}` needs a document of fields")));
                };
                for (path, value) in fields {
                    if operator == "$rename" {
                        let Bson::String(to) = &value else {
                            return Err(refuse(index, format!("`$rename` of {path}: the new name is a string")));
                        };
                        g.claim(index, who, to, true)?;
                    }
                    g.write(index, who, &operator, &path, value)?;
                }
            }
        }
        _ => return Err(refuse(index, "`update` is an update document or a pipeline")),
    }
    Ok(())
}

/// An inserted document with the version `to` where it has none; one at another version is refused.
fn stamped(document: &Value, field: &str, to: &Value) -> Result<Value, String> {
    let mut document = document.clone();
    if let Value::Object(fields) = &mut document {
        let parts: Vec<&str> = field.split('.').collect();
        stamp(fields, &parts, field, to)?;
    }
    Ok(document)
}

fn stamp(fields: &mut Map<String, Value>, parts: &[&str], field: &str, to: &Value) -> Result<(), String> {
    let Some((first, rest)) = parts.split_first() else { return Ok(()) };
    if rest.is_empty() {
        return match fields.get(*first) {
            Some(existing) if to.is_null() || !same_version(existing, to) => Err(format!(
                "has {field} = {existing}, but this migration writes its documents at {} (leave the field out and \
                 it is set)",
                shown(to)
            )),
            Some(_) => Ok(()),
            None => {
                if !to.is_null() {
                    fields.insert((*first).to_owned(), to.clone());
                }
                Ok(())
            }
        };
    }
    if to.is_null() && !fields.contains_key(*first) {
        return Ok(());
    }
    match fields.entry((*first).to_owned()).or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(inner) => stamp(inner, rest, field, to),
        _ => Err(format!("cannot hold {field}: {first} is not a document")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declarative::DeclarativeMigration;
    use mongrate_core::{MigrationFile, Version};

    fn parse(content: &str) -> mongrate_core::Result<DeclarativeMigration> {
        let file = MigrationFile {
            version: Version::number(1),
            file_name: "1_m.yaml".into(),
            slug: "m".into(),
            extension: "yaml".into(),
            path: "migrations/1_m.yaml".into(),
            content: content.into(),
            checksum: String::new(),
            layout: Default::default(),
            down: None,
            settings: None,
        };
        DeclarativeMigration::parse(&file)
    }

    fn steps(operations: &[Operation]) -> Vec<&VersionStep> {
        operations
            .iter()
            .filter_map(|op| match op {
                Operation::VersionStep(step) => Some(step),
                _ => None,
            })
            .collect()
    }

    fn refusal(content: &str) -> String {
        parse(content).expect_err("refused").message
    }

    const SPLIT_NAME: &str = "documents: { collection: users, from: 2, to: 3 }\n\
up:\n\
  - addField: { collection: users, field: preferences, value: { theme: light } }\n\
  - createIndex: { collection: users, keys: { phoneNumber: 1 } }\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - addField: { collection: orders, field: x, value: 1 }\n";

    #[test]
    fn the_data_operations_of_the_collection_become_one_update_per_document() {
        let parsed = parse(SPLIT_NAME).unwrap();
        // The file's own lists stay as written (lint and the derived down read them).
        assert_eq!(parsed.up.len(), 4);
        let up = parsed.operations(Direction::Up).unwrap();
        let names: Vec<_> = up.iter().map(Operation::name).collect();
        assert_eq!(names, ["documents", "createIndex", "addField"]);
        let step = steps(up)[0];
        assert_eq!(step.filter().unwrap(), doc! { "schema_version": 2 });
        assert_eq!(
            step.full_update().unwrap(),
            Bson::Document(doc! {
                "$set": { "preferences": { "theme": "light" }, "schema_version": 3 },
                "$rename": { "phone": "phoneNumber" },
            })
        );
        assert!(step.destructive, "a rename moves data: [backup] auto backs the collection up");
        assert_eq!(step.describe(), "users.schema_version 2 → 3 (adds preferences, renames phone → phoneNumber)");

        // The derived down: from 3 back to 2, the changes undone in the same write.
        let down = parsed.operations(Direction::Down).unwrap();
        let names: Vec<_> = down.iter().map(Operation::name).collect();
        assert_eq!(names, ["removeField", "documents", "dropIndex"]);
        let step = steps(down)[0];
        assert_eq!(step.filter().unwrap(), doc! { "schema_version": 3 });
        assert_eq!(
            step.full_update().unwrap(),
            Bson::Document(doc! {
                "$rename": { "phoneNumber": "phone" },
                "$unset": { "preferences": "" },
                "$set": { "schema_version": 2 },
            })
        );
    }

    #[test]
    fn documents_without_a_version_are_from_null_and_a_named_field_is_used() {
        let parsed = parse(
            "documents: { collection: users, from: null, to: 2, field: meta.v, batchSize: 500 }\n\
             up:\n  - copyField: { collection: users, from: email, to: contact.email }\n",
        )
        .unwrap();
        let step = steps(parsed.operations(Direction::Up).unwrap())[0].clone();
        assert_eq!(step.filter().unwrap(), doc! { "meta.v": { "$exists": false } });
        assert_eq!(step.copies, [("email".to_owned(), "contact.email".to_owned())]);
        assert_eq!(step.batching.batch_size, Some(500));
        let down = steps(parsed.operations(Direction::Down).unwrap())[0].clone();
        assert_eq!(down.filter().unwrap(), doc! { "meta.v": 2 });
        assert_eq!(
            down.full_update().unwrap(),
            Bson::Document(doc! { "$unset": { "contact.email": "", "meta.v": "" } })
        );
        // Only the version moves when no operation changes the collection.
        let parsed = parse(
            "documents: { collection: users, from: 1, to: 2 }\n\
             up:\n  - createIndex: { collection: users, keys: { email: 1 } }\n",
        )
        .unwrap();
        let up = parsed.operations(Direction::Up).unwrap();
        assert_eq!(up.iter().map(Operation::name).collect::<Vec<_>>(), ["createIndex", "documents"]);
        assert_eq!(steps(up)[0].full_update().unwrap(), Bson::Document(doc! { "$set": { "schema_version": 2 } }));
    }

    #[test]
    fn update_many_merges_its_operators_and_a_pipeline_runs_alone() {
        let parsed = parse(
            "documents: { collection: users, from: 2, to: 3 }\n\
             up:\n  - updateMany: { collection: users, filter: {}, update: { $inc: { logins: 1 }, $set: { a: 1 } } }\n\
             \x20 - removeField: { collection: users, field: legacy }\n\
             down:\n  - addField: { collection: users, field: legacy, value: null }\n",
        )
        .unwrap();
        let up = steps(parsed.operations(Direction::Up).unwrap())[0].full_update().unwrap();
        assert_eq!(
            up,
            Bson::Document(
                doc! { "$inc": { "logins": 1 }, "$set": { "a": 1, "schema_version": 3 }, "$unset": { "legacy": "" } }
            )
        );
        let down = steps(parsed.operations(Direction::Down).unwrap())[0].full_update().unwrap();
        assert_eq!(down, Bson::Document(doc! { "$set": { "legacy": Bson::Null, "schema_version": 2 } }));

        let pipeline = parse(
            "documents: { collection: users, from: 2, to: 3 }\n\
             up:\n  - updateMany: { collection: users, update: [ { $set: { full: { $concat: [\"$first\", \" \", \"$last\"] } } } ] }\n",
        )
        .unwrap();
        let Bson::Array(stages) = steps(pipeline.operations(Direction::Up).unwrap())[0].full_update().unwrap() else {
            panic!("a pipeline");
        };
        assert_eq!(stages.last(), Some(&Bson::Document(doc! { "$set": { "schema_version": 3 } })));
        assert!(pipeline.down.is_none(), "an updateMany has no derived down");
    }

    #[test]
    fn inserts_are_written_at_the_new_version_and_removals_match_the_old_one() {
        let parsed = parse(
            "documents: { collection: users, from: 2, to: 3 }\n\
             up:\n  - addField: { collection: users, field: a, value: 1 }\n\
             \x20 - insertMany: { collection: users, documents: [ { _id: 1 }, { _id: 2, schema_version: 3 } ] }\n\
             \x20 - deleteMany: { collection: users, filter: { spam: true } }\n",
        )
        .unwrap();
        let up = parsed.operations(Direction::Up).unwrap();
        assert_eq!(up.iter().map(Operation::name).collect::<Vec<_>>(), ["insertMany", "deleteMany", "documents"]);
        let Operation::InsertMany(insert) = &up[0] else { panic!("insertMany") };
        assert_eq!(insert.documents[0], serde_json::json!({ "_id": 1, "schema_version": 3 }));
        let Operation::DeleteMany(delete) = &up[1] else { panic!("deleteMany") };
        assert_eq!(delete.filter, serde_json::json!({ "$and": [{ "spam": true }, { "schema_version": 2 }] }));

        let error = refusal(
            "documents: { collection: users, from: 2, to: 3 }\n\
             up:\n  - insertMany: { collection: users, documents: [ { _id: 1, schema_version: 2 } ] }\n",
        );
        assert!(error.contains("up[0] (insertMany): document 0") && error.contains("schema_version"), "{error}");
    }

    #[test]
    fn what_cannot_share_one_update_is_refused_naming_the_operation() {
        let cases = [
            (
                "  - addField: { collection: users, field: a, value: 1 }\n  - removeField: { collection: users, field: a.b }\n",
                "up[1] (removeField)",
            ),
            ("  - updateMany: { collection: users, update: { $inc: { schema_version: 1 } } }\n", "up[0] (updateMany)"),
            (
                "  - addField: { collection: users, field: a, value: 1, filter: { x: 1 } }\n",
                "up[0] (addField): a per-operation `filter`",
            ),
            ("  - setSchemaVersion: { collection: users, from: 2, to: 3 }\n", "up[0] (setSchemaVersion)"),
            ("  - removeDuplicates: { collection: users, keys: [email] }\n", "up[0] (removeDuplicates)"),
            (
                "  - updateMany: { collection: users, update: { name: x } }\n",
                "up[0] (updateMany): a replacement document",
            ),
            (
                "  - copyField: { collection: users, from: a, to: b }\n  - renameField: { collection: users, from: a, to: c }\n",
                "up[1] (renameField)",
            ),
            (
                "  - addField: { collection: users, field: a, value: 1 }\n  - updateMany: { collection: users, update: [ { $set: { b: 1 } } ] }\n",
                "up[1] (updateMany): an update pipeline",
            ),
            (
                "  - addField: { collection: users, field: a, value: 1, batchSize: 10 }\n  - addField: { collection: users, field: b, value: 1, batchSize: 20 }\n",
                "up[1] (addField): its batch options",
            ),
        ];
        for (operations, expected) in cases {
            let error = refusal(&format!("documents: {{ collection: users, from: 2, to: 3 }}\nup:\n{operations}"));
            assert!(error.contains("migrations/1_m.yaml") && error.contains(expected), "{operations}: {error}");
        }
        // Two copies of one field read it twice, which is fine.
        parse(
            "documents: { collection: users, from: 2, to: 3 }\nup:\n\
             \x20 - copyField: { collection: users, from: a, to: b }\n  - copyField: { collection: users, from: a, to: c }\n",
        )
        .unwrap();
        // A derived down is checked too (an insert's down deletes what it inserted, matching `to`).
        parse(
            "documents: { collection: users, from: 2, to: 3 }\nup:\n\
             \x20 - insertMany: { collection: users, documents: [ { _id: 1 } ] }\n  - addField: { collection: users, field: a, value: 1 }\n",
        )
        .map(|parsed| {
            let down = parsed.operations(Direction::Down).unwrap();
            assert_eq!(down.iter().map(Operation::name).collect::<Vec<_>>(), ["deleteMany", "documents"]);
        })
        .unwrap();
    }

    #[test]
    fn the_documents_key_is_checked() {
        let cases = [
            ("documents: { collection: users, from: 2, to: 2 }", "both 2"),
            ("documents: { collection: users, from: 2, to: 3, field: $v }", "`field`"),
            ("documents: { collection: users, from: 2, to: 3, field: _id }", "`field`"),
            ("documents: { collection: users, from: [2], to: 3 }", "`from`"),
            ("documents: { collection: users, to: 3 }", "from"),
            ("documents: { collection: users, from: 2, to: 3, colour: red }", "colour"),
            ("documents: []", "names no collection"),
            ("documents: [ { collection: a, from: 1, to: 2 }, { collection: a, from: 2, to: 3 } ]", "twice"),
        ];
        for (documents, expected) in cases {
            let error = refusal(&format!("{documents}\nup:\n  - addField: {{ collection: a, field: x, value: 1 }}\n"));
            assert!(error.contains("`documents`") && error.contains(expected), "{documents}: {error}");
        }
        let two = parse(
            "documents: [ { collection: a, from: 1, to: 2 }, { collection: b, from: \"v1\", to: \"v2\" } ]\nup:\n\
             \x20 - addField: { collection: b, field: x, value: 1 }\n  - addField: { collection: a, field: y, value: 1 }\n",
        )
        .unwrap();
        let up = two.operations(Direction::Up).unwrap();
        let collections: Vec<_> = steps(up).iter().map(|s| s.collection.as_str()).collect();
        assert_eq!(collections, ["b", "a"]);
        assert_eq!(steps(up)[0].filter().unwrap(), doc! { "schema_version": "v1" });
    }

    const VERSIONED: &str = "documents: { collection: users, from: 2, to: 3, field: meta.v, batchSize: 10 }\n\
up:\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - copyField: { collection: users, from: email, to: login }\n\
  - insertMany: { collection: users, documents: [ { _id: 1, meta: { v: 3 } }, { _id: 2 } ] }\n\
  - deleteMany: { collection: users, filter: { spam: true } }\n\
  - updateMany: { collection: users, update: { $inc: { n: 1 } } }\n\
down:\n\
  - renameField: { collection: users, from: phoneNumber, to: phone }\n\
  - removeField: { collection: users, field: login }\n";

    #[rustfmt::skip]
    const TOKENS: &[&str] = &[
        "documents: ", "{ ", " }", "[", "]", ",", ": ", "from: ", "to: ", "field: ", "null", "~", "\"2\"", "2", "2.0",
        "meta.v", "meta", ".", "$", "_id", "collection: users", "\n  - ", "addField", "$rename", "$set", "filter: {}",
    ];

    proptest::proptest! {
        /// A mutated versioned file parses, or is refused with the file named; never a panic.
        #[test]
        fn mutated_versioned_files_never_panic(content in mongrate_testkit::mutated(VERSIONED, TOKENS)) {
            match parse(&content) {
                Ok(parsed) => {
                    let up = parsed.operations(Direction::Up).expect("an up");
                    for step in steps(up) {
                        proptest::prop_assert!(step.filter().is_ok());
                        proptest::prop_assert!(step.full_update().is_ok());
                    }
                }
                Err(error) => proptest::prop_assert!(error.message.contains("migrations/1_m.yaml"), "{}", error.message),
            }
        }
    }

    #[test]
    fn the_versioned_example_parses() {
        let parsed = parse(VERSIONED).unwrap();
        let up = parsed.operations(Direction::Up).unwrap();
        assert_eq!(up.iter().map(Operation::name).collect::<Vec<_>>(), ["insertMany", "deleteMany", "documents"]);
        let Operation::InsertMany(insert) = &up[0] else { panic!("insertMany") };
        assert_eq!(insert.documents[1], serde_json::json!({ "_id": 2, "meta": { "v": 3 } }));
        assert_eq!(steps(up)[0].copies.len(), 1);
    }

    #[test]
    fn the_readme_example_is_one_update_per_document() {
        let readme = "documents: { collection: users, from: 2, to: 3, batchSize: 1000 }\n\
up:\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - copyField:   { collection: users, from: email, to: login }\n\
  - addField:    { collection: users, field: preferences, value: { theme: light } }\n\
  - createIndex: { collection: users, keys: { phoneNumber: 1 } }\n";
        let parsed = parse(readme).unwrap();
        let up = parsed.operations(Direction::Up).unwrap();
        assert_eq!(up.iter().map(Operation::name).collect::<Vec<_>>(), ["documents", "createIndex"]);
        let down = parsed.operations(Direction::Down).unwrap();
        assert_eq!(down.iter().map(Operation::name).collect::<Vec<_>>(), ["dropIndex", "documents"]);
        assert_eq!(
            steps(down)[0].full_update().unwrap(),
            Bson::Document(doc! {
                "$unset": { "preferences": "", "login": "" },
                "$rename": { "phoneNumber": "phone" },
                "$set": { "schema_version": 2 },
            })
        );
    }

    #[test]
    fn paths_overlap_only_at_dots() {
        assert!(overlap("a", "a") && overlap("a", "a.b") && overlap("a.b", "a"));
        assert!(!overlap("a", "ab") && !overlap("ab.c", "a"));
    }
}
