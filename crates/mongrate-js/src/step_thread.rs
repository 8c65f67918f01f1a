//! Runs one migration's `up` or `down` on a thread of its own.
//!
//! QuickJS values cannot cross threads, so the migration runs on a new thread: the caller's future
//! stays `Send`, and a CPU-heavy migration does not stall the lease heartbeat. The thread has a
//! tokio runtime and a MongoDB client of its own, so the driver's sockets are polled where the
//! migration awaits them: with the caller's client every command crossed threads several times
//! (pool checkout, socket readiness), ~130 µs per round trip on FerretDB. A migration in a
//! transaction uses the caller's client and runtime instead: its session belongs to that client.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mongodb::options::ClientOptions;
use mongodb::{Client, ClientSession, Database};
use mongrate_core::execution::{FailureEffect, StepFailure};
use mongrate_core::plan::Direction;
use mongrate_core::{Error, ErrorKind};
use mongrate_mongo::capabilities::Capabilities;
use mongrate_mongo::script::ScriptOutcome;
use rquickjs::CatchResultExt;

use crate::console::ConsoleSink;
use crate::host::{describe, install_prelude, load_exports, new_runtime, start};
use crate::host_state::HostState;

/// Everything the thread needs, owned.
pub struct StepJob {
    pub path: PathBuf,
    pub source: String,
    pub direction: Direction,
    pub database: Database,
    /// The options of `database`'s client, for the thread's own client.
    pub client_options: ClientOptions,
    pub capabilities: Capabilities,
    pub dry_run: bool,
    pub console: Arc<dyn ConsoleSink>,
    /// The migration's transaction, when it runs in one.
    pub transaction: Option<ClientSession>,
}

/// Sets the stop flag when the caller stops waiting (Ctrl-C drops the step's future).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

type StepResult = Result<ScriptOutcome, StepFailure>;

fn failed(message: String, partial: bool) -> StepFailure {
    StepFailure::new(Error::migration(message), FailureEffect::without_transaction(partial))
}

/// Runs the job and waits for it without blocking the caller's runtime.
pub async fn run_step(job: StepJob) -> StepResult {
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_drop = StopOnDrop(stop.clone());
    let handle = tokio::runtime::Handle::current();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let spawned =
        std::thread::Builder::new().name("mongrate-js".to_owned()).stack_size(16 * 1024 * 1024).spawn(move || {
            let result =
                if job.transaction.is_some() { handle.block_on(execute(job, stop)) } else { own_io(job, stop) };
            let _ = sender.send(result);
        });
    if let Err(error) = spawned {
        return Err(failed(format!("cannot start the JavaScript engine's thread: {error}"), false));
    }
    receiver.await.unwrap_or_else(|_| Err(failed("the JavaScript engine stopped without an answer".to_owned(), true)))
}

/// Runs the job on this thread's own runtime, against a client of its own.
fn own_io(mut job: StepJob, stop: Arc<AtomicBool>) -> StepResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the JavaScript engine's runtime: {e}"), false))?;
    runtime.block_on(async move {
        // Made inside the runtime: the client starts its monitoring tasks on it.
        let client = Client::with_options(job.client_options.clone())
            .map_err(|e| failed(format!("cannot connect the JavaScript engine to MongoDB: {e}"), false))?;
        job.database = client.database(job.database.name());
        execute(job, stop).await
    })
}

async fn execute(job: StepJob, stop: Arc<AtomicBool>) -> StepResult {
    let file = job.path.display().to_string();
    let mut state =
        HostState::new(Some(job.database), Some(job.capabilities), job.dry_run, job.console, job.path.clone());
    if let Some(session) = job.transaction {
        state = state.with_ambient_session(session);
    }
    let state = Rc::new(state);
    let (runtime, context) = new_runtime({
        let stop = stop.clone();
        move || stop.load(Ordering::Relaxed)
    })
    .await
    .map_err(|e| failed(format!("{file}: cannot start the JavaScript engine: {e}"), false))?;
    // A promise rejected and never awaited (an operation started without `await` that failed)
    // fails the migration, as an unhandled rejection ends a Node process.
    let unhandled: Rc<RefCell<Vec<String>>> = Rc::default();
    {
        let unhandled = unhandled.clone();
        runtime
            .set_host_promise_rejection_tracker(Some(Box::new(move |_ctx, _promise, reason, handled| {
                if handled {
                    unhandled.borrow_mut().pop();
                } else {
                    unhandled.borrow_mut().push(crate::js_error::describe_value(reason));
                }
            })))
            .await;
    }
    let direction = job.direction.as_str();
    let shared = state.clone();
    let (path, source) = (job.path, job.source);
    // Err((message, whether the migration's function had started)).
    let outcome: Result<(), (String, bool)> = context
        .async_with(async |ctx| {
            install_prelude(&ctx, &shared).catch(&ctx).map_err(|e| (crate::js_error::describe(e), false))?;
            let exports = load_exports(&ctx, &path, &source)
                .await
                .catch(&ctx)
                .map_err(|e| (crate::js_error::describe(e), false))?;
            let declaration =
                describe(&ctx, exports.clone()).catch(&ctx).map_err(|e| (crate::js_error::describe(e), false))?;
            let present = if direction == "up" { declaration.has_up } else { declaration.has_down };
            if !present {
                return Err((format!("the migration exports no {direction} function"), false));
            }
            let promise =
                start(&ctx, exports, direction).catch(&ctx).map_err(|e| (crate::js_error::describe(e), true))?;
            promise.into_future::<()>().await.catch(&ctx).map_err(|e| (crate::js_error::describe(e), true))
        })
        .await;
    // Work the migration started without awaiting it finishes before the step counts as done.
    runtime.idle().await;
    let interrupted = stop.load(Ordering::Relaxed);
    drop(context);
    drop(runtime);
    let reports = state.dry_run.as_ref().map(|log| log.take_reports());
    let transaction = state.take_ambient_session();
    let outcome = match (outcome, unhandled.borrow().first()) {
        (Ok(()), Some(reason)) => Err((format!("a promise was rejected and never awaited: {reason}"), true)),
        (outcome, _) => outcome,
    };
    match outcome {
        Ok(()) => Ok(ScriptOutcome { operations: reports.unwrap_or_default(), transaction }),
        Err(_) if interrupted => Err(StepFailure::new(
            Error::new(ErrorKind::Interrupted, "interrupted by the user (Ctrl-C)"),
            FailureEffect::Partial,
        )),
        Err((message, started)) => Err(failed(format!("{file}: {message}"), started && !job.dry_run)),
    }
}
