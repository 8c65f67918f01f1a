//! A migrate-mongo project's collections: its changelog (what it applied, to import) and its lock.

use bson::{Bson, Document, doc};
use futures_util::TryStreamExt;
use mongodb::Database;
use mongrate_core::import::{ForeignChecksum, ForeignEntry, RecordedName};
use mongrate_core::timestamp::rfc3339_millis;
use mongrate_core::{Error, Result};

use crate::errors::server;

fn number(value: Option<&Bson>) -> Option<i64> {
    match value? {
        Bson::Int32(n) => Some(*n as i64),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}

/// The applied entries of migrate-mongo's changelog collection, in the order they were applied.
pub async fn read_changelog(db: &Database, collection: &str) -> Result<Vec<ForeignEntry>> {
    let names = db.list_collection_names().await.map_err(|e| server("listing collections", &e))?;
    if !names.iter().any(|n| n == collection) {
        return Err(Error::config(format!(
            "the database has no collection `{collection}`: it is not migrate-mongo's changelog here \
             (set changelogCollectionName in migrate-mongo-config.js, or pass --collection)"
        )));
    }
    let documents: Vec<Document> = db
        .collection::<Document>(collection)
        .find(doc! {})
        .sort(doc! { "appliedAt": 1, "fileName": 1 })
        .await
        .map_err(|e| server(&format!("reading {collection}"), &e))?
        .try_collect()
        .await
        .map_err(|e| server(&format!("reading {collection}"), &e))?;
    let mut entries = Vec::with_capacity(documents.len());
    for document in documents {
        let Ok(file_name) = document.get_str("fileName") else {
            return Err(Error::validation(format!(
                "`{collection}` holds a document without a fileName ({document}): it is not migrate-mongo's changelog"
            )));
        };
        entries.push(ForeignEntry {
            version: None,
            recorded: Some(RecordedName::File(file_name.to_owned())),
            applied_at: match document.get("appliedAt") {
                Some(Bson::DateTime(at)) => Some(rfc3339_millis(at.timestamp_millis())),
                _ => None,
            },
            block: number(document.get("migrationBlock")),
            checksum: document.get_str("fileHash").ok().map(|hash| ForeignChecksum::Sha256Hex(hash.to_owned())),
            failed: None,
        });
    }
    Ok(entries)
}

/// Whether migrate-mongo's lock collection holds a lock (a migrate-mongo run is under way).
pub async fn lock_is_held(db: &Database, collection: &str) -> Result<bool> {
    let held = db
        .collection::<Document>(collection)
        .count_documents(doc! {})
        .await
        .map_err(|e| server(&format!("reading {collection}"), &e))?;
    Ok(held > 0)
}
