//! The changelog collections: `mongrate_migrations` (one document per version, seed 001's field
//! names), `mongrate_history` (append-only) and `mongrate_lock`.

use bson::{Bson, DateTime, Document, doc};
use futures_util::TryStreamExt;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use mongrate_core::config::ChangelogNames;
use mongrate_core::host::AppliedBy;
use mongrate_core::record::{HistoryEntry, HistoryQuery, MigrationRecord, MigrationStatus};
use mongrate_core::{Error, Result, Version};

use crate::checkpoint::{checkpoint_version, shown_loops};
use crate::errors::{codes, describe_bson, is_duplicate_key, server, server_failure};
use crate::lease_store::LEASE_ID;

/// Reads and writes the changelog of one database.
#[derive(Clone)]
pub struct MongoChangelog {
    pub db: Database,
    pub names: ChangelogNames,
}

impl MongoChangelog {
    pub fn migrations(&self) -> Collection<Document> {
        self.db.collection(&self.names.migrations)
    }

    pub fn history_collection(&self) -> Collection<Document> {
        self.db.collection(&self.names.history)
    }

    pub fn lock(&self) -> Collection<Document> {
        self.db.collection(&self.names.lock)
    }

    /// Whether the three collections exist.
    pub async fn exists(&self) -> Result<bool> {
        let names = self.db.list_collection_names().await.map_err(|e| server("listing collections", &e))?;
        Ok([&self.names.migrations, &self.names.history, &self.names.lock].iter().all(|n| names.contains(n)))
    }

    /// Creates the collections and their indexes if missing.
    pub async fn ensure(&self) -> Result<()> {
        let existing = self.db.list_collection_names().await.map_err(|e| server("listing collections", &e))?;
        for name in [&self.names.migrations, &self.names.history, &self.names.lock] {
            if existing.contains(name) {
                continue;
            }
            if let Err(error) = self.db.create_collection(name).await {
                // Another runner created it a moment ago (NamespaceExists).
                if !codes(&error).contains(&48) {
                    return Err(server(&format!("creating collection {name}"), &error));
                }
            }
        }
        // No separate unique index on `version`: `_id` is the version, so it is unique already,
        // and every extra index slows each changelog write (FerretDB checks it by scanning).
        let by_version = IndexModel::builder().keys(doc! { "version": 1 }).build();
        self.history_collection().create_index(by_version).await.map_err(|e| server("indexing the history", &e))?;
        Ok(())
    }

    /// Every record, by version: the changelog's, with the `running` markers of migrations under
    /// way (or interrupted) in their place where a marker is newer.
    pub async fn records(&self) -> Result<Vec<MigrationRecord>> {
        Ok(self.records_and_lease().await?.0)
    }

    /// The records (as [`records`](Self::records)) and the lease document, in two round trips:
    /// the lease and the running markers share the lock collection.
    pub async fn records_and_lease(&self) -> Result<(Vec<MigrationRecord>, Option<Document>)> {
        let documents = every_document(&self.lock(), "reading the lock collection").await?;
        let (markers, others): (Vec<Document>, Vec<Document>) = documents.into_iter().partition(is_marker);
        let markers = markers.iter().map(record_from_document).collect::<Result<Vec<_>>>()?;
        let mut records = with_markers(self.changelog_records().await?, markers)?;
        with_checkpoints(&mut records, &others);
        let lease = others.into_iter().find(|d| d.get_str("_id").is_ok_and(|id| id == LEASE_ID));
        Ok((records, lease))
    }

    /// Records that a migration is running, in a document of its own in the lock collection.
    /// Markers are only ever inserted and deleted: FerretDB's updates slow down with the number of
    /// collections in the database (2.5 ms per update at first, 15 ms after 1000 one-collection
    /// migrations), its inserts and deletes do not. The changelog then only gets inserts when a
    /// new migration completes, and the marker is deleted once its outcome is recorded; a marker
    /// older than its version's record is history anyway (see `records`).
    pub async fn mark_running(&self, record: &MigrationRecord) -> Result<()> {
        let id = marker_id(&record.version);
        let mut document = record_to_document(record)?;
        document.insert("_id", &id);
        match self.lock().insert_one(document.clone()).await {
            Ok(_) => Ok(()),
            // The marker of an interrupted earlier attempt: this attempt's replaces it.
            Err(error) if is_duplicate_key(&error) => self
                .lock()
                .replace_one(doc! { "_id": &id }, document)
                .await
                .map(drop)
                .map_err(|e| server("recording the migration as running", &e)),
            Err(error) => Err(server("recording the migration as running", &error)),
        }
    }

    /// Removes the `running` marker of a version whose outcome is recorded (tidiness: an older
    /// marker is ignored anyway).
    pub async fn clear_running(&self, version: &Version) -> Result<()> {
        // Markers before this version of mongrate were one document, `_id: "running"`.
        let filter = doc! { "$or": [
            { "_id": marker_id(version) },
            { "_id": RUNNING_MARKER, "version": version.to_string() },
        ] };
        self.lock().delete_many(filter).await.map_err(|e| server("clearing the running marker", &e))?;
        Ok(())
    }

    async fn changelog_records(&self) -> Result<Vec<MigrationRecord>> {
        let documents = every_document(&self.migrations(), "reading the changelog").await?;
        documents.iter().map(record_from_document).collect()
    }

    /// A page of history, newest first.
    pub async fn history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        let mut filter = Document::new();
        if let Some(status) = query.status {
            filter.insert("status", status.as_str());
        }
        if let Some(version) = &query.version {
            filter.insert("version", version.to_string());
        }
        let documents: Vec<Document> = self
            .history_collection()
            .find(filter)
            .sort(doc! { "_id": -1 })
            .skip(query.skip.max(0) as u64)
            .limit(query.limit)
            .await
            .map_err(|e| server("reading the history", &e))?
            .try_collect()
            .await
            .map_err(|e| server("reading the history", &e))?;
        documents
            .iter()
            .enumerate()
            .map(|(i, d)| history_from_document(d, query.skip.saturating_add(i as i64)))
            .collect()
    }

    /// Inserts or replaces the record of one version.
    pub async fn upsert(&self, record: &MigrationRecord, session: Option<&mut ClientSession>) -> Result<()> {
        let document = record_to_document(record)?;
        // Keyed by `_id`: servers such as FerretDB use no other index for an update's filter.
        let filter = doc! { "_id": record.version.key_text() };
        let collection = self.migrations();
        let action = collection.replace_one(filter, document).upsert(true);
        match session {
            Some(session) => action.session(session).await,
            None => action.await,
        }
        .map_err(|e| server("recording the migration", &e))?;
        Ok(())
    }

    /// Inserts or replaces the records of several versions in one command (a group of
    /// migrations committed together).
    pub async fn upsert_all(&self, records: &[MigrationRecord], session: &mut ClientSession) -> Result<()> {
        let mut updates = Vec::with_capacity(records.len());
        for record in records {
            let id = record.version.key_text();
            updates.push(doc! { "q": { "_id": &id }, "u": record_to_document(record)?, "upsert": true });
        }
        let command = doc! { "update": &self.names.migrations, "updates": updates, "ordered": true };
        let reply =
            self.db.run_command(command).session(session).await.map_err(|e| server("recording the migrations", &e))?;
        match reply.get_array("writeErrors").ok().and_then(|errors| errors.first()) {
            Some(Bson::Document(error)) => Err(Error::database(format!(
                "recording the migrations: {}",
                server_failure(
                    error.get_i32("code").unwrap_or(0),
                    error.get_str("codeName").ok(),
                    error.get_str("errmsg").unwrap_or("write error")
                )
            ))),
            _ => Ok(()),
        }
    }

    /// Appends the history entries of several migrations in one command.
    pub async fn append_all(&self, entries: &[HistoryEntry], session: &mut ClientSession) -> Result<()> {
        let documents = entries.iter().map(history_to_document).collect::<Result<Vec<_>>>()?;
        self.history_collection()
            .insert_many(documents)
            .session(session)
            .await
            .map_err(|e| server("recording the history", &e))?;
        Ok(())
    }

    /// Writes the record of a version that has none yet: an insert, which stays cheap as the
    /// changelog grows where an update by `_id` does not (FerretDB scans for updates). Falls back
    /// to a replace if a record appeared after all.
    pub async fn insert_new(&self, record: &MigrationRecord) -> Result<()> {
        match self.migrations().insert_one(record_to_document(record)?).await {
            Ok(_) => Ok(()),
            Err(error) if is_duplicate_key(&error) => self.upsert(record, None).await,
            Err(error) => Err(server("recording the migration", &error)),
        }
    }

    /// Appends one history entry.
    pub async fn append(&self, entry: &HistoryEntry, session: Option<&mut ClientSession>) -> Result<()> {
        let document = history_to_document(entry)?;
        let collection = self.history_collection();
        let action = collection.insert_one(document);
        match session {
            Some(session) => action.session(session).await,
            None => action.await,
        }
        .map_err(|e| server("recording the history", &e))?;
        Ok(())
    }
}

/// Every document of a collection; an error says what was being done.
async fn every_document(collection: &Collection<Document>, doing: &str) -> Result<Vec<Document>> {
    let cursor = collection.find(doc! {}).await.map_err(|e| server(doing, &e))?;
    cursor.try_collect().await.map_err(|e| server(doing, &e))
}

/// The changelog's records with the `running` markers of migrations under way (or interrupted)
/// in their place where a marker is newer.
fn with_markers(mut records: Vec<MigrationRecord>, markers: Vec<MigrationRecord>) -> Result<Vec<MigrationRecord>> {
    for marker in markers {
        match records.iter_mut().find(|r| r.version == marker.version) {
            // The changelog was written after the marker: the migration finished; the marker
            // outlived a crash between the two writes.
            Some(existing) if millis(&existing.updated_at) >= millis(&marker.updated_at) => {}
            Some(existing) => *existing = marker,
            None => records.push(marker),
        }
    }
    records.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(records)
}

/// Puts the progress of each unfinished migration's batch loops (its checkpoint document) on its
/// record. A checkpoint beside a finished record is a leftover of a crash before it was forgotten,
/// and is not shown.
/// The checkpoint document is the only source: a record's own copy may be older.
fn with_checkpoints(records: &mut [MigrationRecord], lock_documents: &[Document]) {
    for record in records.iter_mut() {
        if !matches!(record.status, MigrationStatus::Running | MigrationStatus::Failed) {
            continue;
        }
        let document = lock_documents.iter().find(|d| checkpoint_version(d).as_ref() == Some(&record.version));
        record.checkpoint =
            document.and_then(shown_loops).map(|loops| Bson::Document(loops).into_relaxed_extjson().to_string());
    }
}

/// How the `_id` of a running marker in the lock collection starts.
const RUNNING_MARKER: &str = "running";

/// The `_id` of a version's running marker.
fn marker_id(version: &Version) -> String {
    format!("{RUNNING_MARKER}:{version}")
}

/// Whether a lock-collection document is a running marker (`running:<version>`, or the single
/// `running` of earlier versions).
fn is_marker(document: &Document) -> bool {
    document.get_str("_id").is_ok_and(|id| id == RUNNING_MARKER || id.starts_with("running:"))
}

/// Milliseconds of an RFC 3339 time (0 when unreadable), for comparing times written differently.
fn millis(text: &str) -> i64 {
    DateTime::parse_rfc3339_str(text).map(|at| at.timestamp_millis()).unwrap_or(0)
}

fn date(text: &str) -> Result<Bson> {
    DateTime::parse_rfc3339_str(text)
        .map(Bson::DateTime)
        .map_err(|e| Error::database(format!("timestamp {text}: {}", describe_bson(&e))))
}

fn optional_date(text: &Option<String>) -> Result<Bson> {
    text.as_deref().map(date).transpose().map(|d| d.unwrap_or(Bson::Null))
}

fn optional<T: Into<Bson> + Clone>(value: &Option<T>) -> Bson {
    value.clone().map(Into::into).unwrap_or(Bson::Null)
}

fn json_field(text: &Option<String>) -> Result<Bson> {
    match text {
        None => Ok(Bson::Null),
        Some(text) => {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| Error::database(format!("checkpoint or metadata: {e}")))?;
            Bson::try_from(value).map_err(|e| Error::database(format!("checkpoint or metadata: {}", describe_bson(&e))))
        }
    }
}

fn applied_by_document(by: &AppliedBy) -> Document {
    doc! { "host": &by.host, "user": &by.user, "pid": by.pid }
}

fn record_to_document(record: &MigrationRecord) -> Result<Document> {
    Ok(doc! {
        // The key whatever way it was written (`1.2` for `1.2.0`); `version` as written.
        "_id": record.version.key_text(),
        "version": record.version.to_string(),
        "name": &record.name,
        "description": optional(&record.description),
        "status": record.status.as_str(),
        "appliedAt": optional_date(&record.applied_at)?,
        "rolledBackAt": optional_date(&record.rolled_back_at)?,
        "executionTime": optional(&record.execution_time),
        "error": optional(&record.error),
        "partial": record.partial,
        "reversible": record.reversible,
        "checksum": &record.checksum,
        "batch": record.batch,
        "appliedBy": applied_by_document(&record.applied_by),
        "checkpoint": json_field(&record.checkpoint)?,
        "metadata": json_field(&record.metadata)?,
        "createdAt": date(&record.created_at)?,
        "updatedAt": date(&record.updated_at)?,
    })
}

fn history_to_document(entry: &HistoryEntry) -> Result<Document> {
    Ok(doc! {
        "version": entry.version.to_string(),
        "name": &entry.name,
        "action": entry.action.as_str(),
        "status": entry.status.as_str(),
        "at": date(&entry.at)?,
        "executionTime": optional(&entry.execution_time),
        "error": optional(&entry.error),
        "checksum": optional(&entry.checksum),
        "batch": optional(&entry.batch),
        "appliedBy": applied_by_document(&entry.applied_by),
    })
}

/// Text of an optional string field.
fn text(document: &Document, key: &str) -> Option<String> {
    document.get_str(key).ok().map(str::to_owned)
}

/// A date (or a string, as other tools wrote them) as RFC 3339.
fn date_text(document: &Document, key: &str) -> Option<String> {
    match document.get(key) {
        Some(Bson::DateTime(at)) => at.try_to_rfc3339_string().ok(),
        Some(Bson::String(text)) => Some(text.clone()),
        _ => None,
    }
}

fn integer(document: &Document, key: &str) -> Option<i64> {
    match document.get(key) {
        Some(Bson::Int64(n)) => Some(*n),
        Some(Bson::Int32(n)) => Some(i64::from(*n)),
        Some(Bson::Double(n)) => Some(*n as i64),
        _ => None,
    }
}

fn json_text(document: &Document, key: &str) -> Option<String> {
    match document.get(key) {
        None | Some(Bson::Null) => None,
        Some(value) => Some(value.clone().into_relaxed_extjson().to_string()),
    }
}

fn applied_by_from(document: &Document) -> AppliedBy {
    let by = document.get_document("appliedBy").cloned().unwrap_or_default();
    AppliedBy {
        host: text(&by, "host").unwrap_or_default(),
        user: text(&by, "user").unwrap_or_default(),
        pid: integer(&by, "pid").unwrap_or_default(),
    }
}

fn version_of(document: &Document) -> Result<Version> {
    let raw = match document.get("version") {
        Some(Bson::String(text)) => text.clone(),
        Some(other) => integer(document, "version").map(|n| n.to_string()).unwrap_or_else(|| other.to_string()),
        None => String::new(),
    };
    Version::parse(&raw).map_err(|why| Error::database(format!("changelog document with a bad version: {why}")))
}

fn record_from_document(document: &Document) -> Result<MigrationRecord> {
    let now = mongrate_core::timestamp::now_rfc3339();
    Ok(MigrationRecord {
        version: version_of(document)?,
        name: text(document, "name").unwrap_or_default(),
        description: text(document, "description"),
        status: text(document, "status")
            .unwrap_or_default()
            .parse()
            .map_err(|why| Error::database(format!("changelog field status: {why}")))?,
        applied_at: date_text(document, "appliedAt"),
        rolled_back_at: date_text(document, "rolledBackAt"),
        execution_time: integer(document, "executionTime"),
        error: text(document, "error"),
        partial: document.get_bool("partial").unwrap_or(false),
        reversible: document.get_bool("reversible").unwrap_or(false),
        checksum: text(document, "checksum").unwrap_or_default(),
        batch: integer(document, "batch").unwrap_or_default(),
        applied_by: applied_by_from(document),
        checkpoint: json_text(document, "checkpoint"),
        metadata: json_text(document, "metadata"),
        created_at: date_text(document, "createdAt").unwrap_or_else(|| now.clone()),
        updated_at: date_text(document, "updatedAt").unwrap_or(now),
    })
}

fn history_from_document(document: &Document, position: i64) -> Result<HistoryEntry> {
    Ok(HistoryEntry {
        // ObjectIds are not numbers: the id shown is the entry's position from the newest.
        id: position.saturating_add(1),
        version: version_of(document)?,
        name: text(document, "name").unwrap_or_default(),
        action: text(document, "action")
            .unwrap_or_default()
            .parse()
            .map_err(|why| Error::database(format!("history field action: {why}")))?,
        status: text(document, "status").unwrap_or_default().parse().map_err(Error::database)?,
        at: date_text(document, "at").unwrap_or_default(),
        execution_time: integer(document, "executionTime"),
        error: text(document, "error"),
        checksum: text(document, "checksum"),
        batch: integer(document, "batch"),
        applied_by: applied_by_from(document),
    })
}
