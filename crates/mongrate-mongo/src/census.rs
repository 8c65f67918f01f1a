//! The document census (`mongrate schema census`, and `status` for `[schema] collections`): how
//! many documents of a collection carry each value of the version field, and how many carry
//! none, from one `$group` aggregation per collection on the server.
//!
//! Versions are grouped by value and BSON type; numbers of different types with the same value
//! (an `int` 2 written by an application, a `long` 2 written by a script) are one version, as
//! they are to a query. The type is shown where a version is not a number (`"2"` beside `2`).

use bson::{Bson, Document, doc};
use futures_util::TryStreamExt;
use mongodb::Database;
use mongodb::results::CollectionType;
use mongrate_core::Result;
use serde::Serialize;

use crate::errors::server;

/// One version and its documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionCount {
    /// The value, as relaxed extended JSON.
    pub version: serde_json::Value,
    /// Its BSON type (`int`, `long`, `double`, `string`, …); `number` when equal numbers of
    /// several types were counted together.
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: u64,
}

impl VersionCount {
    pub fn is_number(&self) -> bool {
        is_numeric(&self.type_name) || self.type_name == "number"
    }

    /// The version as people read it: `2`, `"2"`, `null`.
    pub fn shown(&self) -> String {
        match &self.version {
            serde_json::Value::String(text) => format!("\"{text}\""),
            other => other.to_string(),
        }
    }
}

/// The census of one collection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Census {
    pub collection: String,
    pub field: String,
    /// Whether the collection exists (a census of a missing one counts nothing).
    pub exists: bool,
    pub total: u64,
    /// Numbers first, in order; then the other values.
    pub versions: Vec<VersionCount>,
    /// Documents without the field.
    pub none: u64,
}

/// A connection to the database whose collections are counted.
pub struct CensusTaker {
    db: Database,
}

impl CensusTaker {
    /// Connects to the database of a MongoDB URL (or `database`).
    pub async fn connect(url: &str, database: Option<&str>, timeout: std::time::Duration) -> Result<CensusTaker> {
        let (client, name, _) = crate::connection::connect(url, database, timeout).await?;
        Ok(CensusTaker { db: client.database(&name) })
    }

    /// The database's collections that `keep` accepts, sorted.
    pub async fn collections(&self, keep: impl Fn(&str) -> bool) -> Result<Vec<String>> {
        collection_names(&self.db, keep).await
    }

    /// The census of each collection.
    pub async fn take(&self, collections: &[String], field: &str) -> Result<Vec<Census>> {
        take(&self.db, collections, field).await
    }
}

/// The collections of the database (not views), sorted; `keep` filters them.
pub async fn collection_names(db: &Database, keep: impl Fn(&str) -> bool) -> Result<Vec<String>> {
    let specifications = db
        .list_collections()
        .await
        .map_err(|e| server("listing the collections", &e))?
        .try_collect::<Vec<_>>()
        .await
        .map_err(|e| server("listing the collections", &e))?;
    let mut names: Vec<String> = specifications
        .into_iter()
        .filter(|s| matches!(s.collection_type, CollectionType::Collection))
        .map(|s| s.name)
        .filter(|name| !name.starts_with("system.") && keep(name))
        .collect();
    names.sort();
    Ok(names)
}

/// Counts each named collection's documents by `field`, one aggregation each.
pub async fn take(db: &Database, collections: &[String], field: &str) -> Result<Vec<Census>> {
    let existing = collection_names(db, |_| true).await?;
    let mut censuses = Vec::with_capacity(collections.len());
    for collection in collections {
        let exists = existing.contains(collection);
        let mut census = if exists {
            count(db, collection, field).await?
        } else {
            Census {
                collection: collection.clone(),
                field: field.to_owned(),
                exists,
                total: 0,
                versions: Vec::new(),
                none: 0,
            }
        };
        census.exists = exists;
        censuses.push(census);
    }
    Ok(censuses)
}

/// The pipeline: each document's version and its type, counted by both.
pub fn pipeline(field: &str) -> Vec<Document> {
    let path = format!("${field}");
    vec![
        // Only the field travels to the group (FerretDB keeps the grouped documents in memory).
        doc! { "$project": { field: 1 } },
        doc! { "$group": { "_id": { "v": &path, "t": { "$type": &path } }, "n": { "$sum": 1 } } },
    ]
}

/// One collection's census.
pub async fn count(db: &Database, collection: &str, field: &str) -> Result<Census> {
    let doing = format!("counting the documents of {collection} by {field}");
    let groups: Vec<Document> = db
        .collection::<Document>(collection)
        .aggregate(pipeline(field))
        .await
        .map_err(|e| server(&doing, &e))?
        .try_collect()
        .await
        .map_err(|e| server(&doing, &e))?;
    Ok(summarise(collection, field, &groups))
}

/// The census from the groups the aggregation returned (`{_id: {v, t}, n}`).
pub fn summarise(collection: &str, field: &str, groups: &[Document]) -> Census {
    let mut none = 0u64;
    let mut rows: Vec<(Bson, String, u64)> = Vec::new();
    for group in groups {
        let key = group.get_document("_id").ok();
        let n = group.get("n").map_or(0, count_of);
        let type_name = key.and_then(|k| k.get_str("t").ok()).unwrap_or("missing");
        match key.and_then(|k| k.get("v")) {
            Some(value) if type_name != "missing" => {
                match rows.iter_mut().find(|(v, t, _)| same_number(v, t, value, type_name)) {
                    Some(row) => {
                        row.2 += n;
                        if row.1 != type_name {
                            row.1 = "number".to_owned();
                        }
                    }
                    None => rows.push((value.clone(), type_name.to_owned(), n)),
                }
            }
            _ => none += n,
        }
    }
    rows.sort_by(order);
    let versions: Vec<VersionCount> = rows
        .into_iter()
        .map(|(value, type_name, count)| VersionCount { version: shown_value(&value), type_name, count })
        .collect();
    let total = versions.iter().map(|v| v.count).sum::<u64>() + none;
    Census { collection: collection.to_owned(), field: field.to_owned(), exists: true, total, versions, none }
}

fn is_numeric(type_name: &str) -> bool {
    matches!(type_name, "int" | "long" | "double" | "decimal")
}

fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Int64(n) => Some(*n as f64),
        Bson::Double(n) => Some(*n),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

/// Whether a counted row and a new group are the same number (of any numeric types).
fn same_number(row: &Bson, row_type: &str, value: &Bson, type_name: &str) -> bool {
    if (is_numeric(row_type) || row_type == "number") && is_numeric(type_name) {
        return number(row).is_some_and(|a| number(value).is_some_and(|b| a == b));
    }
    row_type == type_name && row == value
}

/// Numbers first, ascending; then by type and value.
fn order(a: &(Bson, String, u64), b: &(Bson, String, u64)) -> std::cmp::Ordering {
    match (number(&a.0), number(&b.0)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1).then_with(|| a.0.to_string().cmp(&b.0.to_string())),
    }
}

/// A version as JSON: whole doubles as integers (`2.0` is version 2).
fn shown_value(value: &Bson) -> serde_json::Value {
    match value {
        Bson::Double(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => serde_json::json!(*n as i64),
        other => other.clone().into_relaxed_extjson(),
    }
}

fn count_of(value: &Bson) -> u64 {
    match value {
        Bson::Int32(n) => u64::try_from(*n).unwrap_or(0),
        Bson::Int64(n) => u64::try_from(*n).unwrap_or(0),
        Bson::Double(n) if *n >= 0.0 => *n as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(v: Option<Bson>, t: &str, n: i32) -> Document {
        let mut key = doc! { "t": t };
        if let Some(v) = v {
            key.insert("v", v);
        }
        doc! { "_id": key, "n": n }
    }

    #[test]
    fn equal_numbers_are_one_version_and_other_types_stay_apart() {
        let groups = [
            group(Some(Bson::Int32(3)), "int", 5),
            group(Some(Bson::Int64(2)), "long", 2),
            group(Some(Bson::Int32(2)), "int", 7),
            group(Some(Bson::String("2".into())), "string", 1),
            group(None, "missing", 4),
            group(Some(Bson::Null), "null", 1),
            group(Some(Bson::Double(3.0)), "double", 1),
        ];
        let census = summarise("users", "schema_version", &groups);
        assert_eq!(census.total, 21);
        assert_eq!(census.none, 4);
        let rows: Vec<(String, &str, u64)> =
            census.versions.iter().map(|v| (v.shown(), v.type_name.as_str(), v.count)).collect();
        assert_eq!(
            rows,
            [
                ("2".to_owned(), "number", 9),
                ("3".to_owned(), "number", 6),
                ("null".to_owned(), "null", 1),
                ("\"2\"".to_owned(), "string", 1)
            ]
        );
        assert!(census.versions[0].is_number() && !census.versions[3].is_number());
    }

    #[test]
    fn the_pipeline_groups_by_value_and_type() {
        let pipeline = pipeline("meta.v");
        assert_eq!(pipeline[0], doc! { "$project": { "meta.v": 1 } });
        assert_eq!(
            pipeline[1],
            doc! { "$group": { "_id": { "v": "$meta.v", "t": { "$type": "$meta.v" } }, "n": { "$sum": 1 } } }
        );
    }
}
