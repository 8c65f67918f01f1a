//! Declarative data operations a page of documents at a time, in `_id` order: copyField and
//! archive always (they move documents through the client), and every data operation that gives
//! `batchSize`, `pauseMs` or `maxPerSecond`, throttled, with its progress checkpointed after each
//! page so that a stopped run resumes after the last page written, as JavaScript batch loops do.
//!
//! A page cut short is written again on resume. That changes nothing twice for the operations
//! whose filter excludes what they already did (addField, removeField, renameField,
//! setSchemaVersion, a versioned migration's step), deletes, copyField (`$set` of the same value) and archive (a document
//! already moved is a duplicate key). An `updateMany` may not be (`$inc`): its page is first
//! saved as pending with each document's fingerprint, and a resumed run updates only the
//! documents of that page that are still as they were.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bson::{Bson, Document, doc};
use mongrate_core::{Error, Result};

use crate::checkpoint::{Checkpoints, fingerprint, stored_count};
use crate::executor::{Executor, check_write_errors, only_duplicate_keys, value_at};
use crate::reply_count::reply_count;

/// What each page of a loop writes.
pub enum PageWrite {
    /// An update of the page's `_id` range on the server; `idempotent` when its filter excludes
    /// the documents it already changed.
    Update { update: Bson, idempotent: bool },
    /// A delete of the page's `_id` range.
    Delete,
    /// `$set` of `to` to each document's `from`.
    Copy { from: String, to: String },
    /// The page's documents inserted into `to`, then deleted.
    Archive { to: String },
    /// A version step with copies: one update per document, matching it at its old version,
    /// with `update` (which sets the new one) and each `(from, to)` copy of its values.
    Versioned { update: Document, copies: Vec<(String, String)> },
}

impl PageWrite {
    /// The documents' fields the page needs to read: `None` for all of them.
    fn projection(&self) -> Option<Document> {
        match self {
            PageWrite::Update { idempotent: false, .. } | PageWrite::Archive { .. } => None,
            PageWrite::Update { idempotent: true, .. } | PageWrite::Delete => Some(doc! { "_id": 1 }),
            PageWrite::Copy { from, .. } => Some(doc! { "_id": 1, from: 1 }),
            PageWrite::Versioned { copies, .. } => {
                // One path of each nested pair: the server refuses both `a` and `a.b`.
                let mut sources: Vec<&String> = copies.iter().map(|(from, _)| from).collect();
                sources.sort_by_key(|from| from.len());
                let mut projection = doc! { "_id": 1 };
                for from in sources {
                    let inside = projection.keys().any(|kept| from == kept || from.starts_with(&format!("{kept}.")));
                    if !inside {
                        projection.insert(from.as_str(), 1);
                    }
                }
                Some(projection)
            }
        }
    }

    fn fingerprinted(&self) -> bool {
        matches!(self, PageWrite::Update { idempotent: false, .. })
    }
}

/// A loop's pace: `pauseMs` between pages, at most `maxPerSecond` documents a second.
pub struct Throttle {
    pause: Duration,
    max_per_second: Option<u32>,
    started: Instant,
}

impl Throttle {
    pub fn new(pause_ms: Option<u64>, max_per_second: Option<u32>) -> Self {
        Throttle {
            pause: Duration::from_millis(pause_ms.unwrap_or(0)),
            max_per_second: max_per_second.filter(|n| *n > 0),
            started: Instant::now(),
        }
    }

    /// Waits before the next page, so that the `processed` documents (those done this run and
    /// the next page's) are not ahead of the rate.
    pub async fn before_next(&self, processed: u64) {
        let mut wait = self.pause;
        if let Some(rate) = self.max_per_second {
            let due = Duration::from_secs_f64(processed as f64 / f64::from(rate));
            wait = wait.max(due.saturating_sub(self.started.elapsed()));
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Where a loop stands (what its checkpoint holds).
#[derive(Debug, Default)]
struct Progress {
    last_id: Option<Bson>,
    processed: u64,
    modified: u64,
}

impl Progress {
    fn from_state(state: Option<&Document>) -> Self {
        let count = |key: &str| state.and_then(|s| s.get(key)).and_then(stored_count).unwrap_or(0);
        Progress {
            last_id: state.and_then(|s| s.get("lastId")).cloned(),
            processed: count("processed"),
            modified: count("modified"),
        }
    }

    fn state(&self) -> Document {
        let mut state = doc! { "processed": self.processed as i64, "modified": self.modified as i64 };
        if let Some(last) = &self.last_id {
            state.insert("lastId", last.clone());
        }
        state
    }
}

/// One loop: the collection, its filter, what each page writes, and where progress goes.
pub struct PagedLoop<'a> {
    pub collection: &'a str,
    pub filter: Document,
    pub write: PageWrite,
    pub size: usize,
    pub throttle: Throttle,
    /// The migration's checkpoints and this loop's place among them.
    pub checkpoints: Option<(&'a Checkpoints, usize)>,
}

impl PagedLoop<'_> {
    async fn save(&self, progress: &Progress, extra: Document) -> Result<()> {
        if let Some((checkpoints, index)) = self.checkpoints {
            let mut state = progress.state();
            state.extend(extra);
            checkpoints.save(index, state, None).await?;
        }
        Ok(())
    }

    fn ensure_lease(&self) -> Result<()> {
        self.checkpoints.map_or(Ok(()), |(checkpoints, _)| checkpoints.ensure_lease())
    }
}

/// `filter` limited to the `_id`s after `after` up to `last`.
fn in_range(filter: &Document, after: Option<&Bson>, last: &Bson) -> Document {
    let mut range = doc! { "$lte": last.clone() };
    if let Some(after) = after {
        range.insert("$gt", after.clone());
    }
    doc! { "$and": [filter.clone(), { "_id": range }] }
}

impl Executor<'_> {
    /// Runs the loop to its end (or from where its checkpoint stopped); returns the documents
    /// it changed (moved, for an archive).
    pub async fn run_paged(&self, paged: &PagedLoop<'_>) -> Result<u64> {
        let fail = |e: mongodb::error::Error| Error::migration(crate::errors::describe(&e));
        let stored = paged.checkpoints.and_then(|(checkpoints, index)| checkpoints.state(index));
        if stored.is_some_and(|s| s.get_bool("done").unwrap_or(false)) {
            return Ok(Progress::from_state(stored).modified);
        }
        let mut progress = Progress::from_state(stored);
        if stored.is_none() {
            // Recorded before the first page is written: a run stopped from here on is resumed
            // (from the start, which every page write allows), not left for the user to judge.
            paged.save(&progress, Document::new()).await?;
        }
        if let Some(pending) = stored.and_then(|s| s.get_document("pending").ok()) {
            self.settle_pending(paged, &mut progress, pending).await?;
        }
        let resumed_from = progress.processed;
        loop {
            paged.ensure_lease()?;
            let page = self
                .next_page(
                    paged.collection,
                    &paged.filter,
                    progress.last_id.as_ref(),
                    paged.write.projection(),
                    paged.size,
                )
                .await
                .map_err(fail)?;
            let Some(last) = page.last().and_then(|d| d.get("_id")).cloned() else { break };
            if paged.write.fingerprinted() {
                paged.save(&progress, pending_of(&page, &last)).await?;
            }
            let changed = self.write_page(paged, &page, progress.last_id.as_ref(), &last).await?;
            progress.processed = progress.processed.saturating_add(page.len() as u64);
            progress.modified = progress.modified.saturating_add(changed);
            progress.last_id = Some(last);
            let full = page.len() >= paged.size;
            if full {
                paged.save(&progress, Document::new()).await?;
                paged.throttle.before_next(progress.processed - resumed_from + paged.size as u64).await;
            } else {
                break;
            }
        }
        paged.save(&progress, doc! { "done": true }).await?;
        Ok(progress.modified)
    }

    /// Writes one page; returns the documents it changed.
    async fn write_page(
        &self,
        paged: &PagedLoop<'_>,
        page: &[Document],
        after: Option<&Bson>,
        last: &Bson,
    ) -> Result<u64> {
        let collection = paged.collection;
        let fail = |e: mongodb::error::Error| Error::migration(crate::errors::describe(&e));
        match &paged.write {
            PageWrite::Update { update, .. } => {
                let q = in_range(&paged.filter, after, last);
                let command =
                    doc! { "update": collection, "updates": [{ "q": q, "u": update.clone(), "multi": true }] };
                Ok(reply_count(&self.write(command).await?, "nModified"))
            }
            PageWrite::Delete => {
                let q = in_range(&paged.filter, after, last);
                let command = doc! { "delete": collection, "deletes": [{ "q": q, "limit": 0 }] };
                Ok(reply_count(&self.write(command).await?, "n"))
            }
            PageWrite::Copy { from, to } => {
                let updates: Vec<Document> = page
                    .iter()
                    .filter_map(|document| {
                        let (id, value) = (document.get("_id")?, value_at(document, from)?);
                        Some(doc! { "q": { "_id": id.clone() }, "u": { "$set": { to: value.clone() } } })
                    })
                    .collect();
                let mut changed = 0u64;
                // Small write commands: FerretDB stops answering an `update` of a hundred statements.
                for chunk in updates.chunks(crate::executor::UPDATES_PER_COMMAND) {
                    let command = doc! { "update": collection, "updates": chunk.to_vec(), "ordered": false };
                    changed = changed
                        .saturating_add(reply_count(&self.command(self.db, command).await.map_err(fail)?, "nModified"));
                }
                Ok(changed)
            }
            PageWrite::Versioned { update, copies } => {
                let updates: Vec<Document> = page
                    .iter()
                    .filter_map(|document| {
                        let mut q = doc! { "_id": document.get("_id")?.clone() };
                        q.extend(paged.filter.clone());
                        Some(doc! { "q": q, "u": with_copies(update, copies, document) })
                    })
                    .collect();
                let mut changed = 0u64;
                for chunk in updates.chunks(crate::executor::UPDATES_PER_COMMAND) {
                    let command = doc! { "update": collection, "updates": chunk.to_vec(), "ordered": true };
                    changed = changed.saturating_add(reply_count(&self.write(command).await?, "nModified"));
                }
                Ok(changed)
            }
            PageWrite::Archive { to } => {
                let ids: Vec<Bson> = page.iter().filter_map(|d| d.get("_id").cloned()).collect();
                let insert = doc! { "insert": to, "documents": page.to_vec(), "ordered": false };
                let reply = self.command(self.db, insert).await.map_err(fail)?;
                if !only_duplicate_keys(&reply) {
                    check_write_errors(&reply)?;
                }
                let delete = doc! { "delete": collection, "deletes": [{ "q": { "_id": { "$in": ids } }, "limit": 0 }] };
                Ok(reply_count(&self.write(delete).await?, "n"))
            }
        }
    }

    /// The page a stopped run was writing: its documents whose fingerprint changed were written
    /// (or are gone); the update runs on the others only.
    async fn settle_pending(&self, paged: &PagedLoop<'_>, progress: &mut Progress, pending: &Document) -> Result<()> {
        let fail = |e: mongodb::error::Error| Error::migration(crate::errors::describe(&e));
        let Some(last) = pending.get("lastId").cloned() else { return Ok(()) };
        let before: HashMap<String, String> = pending
            .get_array("ids")
            .into_iter()
            .flatten()
            .zip(pending.get_array("fingerprints").into_iter().flatten())
            .filter_map(|(id, print)| Some((id_key(id), print.as_str()?.to_owned())))
            .collect();
        let range = in_range(&paged.filter, progress.last_id.as_ref(), &last);
        let mut still = Vec::new();
        let mut documents = 0u64;
        self.scan(doc! { "find": paged.collection, "filter": range, "sort": { "_id": 1 } }, |document| {
            documents += 1;
            let Some(id) = document.get("_id") else { return };
            if before.get(&id_key(id)).is_none_or(|print| *print == fingerprint(&document)) {
                still.push(id.clone());
            }
        })
        .await
        .map_err(fail)?;
        let written = (before.len() as u64).saturating_sub(still.len() as u64);
        if let (false, PageWrite::Update { update, .. }) = (still.is_empty(), &paged.write) {
            let q = doc! { "$and": [paged.filter.clone(), { "_id": { "$in": still.clone() } }] };
            let command =
                doc! { "update": paged.collection, "updates": [{ "q": q, "u": update.clone(), "multi": true }] };
            progress.modified = progress.modified.saturating_add(reply_count(&self.write(command).await?, "nModified"));
        }
        progress.processed = progress.processed.saturating_add(documents.max(before.len() as u64));
        progress.modified = progress.modified.saturating_add(written);
        progress.last_id = Some(last);
        paged.save(progress, Document::new()).await
    }
}

/// A version step's update for one document: `update` with `$set` of each copied value it has.
fn with_copies(update: &Document, copies: &[(String, String)], document: &Document) -> Document {
    let mut update = update.clone();
    let values: Vec<(&String, &Bson)> =
        copies.iter().filter_map(|(from, to)| value_at(document, from).map(|value| (to, value))).collect();
    if values.is_empty() {
        return update;
    }
    if !matches!(update.get("$set"), Some(Bson::Document(_))) {
        update.insert("$set", Document::new());
    }
    if let Ok(set) = update.get_document_mut("$set") {
        for (to, value) in values {
            set.insert(to, value.clone());
        }
    }
    update
}

/// A page saved as pending before it is written: its last `_id`, and each document's `_id` and
/// fingerprint.
fn pending_of(page: &[Document], last: &Bson) -> Document {
    let ids: Vec<Bson> = page.iter().filter_map(|d| d.get("_id").cloned()).collect();
    let prints: Vec<Bson> = page.iter().map(|d| Bson::String(fingerprint(d))).collect();
    doc! { "pending": { "lastId": last.clone(), "ids": ids, "fingerprints": prints } }
}

/// An `_id` as a map key (any BSON type).
fn id_key(id: &Bson) -> String {
    format!("{:?}", id)
}
