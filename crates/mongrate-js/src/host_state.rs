//! What the JavaScript side's native functions share: the database, open sessions and cursors,
//! the dry-run log, where console output goes.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use bson::Document;
use mongodb::{ClientSession, Database, SessionCursor};
use mongrate_mongo::capabilities::Capabilities;
use mongrate_mongo::checkpoint::Checkpoints;

use crate::console::ConsoleSink;
use crate::dry_run::DryRunLog;
use crate::native_backup::ScriptBackups;
use crate::read_ahead::ReadAheadCursor;

/// A session the migration started; created on the server side at first use.
pub type SharedSession = Rc<tokio::sync::Mutex<Option<ClientSession>>>;

/// A cursor the migration is reading.
pub enum OpenCursor {
    Implicit(ReadAheadCursor),
    InSession(Box<SessionCursor<Document>>, SharedSession),
    /// A dry-run's stand-in for a command that would write (`$out`).
    Empty,
}

/// The state behind one JavaScript context.
pub struct HostState {
    /// `None` while a file is only inspected.
    pub database: Option<Database>,
    pub capabilities: Option<Capabilities>,
    pub sessions: RefCell<HashMap<u32, SharedSession>>,
    pub cursors: RefCell<HashMap<u32, Rc<tokio::sync::Mutex<OpenCursor>>>>,
    next_id: Cell<u32>,
    pub dry_run: Option<DryRunLog>,
    pub console: Arc<dyn ConsoleSink>,
    /// The session id operations without a session of their own run in (0: none).
    pub ambient_session: u32,
    /// The migration being run (or inspected), for naming console lines.
    pub migration_path: RefCell<PathBuf>,
    /// The run's cap on documents a second for every batch loop (`--max-per-second`).
    pub max_per_second: Option<u32>,
    /// Where the batch loops keep their progress (`None`: a dry-run, a down, a transaction).
    pub checkpoints: Option<Checkpoints>,
    /// A loop stopped because the lease was lost: the step fails as a lost lease.
    pub lease_lost: Cell<bool>,
    /// The target's backups, for `backupCollection` and its kin (`None` while inspecting).
    pub backups: Option<ScriptBackups>,
    /// Timers waiting (`setTimeout`, `setInterval`), by id: notified when cleared.
    pub timers: RefCell<HashMap<u32, Rc<tokio::sync::Notify>>>,
    /// `process.exit(code)` was called: the step fails even if the migration caught the throw.
    pub exit_code: Cell<Option<i32>>,
}

impl HostState {
    pub fn new(
        database: Option<Database>,
        capabilities: Option<Capabilities>,
        dry_run: bool,
        console: Arc<dyn ConsoleSink>,
        migration_path: PathBuf,
    ) -> Self {
        HostState {
            database,
            capabilities,
            sessions: RefCell::new(HashMap::new()),
            cursors: RefCell::new(HashMap::new()),
            next_id: Cell::new(1),
            dry_run: dry_run.then(|| DryRunLog::new(migration_path.clone())),
            console,
            migration_path: RefCell::new(migration_path),
            ambient_session: 0,
            max_per_second: None,
            checkpoints: None,
            lease_lost: Cell::new(false),
            backups: None,
            timers: RefCell::new(HashMap::new()),
            exit_code: Cell::new(None),
        }
    }

    /// Makes `session` (a started transaction) the one every operation without its own runs in.
    pub fn with_ambient_session(mut self, session: ClientSession) -> Self {
        let id = self.next_id();
        self.sessions.borrow_mut().insert(id, Rc::new(tokio::sync::Mutex::new(Some(session))));
        self.ambient_session = id;
        self
    }

    /// Takes the ambient session back, to commit it.
    pub fn take_ambient_session(&self) -> Option<ClientSession> {
        let shared = self.sessions.borrow_mut().remove(&self.ambient_session)?;
        let mut slot = shared.try_lock().ok()?;
        slot.take()
    }

    pub fn next_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        id
    }

    /// Update (and delete) statements per write command: FerretDB stops answering on large ones.
    pub fn max_writes_per_command(&self) -> u32 {
        match &self.capabilities {
            Some(capabilities) if capabilities.ferretdb => 50,
            _ => 100_000,
        }
    }
}
