//! Backups of collections: a copy of the documents in a collection of its own
//! (`mongrate_backup_<collection>_<time>`), and in `mongrate_backups` a record of it with the
//! source's options and index specifications, so that a restore puts back documents (with their
//! BSON types), indexes and options exactly as they were.
//!
//! The copy is made on the server where it can be (`$out` to back up, `$merge` into the
//! re-created collection to restore: MongoDB 4.2 and later); elsewhere (FerretDB) it is streamed
//! through mongrate in batches, so memory stays flat however large the collection.

use bson::{Bson, DateTime, Document, RawDocumentBuf, doc};
use futures_util::TryStreamExt;
use mongodb::{Collection, Database};
use mongrate_core::backup::{
    BackupInfo, BackupMethod, BackupPolicy, PlannedBackup, RestoreReport, backup_name, beyond_retention, unknown_backup,
};
use mongrate_core::timestamp::{now_millis, rfc3339_millis};
use mongrate_core::{Error, Result, Version};

use crate::errors::{codes, server};

/// Documents per insert when streaming.
const BATCH_DOCUMENTS: usize = 1000;

/// Bytes per insert when streaming (the driver splits larger batches anyway; this bounds memory).
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// The longest collection name mongrate gives a backup (MongoDB's namespace limit is 255 bytes
/// with the database name).
pub const LONGEST_NAME: usize = 120;

/// Server codes that mean "this server cannot run that pipeline stage or option": the copy is
/// then streamed instead.
const UNSUPPORTED: &[i32] = &[
    115,   // CommandNotSupported
    238,   // NotImplemented
    40324, // unrecognized pipeline stage
    40415, // unknown field in a stage
    9,     // FailedToParse
    14,    // TypeMismatch
];

/// The collection being backed up, as the server describes it.
struct Source {
    options: Document,
    indexes: Vec<Document>,
}

/// The backups of one database.
#[derive(Clone)]
pub struct MongoBackups {
    pub db: Database,
    /// `mongrate_backups`.
    pub records_name: String,
    pub server_side: bool,
    pub policy: BackupPolicy,
}

impl MongoBackups {
    fn records(&self) -> Collection<Document> {
        self.db.collection(&self.records_name)
    }

    /// Every recorded backup, oldest first.
    pub async fn list(&self) -> Result<Vec<BackupInfo>> {
        let documents: Vec<Document> = self
            .records()
            .find(doc! {})
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .await
            .map_err(|e| server("reading the backups", &e))?
            .try_collect()
            .await
            .map_err(|e| server("reading the backups", &e))?;
        Ok(documents.iter().map(info_of).collect())
    }

    async fn record(&self, name: &str) -> Result<Document> {
        self.records()
            .find_one(doc! { "_id": name })
            .await
            .map_err(|e| server("reading the backups", &e))?
            .ok_or_else(|| unknown_backup(name))
    }

    /// The collection's options and type, `None` when it does not exist.
    async fn describe(&self, collection: &str) -> Result<Option<(String, Document)>> {
        let reply = self
            .db
            .run_command(doc! { "listCollections": 1, "filter": { "name": collection } })
            .await
            .map_err(|e| server(&format!("looking up collection {collection}"), &e))?;
        let first = reply
            .get_document("cursor")
            .ok()
            .and_then(|cursor| cursor.get_array("firstBatch").ok())
            .and_then(|batch| batch.first())
            .and_then(Bson::as_document);
        Ok(first.map(|info| {
            let kind = info.get_str("type").unwrap_or("collection").to_owned();
            (kind, info.get_document("options").cloned().unwrap_or_default())
        }))
    }

    async fn source(&self, collection: &str) -> Result<Option<Source>> {
        let Some((kind, options)) = self.describe(collection).await? else { return Ok(None) };
        if kind != "collection" {
            return Err(Error::migration(format!(
                "{collection} is a {kind}, not a collection: only collections are backed up"
            )));
        }
        // The specifications as the server lists them, every field kept (an `IndexModel` would
        // drop the ones the driver does not know).
        let doing = format!("reading the indexes of {collection}");
        let mut cursor =
            self.db.run_cursor_command(doc! { "listIndexes": collection }).await.map_err(|e| server(&doing, &e))?;
        let mut indexes = Vec::new();
        while cursor.advance().await.map_err(|e| server(&doing, &e))? {
            indexes.push(cursor.deserialize_current().map_err(|e| server(&doing, &e))?);
        }
        Ok(Some(Source { options, indexes }))
    }

    /// What a dry-run says of backing up `collection`.
    pub async fn plan(&self, collection: &str) -> Result<PlannedBackup> {
        if self.describe(collection).await?.is_none() {
            return Ok(PlannedBackup {
                collection: collection.to_owned(),
                exists: false,
                documents: 0,
                size_bytes: None,
            });
        }
        let (documents, size_bytes) = self.size_of(collection).await?;
        Ok(PlannedBackup { collection: collection.to_owned(), exists: true, documents, size_bytes })
    }

    /// Documents and bytes of data: `collStats` where the server has it, else a count.
    async fn size_of(&self, collection: &str) -> Result<(u64, Option<u64>)> {
        if let Ok(stats) = self.db.run_command(doc! { "collStats": collection }).await {
            let number = |key: &str| match stats.get(key) {
                Some(Bson::Int32(n)) => u64::try_from(*n).ok(),
                Some(Bson::Int64(n)) => u64::try_from(*n).ok(),
                Some(Bson::Double(n)) if *n >= 0.0 => Some(*n as u64),
                _ => None,
            };
            if let Some(count) = number("count") {
                return Ok((count, number("size")));
            }
        }
        let count = self
            .db
            .collection::<Document>(collection)
            .count_documents(doc! {})
            .await
            .map_err(|e| server(&format!("counting {collection}"), &e))?;
        Ok((count, None))
    }

    /// Backs up `collection`. For a migration (`step`), a collection that does not exist yet is
    /// recorded as absent, so a restore drops what the migration created; by hand it is an error.
    pub async fn take(&self, collection: &str, step: Option<(&Version, &str)>) -> Result<BackupInfo> {
        let name = self.fresh_name(collection).await?;
        let created = now_millis();
        let mut record = doc! {
            "_id": &name,
            "name": &name,
            "collection": collection,
            "version": step.map_or(Bson::Null, |(version, _)| Bson::String(version.to_string())),
            "migration": step.map_or(Bson::Null, |(_, migration)| Bson::String(migration.to_owned())),
            "createdAt": DateTime::from_millis(created),
            "restoredAt": Bson::Null,
        };
        match self.source(collection).await? {
            None if step.is_none() => {
                return Err(Error::config(format!("there is no collection {collection} to back up")));
            }
            None => {
                record.insert("documents", 0_i64);
                record.insert("size", Bson::Null);
                record.insert("method", BackupMethod::Absent.as_str());
            }
            Some(source) => {
                let copied = self.copy_out(collection, &name).await;
                let (method, documents, size) = match copied {
                    Ok(copied) => copied,
                    Err(error) => {
                        // Best effort: a half-made copy is not a backup.
                        let _ = self.db.collection::<Document>(&name).drop().await;
                        return Err(error);
                    }
                };
                record.insert("documents", documents as i64);
                record.insert("size", size.map_or(Bson::Null, |s| Bson::Int64(s as i64)));
                record.insert("method", method.as_str());
                record.insert("options", source.options);
                record.insert("indexes", source.indexes.into_iter().map(Bson::Document).collect::<Vec<_>>());
            }
        }
        if let Err(error) = self.records().insert_one(record.clone()).await {
            let _ = self.db.collection::<Document>(&name).drop().await;
            return Err(server("recording the backup", &error));
        }
        Ok(info_of(&record))
    }

    /// A backup name no collection or record has yet.
    async fn fresh_name(&self, collection: &str) -> Result<String> {
        let existing = self.db.list_collection_names().await.map_err(|e| server("listing collections", &e))?;
        let mut millis = now_millis();
        loop {
            let name = backup_name(collection, millis, LONGEST_NAME);
            let recorded = self
                .records()
                .count_documents(doc! { "_id": &name })
                .await
                .map_err(|e| server("reading the backups", &e))?;
            if !existing.contains(&name) && recorded == 0 {
                return Ok(name);
            }
            millis += 1;
        }
    }

    /// Copies `from` into the new collection `to`: on the server with `$out` where it can, else
    /// streamed. Returns how, the documents copied and their bytes where known.
    async fn copy_out(&self, from: &str, to: &str) -> Result<(BackupMethod, u64, Option<u64>)> {
        if self.server_side {
            let command = doc! { "aggregate": from, "pipeline": [ { "$out": to } ], "cursor": {} };
            match self.db.run_command(command).await {
                Ok(_) => {
                    let (documents, size) = self.size_of(to).await?;
                    return Ok((BackupMethod::ServerSide, documents, size));
                }
                Err(error) if !is_unsupported(&error) => {
                    return Err(server(&format!("copying {from} to {to} with $out"), &error));
                }
                Err(_) => {}
            }
        }
        // An empty collection still gets its (empty) backup collection.
        self.db.create_collection(to).await.map_err(|e| server(&format!("creating {to}"), &e))?;
        let (documents, bytes) = self.stream(from, to, false).await?;
        Ok((BackupMethod::Streamed, documents, Some(bytes)))
    }

    /// Copies every document of `from` into `to` in batches, types untouched (raw BSON).
    async fn stream(&self, from: &str, to: &str, bypass_validation: bool) -> Result<(u64, u64)> {
        let doing = format!("copying {from} to {to}");
        let mut cursor = self
            .db
            .collection::<RawDocumentBuf>(from)
            .find(doc! {})
            .batch_size(BATCH_DOCUMENTS as u32)
            .await
            .map_err(|e| server(&doing, &e))?;
        let target = self.db.collection::<RawDocumentBuf>(to);
        let (mut documents, mut bytes) = (0_u64, 0_u64);
        let mut batch: Vec<RawDocumentBuf> = Vec::with_capacity(BATCH_DOCUMENTS);
        let mut batch_bytes = 0;
        loop {
            let next = cursor.try_next().await.map_err(|e| server(&doing, &e))?;
            let full = batch.len() >= BATCH_DOCUMENTS || batch_bytes >= BATCH_BYTES;
            if (next.is_none() || full) && !batch.is_empty() {
                target
                    .insert_many(std::mem::take(&mut batch))
                    .bypass_document_validation(bypass_validation)
                    .await
                    .map_err(|e| server(&doing, &e))?;
                batch_bytes = 0;
            }
            let Some(document) = next else { break };
            let size = document.as_bytes().len();
            documents += 1;
            bytes += size as u64;
            batch_bytes += size;
            batch.push(document);
        }
        Ok((documents, bytes))
    }

    /// Replaces `to` (default: the backed-up collection) with the backup.
    pub async fn restore(&self, name: &str, to: Option<&str>) -> Result<RestoreReport> {
        let record = self.record(name).await?;
        let info = info_of(&record);
        let target = to.unwrap_or(&info.collection).to_owned();
        if target.starts_with("mongrate_") {
            return Err(Error::config(format!("{target} is mongrate's own: restore into another collection")));
        }
        let drop_target = async {
            match self.db.collection::<Document>(&target).drop().await {
                Ok(()) => Ok(()),
                Err(error) if codes(&error).contains(&26) => Ok(()), // NamespaceNotFound
                Err(error) => Err(server(&format!("dropping {target}"), &error)),
            }
        };
        if info.method == BackupMethod::Absent {
            drop_target.await?;
            self.mark_restored(name).await?;
            return Ok(RestoreReport { backup: name.to_owned(), collection: target, documents: 0 });
        }
        let listed = self.db.list_collection_names().await.map_err(|e| server("listing collections", &e))?;
        if !listed.iter().any(|n| n == name) {
            return Err(Error::database(format!(
                "the collection of backup {name} is gone; its record remains (`mongrate backup drop {name}` removes it)"
            )));
        }
        let options = record.get_document("options").cloned().unwrap_or_default();
        drop_target.await?;
        let mut create = doc! { "create": &target };
        create.extend(options.clone());
        self.db.run_command(create).await.map_err(|e| server(&format!("re-creating {target}"), &e))?;
        let capped = options.get_bool("capped").unwrap_or(false);
        let documents = self.copy_in(name, &target, capped).await?;
        let indexes: Vec<Document> = record
            .get_array("indexes")
            .map(|list| list.iter().filter_map(Bson::as_document).cloned().collect())
            .unwrap_or_default();
        let specs: Vec<Document> = indexes
            .into_iter()
            .filter(|spec| spec.get_str("name").is_ok_and(|n| n != "_id_"))
            .map(|mut spec| {
                spec.remove("ns");
                spec
            })
            .collect();
        if !specs.is_empty() {
            let doing = format!("re-creating the indexes of {target}");
            let command = doc! { "createIndexes": &target, "indexes": specs.clone() };
            if let Err(error) = self.db.run_command(command).await {
                // Some servers (FerretDB) refuse the index version `listIndexes` gave: they get
                // the specifications without it, and make indexes of their one version.
                if !codes(&error).iter().any(|code| [2, 197].contains(code)) {
                    return Err(server(&doing, &error));
                }
                let without_version: Vec<Document> = specs
                    .into_iter()
                    .map(|mut spec| {
                        spec.remove("v");
                        spec
                    })
                    .collect();
                let command = doc! { "createIndexes": &target, "indexes": without_version };
                self.db.run_command(command).await.map_err(|e| server(&doing, &e))?;
            }
        }
        self.mark_restored(name).await?;
        Ok(RestoreReport { backup: name.to_owned(), collection: target, documents })
    }

    /// Copies the backup's documents into the re-created collection: `$merge` keeps the options
    /// `create` gave it (`$out` would replace it), streamed where the server cannot (or for a
    /// capped collection, which `$merge` cannot write).
    async fn copy_in(&self, backup: &str, target: &str, capped: bool) -> Result<u64> {
        if self.server_side && !capped {
            let merge = doc! { "into": target, "whenMatched": "fail", "whenNotMatched": "insert" };
            let command = doc! {
                "aggregate": backup,
                "pipeline": [ { "$merge": merge } ],
                "cursor": {},
                "bypassDocumentValidation": true,
            };
            match self.db.run_command(command).await {
                Ok(_) => {
                    return self
                        .db
                        .collection::<Document>(target)
                        .count_documents(doc! {})
                        .await
                        .map_err(|e| server(&format!("counting {target}"), &e));
                }
                Err(error) if !is_unsupported(&error) => {
                    return Err(server(&format!("copying {backup} into {target} with $merge"), &error));
                }
                Err(_) => {}
            }
        }
        Ok(self.stream(backup, target, true).await?.0)
    }

    async fn mark_restored(&self, name: &str) -> Result<()> {
        self.records()
            .update_one(doc! { "_id": name }, doc! { "$set": { "restoredAt": DateTime::now() } })
            .await
            .map_err(|e| server("recording the restore", &e))?;
        Ok(())
    }

    /// Drops the backup's collection and its record.
    pub async fn drop_backup(&self, name: &str) -> Result<BackupInfo> {
        let info = info_of(&self.record(name).await?);
        match self.db.collection::<Document>(name).drop().await {
            Ok(()) => {}
            Err(error) if codes(&error).contains(&26) => {}
            Err(error) => return Err(server(&format!("dropping backup {name}"), &error)),
        }
        self.records().delete_one(doc! { "_id": name }).await.map_err(|e| server("removing the backup record", &e))?;
        Ok(info)
    }

    /// Drops the backups of `collection` beyond the policy's `retain`.
    pub async fn apply_retention(&self, collection: &str) -> Result<Vec<BackupInfo>> {
        let Some(keep) = self.policy.retain else { return Ok(Vec::new()) };
        let mine: Vec<BackupInfo> = self.list().await?.into_iter().filter(|b| b.collection == collection).collect();
        let pruned = beyond_retention(&mine, keep);
        for backup in &pruned {
            self.drop_backup(&backup.name).await?;
        }
        Ok(pruned)
    }
}

fn is_unsupported(error: &mongodb::error::Error) -> bool {
    codes(error).iter().any(|code| UNSUPPORTED.contains(code))
}

fn info_of(record: &Document) -> BackupInfo {
    let text = |key: &str| record.get_str(key).ok().map(str::to_owned);
    let date = |key: &str| match record.get(key) {
        Some(Bson::DateTime(at)) => Some(rfc3339_millis(at.timestamp_millis())),
        _ => None,
    };
    let number = |key: &str| match record.get(key) {
        Some(Bson::Int64(n)) => u64::try_from(*n).ok(),
        Some(Bson::Int32(n)) => u64::try_from(*n).ok(),
        _ => None,
    };
    BackupInfo {
        name: text("_id").unwrap_or_default(),
        collection: text("collection").unwrap_or_default(),
        version: text("version"),
        migration: text("migration"),
        created_at: date("createdAt").unwrap_or_default(),
        documents: number("documents").unwrap_or(0),
        size_bytes: number("size"),
        method: BackupMethod::parse(record.get_str("method").unwrap_or_default()),
        restored_at: date("restoredAt"),
    }
}
