//! A canonical dump of a MongoDB database: every collection (but mongrate's own), its indexes and
//! its documents in `_id` order as canonical extended JSON, so BSON types are compared too.

use bson::{Document, doc};
use futures_util::TryStreamExt;

use crate::support::block_on;

/// Every document of `collection`, in `_id` order.
pub async fn in_id_order(collection: &mongodb::Collection<Document>) -> Vec<Document> {
    let cursor = collection.find(doc! {}).sort(doc! { "_id": 1 }).await.expect("find");
    cursor.try_collect().await.expect("documents")
}

pub fn dump(db: &mongodb::Database) -> String {
    dump_where(db, |name| !name.starts_with("mongrate_"), true)
}

/// The collections `keep` accepts, each document's fields in stored order: two databases migrated
/// by different tools compare equal only if they wrote the same fields in the same order.
pub fn dump_in_order(db: &mongodb::Database, keep: impl Fn(&str) -> bool) -> String {
    dump_where(db, keep, false)
}

fn dump_where(db: &mongodb::Database, keep: impl Fn(&str) -> bool, sort_fields: bool) -> String {
    block_on(async {
        let mut names = db.list_collection_names().await.expect("list collections");
        names.retain(|name| keep(name));
        names.sort();
        let mut out = String::new();
        for name in names {
            let collection = db.collection::<Document>(&name);
            out.push_str(&format!("collection {name}\n"));
            let mut indexes: Vec<String> = collection
                .list_indexes()
                .await
                .expect("list indexes")
                .try_collect::<Vec<_>>()
                .await
                .expect("indexes")
                .into_iter()
                .map(|index| {
                    let unique = index.options.as_ref().and_then(|o| o.unique).unwrap_or(false);
                    let name = index.options.as_ref().and_then(|o| o.name.clone()).unwrap_or_default();
                    format!("  index {name} {} unique={unique}", index.keys)
                })
                .collect();
            indexes.sort();
            for index in indexes {
                out.push_str(&index);
                out.push('\n');
            }
            for document in in_id_order(&collection).await {
                let document = if sort_fields { sorted(document) } else { document };
                out.push_str(&format!("  {}\n", bson::Bson::Document(document).into_canonical_extjson()));
            }
        }
        out
    })
}

/// The document with its fields in name order, recursively: `$rename` moves a field to the end,
/// so a rename and its inverse give the same fields and values in another order.
fn sorted(document: Document) -> Document {
    let mut fields: Vec<(String, bson::Bson)> = document.into_iter().collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields
        .into_iter()
        .map(|(key, value)| match value {
            bson::Bson::Document(inner) => (key, bson::Bson::Document(sorted(inner))),
            other => (key, other),
        })
        .collect()
}

/// Inserts documents given as extended JSON.
pub fn insert(db: &mongodb::Database, collection: &str, documents: serde_json::Value) {
    let documents: Vec<Document> = documents
        .as_array()
        .expect("a list of documents")
        .iter()
        .map(|d| match bson::Bson::try_from(d.clone()).expect("extended JSON") {
            bson::Bson::Document(document) => document,
            other => panic!("not a document: {other}"),
        })
        .collect();
    block_on(db.collection::<Document>(collection).insert_many(documents)).expect("insert");
}

/// Documents matching a filter.
pub fn count(db: &mongodb::Database, collection: &str, filter: Document) -> u64 {
    block_on(db.collection::<Document>(collection).count_documents(filter)).expect("count")
}

/// The integer `_id`s of a collection, in order.
pub fn ids(db: &mongodb::Database, collection: &str) -> Vec<i64> {
    block_on(async {
        let cursor = db.collection::<Document>(collection).find(Document::new()).sort(bson::doc! { "_id": 1 }).await?;
        futures_util::TryStreamExt::try_collect::<Vec<Document>>(cursor).await
    })
    .expect("read the collection")
    .iter()
    .map(|d| d.get_i64("_id").or_else(|_| d.get_i32("_id").map(i64::from)).expect("an integer _id"))
    .collect()
}
