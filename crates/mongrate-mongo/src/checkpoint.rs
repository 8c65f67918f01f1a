//! Where a migration's batch loops keep their progress, so a run that stopped (killed, failed,
//! interrupted, lease lost) is resumed instead of started over.
//!
//! One document per migration in the lock collection, `_id: "checkpoint:<version>"`:
//! `{ owner, version, updatedAt, loops: { "<n>": state } }`, loop `n` being the n-th batch loop
//! the migration ran (call order; a resumed run calls them in the same order). A loop's state is
//! the loop's own (`lastId`, `processed`, `modified`, …, `total`, `done`, and on a server without
//! transactions the `pending` batch: see `eachBatch` in the JavaScript prelude); this module
//! stores it as given.
//!
//! Fencing: a run claims the document (its `owner`) when its step starts, and every save matches
//! on that owner, so a runner that lost its lease to another cannot write over the other's
//! progress: its save fails and its loop stops. On a server with transactions, a batch's writes
//! and its save commit together, so a batch of a runner whose checkpoint was claimed by another
//! never commits (and a claim waits for a batch in flight to commit).
//!
//! The checkpoint is forgotten when the migration's outcome is final (completed, reverted, marked)
//! or when a fresh run of it starts (`up --restart`, a run that had no progress to resume).

use bson::{Bson, DateTime, Document, doc};
use mongodb::{ClientSession, Collection, Database};
use mongrate_core::execution::StepExecution;
use mongrate_core::lease_guard::LeaseWatch;
use mongrate_core::plan::Direction;
use mongrate_core::{Error, ErrorKind, Result, Version};

use crate::changelog::MongoChangelog;
use crate::errors::{is_duplicate_key, server};

/// How the `_id` of a checkpoint document starts.
const CHECKPOINT_PREFIX: &str = "checkpoint:";

/// The `_id` of a version's checkpoint document.
pub fn checkpoint_id(version: &Version) -> String {
    format!("{CHECKPOINT_PREFIX}{version}")
}

/// The version whose checkpoint a lock-collection document is, if it is one.
pub fn checkpoint_version(document: &Document) -> Option<Version> {
    let id = document.get_str("_id").ok()?;
    Version::parse(id.strip_prefix(CHECKPOINT_PREFIX)?).ok()
}

/// What a step's loops start from, owned so it can travel to the thread that runs them.
#[derive(Debug, Clone)]
pub struct CheckpointSeed {
    /// The lock collection's name (the thread binds it to its own client).
    pub lock_collection: String,
    pub version: Version,
    /// The lease owner of this run.
    pub owner: String,
    /// The loops' states when the step started: empty for a fresh run.
    pub loops: Document,
    pub watch: LeaseWatch,
}

impl MongoChangelog {
    /// Claims the checkpoint of a step that runs outside a transaction: a resumed `up` (its
    /// record kept progress) takes the stored loops over; any other run forgets what a stopped
    /// run left. `None` for a `down`, whose loops start over.
    pub async fn begin_checkpoints(&self, execution: &StepExecution<'_>) -> Result<Option<CheckpointSeed>> {
        let step = execution.step;
        let version = step.migration.version();
        let id = checkpoint_id(&version);
        if step.direction == Direction::Down {
            self.forget_checkpoint(&version).await?;
            return Ok(None);
        }
        let owner = execution.lease_owner.unwrap_or_default().to_owned();
        let resume = step.previous.as_ref().is_some_and(|record| record.is_resumable());
        let loops = if resume {
            let claimed = self
                .lock()
                .find_one_and_update(
                    doc! { "_id": &id },
                    doc! { "$set": { "owner": &owner, "updatedAt": DateTime::now() } },
                )
                .await
                .map_err(|e| server("taking over the migration's checkpoint", &e))?;
            claimed.and_then(|d| d.get_document("loops").ok().cloned()).unwrap_or_default()
        } else {
            self.forget_checkpoint(&version).await?;
            Document::new()
        };
        Ok(Some(CheckpointSeed {
            lock_collection: self.names.lock.clone(),
            version,
            owner,
            loops,
            watch: execution.lease_watch.clone(),
        }))
    }

    /// Whether a version's loops checkpointed progress (a failed run then waits to be resumed).
    /// A checkpoint that cannot be read counts as progress: restoring over it would lose work.
    pub async fn has_checkpoint(&self, version: &Version) -> bool {
        let filter = doc! { "_id": checkpoint_id(version), "loops": { "$exists": true } };
        self.lock().find_one(filter).await.map_or(true, |found| found.is_some())
    }

    /// Forgets a version's checkpoint (its outcome is final, or it starts over).
    pub async fn forget_checkpoint(&self, version: &Version) -> Result<()> {
        self.lock()
            .delete_one(doc! { "_id": checkpoint_id(version) })
            .await
            .map_err(|e| server("forgetting the migration's checkpoint", &e))?;
        Ok(())
    }
}

/// The checkpoints of one running step, bound to the database its loops write to.
pub struct Checkpoints {
    lock: Collection<Document>,
    seed: CheckpointSeed,
}

impl Checkpoints {
    pub fn bind(seed: CheckpointSeed, db: &Database) -> Self {
        Checkpoints { lock: db.collection(&seed.lock_collection), seed }
    }

    /// The state loop `index` stopped at in an earlier run, if it got that far.
    pub fn state(&self, index: usize) -> Option<&Document> {
        self.seed.loops.get_document(index.to_string()).ok()
    }

    /// Fails with a lost lease when the heartbeat found the lease taken over: the loop must not
    /// write another batch.
    pub fn ensure_lease(&self) -> Result<()> {
        if self.seed.watch.is_lost() {
            return Err(lease_lost());
        }
        Ok(())
    }

    /// Stores loop `index`'s state. With `session`, in the started transaction that holds the
    /// batch's writes: the batch then commits only with its checkpoint, and only while this run
    /// owns the checkpoint (a runner that took the lease over claims the document first, which
    /// conflicts with, or makes fail, this write).
    pub async fn save(&self, index: usize, state: Document, session: Option<&mut ClientSession>) -> Result<()> {
        self.save_raw(index, state, session).await.map_err(|failure| self.save_error(failure))
    }

    /// The error a failed save is reported as.
    pub fn save_error(&self, failure: SaveFailure) -> Error {
        match failure {
            SaveFailure::LeaseLost => lease_lost(),
            SaveFailure::Server(error) => server("saving the migration's checkpoint", &error),
        }
    }

    /// [`save`](Self::save), keeping the server's error as it is (a write conflict in a
    /// transaction carries the label that says to run the transaction again).
    pub async fn save_raw(
        &self,
        index: usize,
        state: Document,
        session: Option<&mut ClientSession>,
    ) -> std::result::Result<(), SaveFailure> {
        if self.seed.watch.is_lost() {
            return Err(SaveFailure::LeaseLost);
        }
        let filter = doc! { "_id": checkpoint_id(&self.seed.version), "owner": &self.seed.owner };
        let update = doc! { "$set": {
            format!("loops.{index}"): state,
            "version": self.seed.version.to_string(),
            "updatedAt": DateTime::now(),
        } };
        let saved = match session {
            None => self.lock.update_one(filter, update).upsert(true).await,
            Some(session) => self.lock.update_one(filter, update).upsert(true).session(session).await,
        };
        match saved {
            Ok(_) => Ok(()),
            // The upsert met the document another runner claimed.
            Err(error) if is_duplicate_key(&error) => Err(SaveFailure::LeaseLost),
            Err(error) => Err(SaveFailure::Server(error)),
        }
    }
}

/// Why a checkpoint was not saved.
#[derive(Debug)]
pub enum SaveFailure {
    /// Another runner holds the lease (and the checkpoint) now.
    LeaseLost,
    Server(mongodb::error::Error),
}

fn lease_lost() -> Error {
    Error::new(
        ErrorKind::LeaseLost,
        "the migration lock was lost (taken over after expiry, or released by force) during a batch loop; \
         the loop stopped before its next batch and its checkpoint is kept: the next `mongrate up` resumes it",
    )
}

/// A loop state as `status` shows it: the pending batch counted as processed (it was being
/// written), without its `_id`s and fingerprints.
pub fn shown_loops(checkpoint: &Document) -> Option<Document> {
    let loops = checkpoint.get_document("loops").ok()?;
    let mut shown = Document::new();
    for (index, state) in loops {
        let Bson::Document(state) = state else { continue };
        let mut state = state.clone();
        if let Some(Bson::Document(pending)) = state.remove("pending") {
            let writing = pending.get_array("ids").map_or(0, |ids| ids.len() as u64);
            let processed = state.get("processed").and_then(stored_count).unwrap_or(0);
            state.insert("processed", i64::try_from(processed.saturating_add(writing)).unwrap_or(i64::MAX));
        }
        shown.insert(index.clone(), state);
    }
    (!shown.is_empty()).then(|| doc! { "loops": shown })
}

/// A count in a loop's state as it was stored (JavaScript stores a double or an integer, Rust an
/// Int64); `None` for anything else or a negative number.
pub fn stored_count(value: &Bson) -> Option<u64> {
    match value {
        Bson::Int32(n) => u64::try_from(*n).ok(),
        Bson::Int64(n) => u64::try_from(*n).ok(),
        Bson::Double(n) if *n >= 0.0 => Some(*n as u64),
        _ => None,
    }
}

/// A document's fingerprint as the server holds it: a batch cut short shows which of its
/// documents it had written (their fingerprints changed). Empty for a document that does not
/// serialize (it then never matches, and counts as written).
pub fn fingerprint(document: &Document) -> String {
    use sha2::Digest as _;
    let mut bytes = Vec::new();
    if document.to_writer(&mut bytes).is_err() {
        return String::new();
    }
    sha2::Sha256::digest(&bytes)[..8].iter().map(|b| format!("{b:02x}")).collect()
}
