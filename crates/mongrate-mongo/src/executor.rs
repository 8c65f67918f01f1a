//! Carrying out declarative operations, and previewing them for a dry-run.

use bson::{Bson, Document, doc};
use mongodb::{ClientSession, Database};
use mongrate_core::{Error, Result};

use crate::batched::{PageWrite, PagedLoop, Throttle};
use crate::bson_value::{to_bson, to_document, to_filter};
use crate::capabilities::Capabilities;
use crate::checkpoint::{Checkpoints, stored_count};
use crate::document_versions::VersionStep;
use crate::errors::server;
use crate::operation::{Keep, Operation, index_name};
use crate::reply_count::reply_count;

/// How many documents a streaming operation handles per round trip.
const BATCH: usize = 1000;

/// Update statements per `update` command.
pub(crate) const UPDATES_PER_COMMAND: usize = 50;

/// Runs operations against one database; with a session, the data operations run in it (the
/// caller's transaction).
pub struct Executor<'a> {
    pub db: &'a Database,
    pub capabilities: &'a Capabilities,
    pub session: Option<tokio::sync::Mutex<&'a mut ClientSession>>,
}

fn invalid(operation: &Operation, why: String) -> Error {
    Error::validation(format!("{}: {why}", operation.name()))
}

/// An `insertMany`'s documents as BSON; a value that is not valid extended JSON names the field.
fn documents_of(operation: &Operation, op: &crate::operation::InsertMany) -> Result<Vec<Document>> {
    op.documents
        .iter()
        .map(to_document)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|w| invalid(operation, format!("`documents`: {w}")))
}

/// `filter` with `field` required to exist (or not).
fn with_existence(filter: Document, field: &str, exists: bool) -> Document {
    let mut filter = filter;
    filter.insert(field, doc! { "$exists": exists });
    filter
}

/// The value at a dotted path.
pub(crate) fn value_at<'d>(document: &'d Document, path: &str) -> Option<&'d Bson> {
    let mut current = document;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let value = current.get(part)?;
        if parts.peek().is_none() {
            return Some(value);
        }
        current = value.as_document()?;
    }
    None
}

impl Executor<'_> {
    /// Runs a command, in the session when there is one.
    pub(crate) async fn command(&self, db: &Database, command: Document) -> mongodb::error::Result<Document> {
        match &self.session {
            Some(session) => {
                let mut session = session.lock().await;
                db.run_command(command).session(&mut **session).await
            }
            None => db.run_command(command).await,
        }
    }

    /// Calls `visit` with every document a `find` command returns, in the session when there is one.
    pub(crate) async fn scan(&self, find: Document, mut visit: impl FnMut(Document)) -> mongodb::error::Result<()> {
        match &self.session {
            Some(session) => {
                let mut session = session.lock().await;
                let session = &mut **session;
                let mut cursor = self.db.run_cursor_command(find).session(&mut *session).await?;
                while cursor.advance(session).await? {
                    visit(cursor.deserialize_current()?);
                }
            }
            None => {
                let mut cursor = self.db.run_cursor_command(find).await?;
                while cursor.advance().await? {
                    visit(cursor.deserialize_current()?);
                }
            }
        }
        Ok(())
    }

    /// A write command whose write errors are failures; returns its reply.
    pub(crate) async fn write(&self, command: Document) -> Result<Document> {
        let reply = self.command(self.db, command).await.map_err(|e| Error::migration(crate::errors::describe(&e)))?;
        check_write_errors(&reply)?;
        Ok(reply)
    }

    fn filter_of(&self, operation: &Operation, value: Option<&serde_json::Value>) -> Result<Document> {
        to_filter(value).map_err(|why| invalid(operation, format!("`filter`: {why}")))
    }

    /// A one-line description, for progress and dry-run reports.
    pub fn describe(operation: &Operation) -> String {
        match operation {
            Operation::CreateCollection(op) => format!("createCollection {}", op.collection),
            Operation::DropCollection(op) => format!("dropCollection {}", op.collection),
            Operation::RenameCollection(op) => format!("renameCollection {} → {}", op.from, op.to),
            Operation::CreateIndex(op) => format!("createIndex {} {} ({})", op.collection, op.keys, index_name(op)),
            Operation::DropIndex(op) => format!("dropIndex {} {}", op.collection, op.name),
            Operation::AddField(op) => format!("addField {}.{} = {}", op.collection, op.field, op.value),
            Operation::RemoveField(op) => format!("removeField {}.{}", op.collection, op.field),
            Operation::RenameField(op) => format!("renameField {}: {} → {}", op.collection, op.from, op.to),
            Operation::CopyField(op) => format!("copyField {}: {} → {}", op.collection, op.from, op.to),
            Operation::UpdateMany(op) => format!("updateMany {}", op.collection),
            Operation::InsertMany(op) => format!("insertMany {} ({} documents)", op.collection, op.documents.len()),
            Operation::DeleteMany(op) => format!("deleteMany {} {}", op.collection, op.filter),
            Operation::Archive(op) => format!("archive {} → {} {}", op.collection, op.to, op.filter),
            Operation::RemoveDuplicates(op) => format!("removeDuplicates {} by {}", op.collection, op.keys.join(", ")),
            Operation::SetSchemaVersion(op) => {
                format!("setSchemaVersion {}.{}: {} → {}", op.collection, op.field, op.from, op.to)
            }
            Operation::SetValidator(op) => format!("setValidator {}", op.collection),
            Operation::Command(op) => format!("command {}", op.command),
            Operation::VersionStep(step) => format!("documents {}", step.describe()),
        }
    }

    /// Runs one operation; returns the documents it changed where that means something.
    pub async fn run(&self, operation: &Operation) -> Result<Option<u64>> {
        let db = self.db;
        // The caller names the file and the operation; the message is the server's.
        let fail = |e: mongodb::error::Error| Error::migration(crate::errors::describe(&e));
        Ok(match operation {
            Operation::CreateCollection(op) => {
                let mut command = doc! { "create": &op.collection };
                if let Some(options) = &op.options {
                    command.extend(to_document(options).map_err(|w| invalid(operation, format!("`options`: {w}")))?);
                }
                db.run_command(command).await.map_err(fail)?;
                None
            }
            Operation::DropCollection(op) => {
                db.collection::<Document>(&op.collection).drop().await.map_err(fail)?;
                None
            }
            Operation::RenameCollection(op) => {
                let name = db.name();
                let command =
                    doc! { "renameCollection": format!("{name}.{}", op.from), "to": format!("{name}.{}", op.to) };
                db.client().database("admin").run_command(command).await.map_err(fail)?;
                None
            }
            Operation::CreateIndex(op) => {
                let mut index = doc! {
                    "key": to_document(&op.keys).map_err(|w| invalid(operation, format!("`keys`: {w}")))?,
                    "name": index_name(op),
                };
                if let Some(options) = &op.options {
                    index.extend(to_document(options).map_err(|w| invalid(operation, format!("`options`: {w}")))?);
                }
                db.run_command(doc! { "createIndexes": &op.collection, "indexes": [index] }).await.map_err(fail)?;
                None
            }
            Operation::DropIndex(op) => {
                db.run_command(doc! { "dropIndexes": &op.collection, "index": &op.name }).await.map_err(fail)?;
                None
            }
            Operation::AddField(op) => {
                let value = to_bson(&op.value).map_err(|w| invalid(operation, format!("`value`: {w}")))?;
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.field, false);
                let update = doc! { "$set": { &op.field: value } };
                self.update_many(&op.collection, filter, update).await?
            }
            Operation::RemoveField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.field, true);
                let update = doc! { "$unset": { &op.field: "" } };
                self.update_many(&op.collection, filter, update).await?
            }
            Operation::RenameField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.from, true);
                let update = doc! { "$rename": { &op.from: &op.to } };
                self.update_many(&op.collection, filter, update).await?
            }
            Operation::CopyField(_) => self.run_in_batches(operation, None).await?,
            Operation::UpdateMany(op) => {
                let filter = self.filter_of(operation, op.filter.as_ref())?;
                let update = to_bson(&op.update).map_err(|w| invalid(operation, format!("`update`: {w}")))?;
                if matches!(update, Bson::Array(_)) && !self.capabilities.update_pipelines {
                    return Err(self.capabilities.unsupported("updateMany with a pipeline"));
                }
                let command =
                    doc! { "update": &op.collection, "updates": [{ "q": filter, "u": update, "multi": true }] };
                Some(reply_count(&self.write(command).await?, "nModified"))
            }
            Operation::InsertMany(op) => {
                let documents = documents_of(operation, op)?;
                let mut inserted = 0u64;
                for chunk in documents.chunks(BATCH) {
                    let command = doc! { "insert": &op.collection, "documents": chunk.to_vec(), "ordered": true };
                    inserted = inserted.saturating_add(reply_count(&self.write(command).await?, "n"));
                }
                Some(inserted)
            }
            Operation::DeleteMany(op) => {
                let filter = self.filter_of(operation, Some(&op.filter))?;
                let command = doc! { "delete": &op.collection, "deletes": [{ "q": filter, "limit": 0 }] };
                Some(reply_count(&self.write(command).await?, "n"))
            }
            Operation::Archive(_) => self.run_in_batches(operation, None).await?,
            Operation::RemoveDuplicates(op) => {
                Some(self.remove_duplicates(&op.collection, &op.keys, op.keep).await.map_err(fail)?)
            }
            Operation::SetSchemaVersion(op) => {
                let from = to_bson(&op.from).map_err(|w| invalid(operation, format!("`from`: {w}")))?;
                let to = to_bson(&op.to).map_err(|w| invalid(operation, format!("`to`: {w}")))?;
                let filter = doc! { &op.field: from };
                let update = doc! { "$set": { &op.field: to } };
                self.update_many(&op.collection, filter, update).await?
            }
            Operation::SetValidator(op) => {
                let mut command = doc! {
                    "collMod": &op.collection,
                    "validator": to_document(&op.validator).map_err(|w| invalid(operation, format!("`validator`: {w}")))?,
                };
                if let Some(level) = &op.validation_level {
                    command.insert("validationLevel", level);
                }
                if let Some(action) = &op.validation_action {
                    command.insert("validationAction", action);
                }
                db.run_command(command).await.map_err(fail)?;
                None
            }
            // copyField's values are read a page at a time, so a step with copies runs in pages.
            Operation::VersionStep(step) if !step.copies.is_empty() => self.run_in_batches(operation, None).await?,
            Operation::VersionStep(step) => {
                let (filter, update) = self.version_step(operation, step)?;
                let command =
                    doc! { "update": &step.collection, "updates": [{ "q": filter, "u": update, "multi": true }] };
                Some(reply_count(&self.write(command).await?, "nModified"))
            }
            Operation::Command(op) => {
                let command = to_document(&op.command).map_err(|w| invalid(operation, format!("`command`: {w}")))?;
                let target =
                    op.database.as_deref().map(|name| db.client().database(name)).unwrap_or_else(|| db.clone());
                target.run_command(command).await.map_err(fail)?;
                None
            }
        })
    }

    /// Runs a data operation a page at a time (see [`crate::batched`]), with its batch options,
    /// checkpointed as loop `index` of `checkpoints` when given; returns the documents it changed.
    pub async fn run_in_batches(
        &self,
        operation: &Operation,
        checkpoints: Option<(&Checkpoints, usize)>,
    ) -> Result<Option<u64>> {
        let fail = |e: mongodb::error::Error| Error::migration(crate::errors::describe(&e));
        let batching = operation.batching().unwrap_or_default();
        let throttle = Throttle::new(batching.pause_ms, batching.max_per_second);
        let (collection, filter, write) = match operation {
            Operation::AddField(op) => {
                let value = to_bson(&op.value).map_err(|w| invalid(operation, format!("`value`: {w}")))?;
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.field, false);
                (
                    &op.collection,
                    filter,
                    PageWrite::Update { update: doc! { "$set": { &op.field: value } }.into(), idempotent: true },
                )
            }
            Operation::RemoveField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.field, true);
                (
                    &op.collection,
                    filter,
                    PageWrite::Update { update: doc! { "$unset": { &op.field: "" } }.into(), idempotent: true },
                )
            }
            Operation::RenameField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.from, true);
                (
                    &op.collection,
                    filter,
                    PageWrite::Update { update: doc! { "$rename": { &op.from: &op.to } }.into(), idempotent: true },
                )
            }
            Operation::SetSchemaVersion(op) => {
                let from = to_bson(&op.from).map_err(|w| invalid(operation, format!("`from`: {w}")))?;
                let to = to_bson(&op.to).map_err(|w| invalid(operation, format!("`to`: {w}")))?;
                (
                    &op.collection,
                    doc! { &op.field: from },
                    PageWrite::Update { update: doc! { "$set": { &op.field: to } }.into(), idempotent: true },
                )
            }
            Operation::UpdateMany(op) => {
                let filter = self.filter_of(operation, op.filter.as_ref())?;
                let update = to_bson(&op.update).map_err(|w| invalid(operation, format!("`update`: {w}")))?;
                if matches!(update, Bson::Array(_)) && !self.capabilities.update_pipelines {
                    return Err(self.capabilities.unsupported("updateMany with a pipeline"));
                }
                (&op.collection, filter, PageWrite::Update { update, idempotent: false })
            }
            Operation::DeleteMany(op) => {
                (&op.collection, self.filter_of(operation, Some(&op.filter))?, PageWrite::Delete)
            }
            Operation::CopyField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.from, true);
                (&op.collection, filter, PageWrite::Copy { from: op.from.clone(), to: op.to.clone() })
            }
            Operation::Archive(op) => {
                let filter = self.filter_of(operation, Some(&op.filter))?;
                let paged = PagedLoop {
                    collection: &op.collection,
                    filter,
                    write: PageWrite::Archive { to: op.to.clone() },
                    size: batching.size(),
                    throttle,
                    checkpoints,
                };
                let moved = self.run_paged(&paged).await?;
                let source = self.db.collection::<Document>(&op.collection);
                if op.drop_if_empty && source.count_documents(doc! {}).await.map_err(fail)? == 0 {
                    source.drop().await.map_err(fail)?;
                }
                return Ok(Some(moved));
            }
            Operation::InsertMany(op) => {
                return self.insert_in_batches(operation, op, batching, throttle, checkpoints).await;
            }
            // Each write matches the document at `from` and sets `to`: a page cut short is
            // found again, without the documents it moved.
            Operation::VersionStep(step) => {
                let (filter, update) = self.version_step(operation, step)?;
                let write = match update {
                    Bson::Document(update) if !step.copies.is_empty() => {
                        PageWrite::Versioned { update, copies: step.copies.clone() }
                    }
                    update => PageWrite::Update { update, idempotent: true },
                };
                (&step.collection, filter, write)
            }
            // The others take no batch options (`Operation::batching`): they run whole.
            _ => return Err(invalid(operation, "runs whole, not in batches".to_owned())),
        };
        let paged = PagedLoop { collection, filter, write, size: batching.size(), throttle, checkpoints };
        Ok(Some(self.run_paged(&paged).await?))
    }

    /// `insertMany` a batch of the file's documents at a time; a batch cut short is inserted
    /// again with the documents already there skipped (duplicate `_id`s).
    async fn insert_in_batches(
        &self,
        operation: &Operation,
        op: &crate::operation::InsertMany,
        batching: crate::operation::Batching,
        throttle: Throttle,
        checkpoints: Option<(&Checkpoints, usize)>,
    ) -> Result<Option<u64>> {
        let documents = documents_of(operation, op)?;
        let state = checkpoints.and_then(|(c, index)| c.state(index));
        let done = state.and_then(|s| s.get("processed")).and_then(stored_count).unwrap_or(0);
        let mut inserted = usize::try_from(done).unwrap_or(usize::MAX);
        let size = batching.size();
        while inserted < documents.len() {
            if let Some((c, _)) = checkpoints {
                c.ensure_lease()?;
            }
            let chunk = &documents[inserted..(inserted + size).min(documents.len())];
            let command = doc! { "insert": &op.collection, "documents": chunk.to_vec(), "ordered": false };
            let reply =
                self.command(self.db, command).await.map_err(|e| Error::migration(crate::errors::describe(&e)))?;
            if !only_duplicate_keys(&reply) {
                check_write_errors(&reply)?;
            }
            inserted += chunk.len();
            if let Some((c, index)) = checkpoints {
                c.save(index, doc! { "processed": inserted as i64, "modified": inserted as i64 }, None).await?;
            }
            if inserted < documents.len() {
                throttle.before_next((inserted + size) as u64).await;
            }
        }
        if let Some((c, index)) = checkpoints {
            c.save(index, doc! { "processed": inserted as i64, "modified": inserted as i64, "done": true }, None)
                .await?;
        }
        Ok(Some(inserted as u64))
    }

    /// A version step's filter (documents at `from`) and whole update; a pipeline needs a
    /// server that has them.
    fn version_step(&self, operation: &Operation, step: &VersionStep) -> Result<(Document, Bson)> {
        let filter = step.filter().map_err(|w| invalid(operation, format!("`from`: {w}")))?;
        let update = step.full_update().map_err(|w| invalid(operation, w))?;
        if matches!(update, Bson::Array(_)) && !self.capabilities.update_pipelines {
            return Err(self.capabilities.unsupported("updateMany with a pipeline"));
        }
        Ok((filter, update))
    }

    /// `updateMany`, returning the documents it changed.
    async fn update_many(&self, collection: &str, filter: Document, update: Document) -> Result<Option<u64>> {
        let command = doc! { "update": collection, "updates": [{ "q": filter, "u": update, "multi": true }] };
        Ok(Some(reply_count(&self.write(command).await?, "nModified")))
    }

    /// The next page of documents in `_id` order after `after`. Each page is read whole before
    /// anything is written: a cursor left open while writing to the same collection deadlocks
    /// some servers (FerretDB's SQLite backend), and pages keep memory flat.
    pub(crate) async fn next_page(
        &self,
        collection: &str,
        filter: &Document,
        after: Option<&Bson>,
        projection: Option<Document>,
        limit: usize,
    ) -> mongodb::error::Result<Vec<Document>> {
        let mut page_filter = filter.clone();
        if let Some(after) = after {
            page_filter = doc! { "$and": [page_filter, { "_id": { "$gt": after.clone() } }] };
        }
        // One more than the limit: the whole page arrives in the first reply with the cursor
        // closed, so no getMore is needed (FerretDB can hang on one after a full batch).
        let mut find = doc! {
            "find": collection,
            "filter": page_filter,
            "sort": { "_id": 1 },
            "limit": limit as i64,
            "batchSize": limit as i64 + 1,
        };
        if let Some(projection) = projection {
            find.insert("projection", projection);
        }
        let reply = self.command(self.db, find).await?;
        let batch = reply
            .get_document("cursor")
            .and_then(|c| c.get_array("firstBatch"))
            .map_err(|e| mongodb::error::Error::custom(format!("a find reply without cursor.firstBatch: {e}")))?;
        Ok(batch.iter().filter_map(|d| d.as_document().cloned()).collect())
    }

    /// Deletes all but one document of each group with equal `keys`. The collection is read in
    /// key order first (memory holds only the `_id`s of duplicates, not the collection), then the
    /// duplicates are deleted in batches once the cursor is closed.
    async fn remove_duplicates(&self, collection: &str, keys: &[String], keep: Keep) -> mongodb::error::Result<u64> {
        let mut sort = Document::new();
        let mut projection = doc! { "_id": 1 };
        for key in keys {
            sort.insert(key, 1);
            projection.insert(key, 1);
        }
        sort.insert("_id", if keep == Keep::First { 1 } else { -1 });
        let mut doomed = Vec::new();
        let mut previous: Option<Vec<Option<Bson>>> = None;
        let find = doc! { "find": collection, "filter": {}, "sort": sort, "projection": projection, "batchSize": BATCH as i64 };
        self.scan(find, |document| {
            let key: Vec<Option<Bson>> = keys.iter().map(|k| value_at(&document, k).cloned()).collect();
            if previous.as_ref() == Some(&key) {
                doomed.extend(document.get("_id").cloned());
            } else {
                previous = Some(key);
            }
        })
        .await?;
        let mut removed = 0u64;
        for chunk in doomed.chunks(BATCH) {
            let delete =
                doc! { "delete": collection, "deletes": [{ "q": { "_id": { "$in": chunk.to_vec() } }, "limit": 0 }] };
            removed = removed.saturating_add(reply_count(&self.command(self.db, delete).await?, "n"));
        }
        Ok(removed)
    }

    /// What an operation would touch, without writing anything.
    pub async fn preview(&self, operation: &Operation) -> Result<(Option<u64>, Option<String>)> {
        let db = self.db;
        let doing = format!("previewing {}", Self::describe(operation));
        let fail = |e: mongodb::error::Error| server(&doing, &e);
        let count_where = async |collection: &str, filter: Document| -> Result<Option<u64>> {
            Ok(Some(db.collection::<Document>(collection).count_documents(filter).await.map_err(fail)?))
        };
        Ok(match operation {
            Operation::AddField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.field, false);
                (count_where(&op.collection, filter).await?, Some(format!("adds field {}", op.field)))
            }
            Operation::RemoveField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.field, true);
                (count_where(&op.collection, filter).await?, Some(format!("removes field {}", op.field)))
            }
            Operation::RenameField(op) | Operation::CopyField(op) => {
                let filter = with_existence(self.filter_of(operation, op.filter.as_ref())?, &op.from, true);
                (count_where(&op.collection, filter).await?, Some(format!("fields {} → {}", op.from, op.to)))
            }
            Operation::UpdateMany(op) => {
                let filter = self.filter_of(operation, op.filter.as_ref())?;
                (count_where(&op.collection, filter).await?, None)
            }
            Operation::DeleteMany(op) => {
                (count_where(&op.collection, self.filter_of(operation, Some(&op.filter))?).await?, None)
            }
            Operation::Archive(op) => {
                (count_where(&op.collection, self.filter_of(operation, Some(&op.filter))?).await?, None)
            }
            Operation::SetSchemaVersion(op) => {
                let from = to_bson(&op.from).map_err(|w| invalid(operation, format!("`from`: {w}")))?;
                (count_where(&op.collection, doc! { &op.field: from }).await?, None)
            }
            Operation::DropCollection(op) => {
                (count_where(&op.collection, doc! {}).await?, Some("documents dropped".into()))
            }
            Operation::VersionStep(step) => {
                let filter = step.filter().map_err(|w| invalid(operation, format!("`from`: {w}")))?;
                let moves = format!(
                    "moves them from {} {} to {}",
                    step.field,
                    crate::document_versions::shown(&step.from),
                    crate::document_versions::shown(&step.to)
                );
                (count_where(&step.collection, filter).await?, Some(moves))
            }
            Operation::InsertMany(op) => (Some(op.documents.len() as u64), None),
            Operation::RemoveDuplicates(op) => (None, Some(format!("keeps one document per {}", op.keys.join(", ")))),
            Operation::Command(_) => (None, Some("not run in a dry-run".into())),
            Operation::CreateCollection(_)
            | Operation::RenameCollection(_)
            | Operation::CreateIndex(_)
            | Operation::DropIndex(_)
            | Operation::SetValidator(_) => (None, None),
        })
    }
}

/// Whether every write error of a reply is a duplicate key (a document moved before a crash).
pub(crate) fn only_duplicate_keys(reply: &Document) -> bool {
    reply.get_array("writeErrors").is_ok_and(|errors| {
        errors.iter().all(|e| e.as_document().is_some_and(|e| matches!(e.get("code"), Some(Bson::Int32(11000)))))
    })
}

/// A write command answers `ok: 1` even when its writes failed; the failures are in `writeErrors`.
pub(crate) fn check_write_errors(reply: &Document) -> Result<()> {
    match reply.get_array("writeErrors") {
        Ok(errors) if !errors.is_empty() => {
            let first = errors[0].as_document().and_then(|e| e.get_str("errmsg").ok()).unwrap_or("write error");
            Err(Error::migration(first.to_owned()))
        }
        _ => Ok(()),
    }
}
