//! A cursor without a session, read one batch ahead: while the migration works on the documents
//! it was given, the next batch is fetched (the `getMore` round trips) and decoded by a task on the
//! runtime's thread, so the server's time for it overlaps the migration's own work instead of
//! adding to it. At most one batch waits, so memory stays flat.
//!
//! What a cursor returns does not change: MongoDB cursors are not snapshots, and a batch read a
//! little earlier is one the server could have returned then anyway.

use bson::Document;
use mongodb::Cursor;
use mongodb::error::Error as DriverError;
use tokio::task::JoinHandle;

/// Documents read from a cursor; `done` once it is exhausted.
pub struct Batch {
    pub documents: Vec<Document>,
    pub done: bool,
}

/// Why a batch could not be read.
pub enum ReadFailure {
    Driver(DriverError),
    /// The task reading ahead ended without a result (it panicked or was cancelled).
    Lost(String),
}

impl From<DriverError> for ReadFailure {
    fn from(error: DriverError) -> Self {
        ReadFailure::Driver(error)
    }
}

/// A batch and, unless the cursor is exhausted, the cursor to read on from.
type Fetched = Result<(Batch, Option<Cursor<Document>>), DriverError>;

enum State {
    Idle(Box<Cursor<Document>>),
    Fetching(JoinHandle<Fetched>),
    Exhausted,
}

pub struct ReadAheadCursor {
    state: State,
}

async fn read(mut cursor: Cursor<Document>, max: usize) -> Fetched {
    let mut documents = Vec::with_capacity(max.min(1024));
    while documents.len() < max {
        if !cursor.advance().await? {
            return Ok((Batch { documents, done: true }, None));
        }
        documents.push(cursor.deserialize_current()?);
    }
    Ok((Batch { documents, done: false }, Some(cursor)))
}

impl ReadAheadCursor {
    pub fn new(cursor: Cursor<Document>) -> Self {
        ReadAheadCursor { state: State::Idle(Box::new(cursor)) }
    }

    /// The next documents (up to `max`, or the batch already read ahead, whatever its size); then
    /// starts reading the following `max` in the background. Must run inside a tokio runtime.
    pub async fn next_batch(&mut self, max: usize) -> Result<Batch, ReadFailure> {
        let fetched = match std::mem::replace(&mut self.state, State::Exhausted) {
            State::Idle(cursor) => read(*cursor, max).await,
            State::Fetching(task) => match task.await {
                Ok(fetched) => fetched,
                Err(error) => return Err(ReadFailure::Lost(format!("reading the cursor ahead failed: {error}"))),
            },
            State::Exhausted => return Ok(Batch { documents: Vec::new(), done: true }),
        };
        let (batch, cursor) = fetched.map_err(ReadFailure::Driver)?;
        if let Some(cursor) = cursor {
            self.state = State::Fetching(tokio::spawn(read(cursor, max)));
        }
        Ok(batch)
    }
}

impl Drop for ReadAheadCursor {
    /// A cursor closed (or a migration stopped) while a batch is on its way: the task is cancelled,
    /// which drops the driver's cursor and so kills it on the server.
    fn drop(&mut self) {
        if let State::Fetching(task) = &self.state {
            task.abort();
        }
    }
}
