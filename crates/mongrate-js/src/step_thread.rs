//! Runs one migration's `up` or `down` away from the caller's thread.
//!
//! QuickJS values cannot cross threads, so the migration runs on another thread: the caller's
//! future stays `Send`, and a CPU-heavy migration does not stall the lease heartbeat. Outside a
//! transaction that is the engine's I/O thread (`io_thread`), with its own runtime and client. A
//! migration in a transaction gets a thread of its own that uses the caller's client and runtime:
//! its session belongs to that client.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mongodb::options::ClientOptions;
use mongodb::{ClientSession, Database};
use mongrate_core::execution::{FailureEffect, StepFailure};
use mongrate_core::plan::Direction;
use mongrate_core::{Error, ErrorKind};
use mongrate_mongo::capabilities::Capabilities;
use mongrate_mongo::checkpoint::{CheckpointSeed, Checkpoints};
use mongrate_mongo::script::ScriptOutcome;
use rquickjs::CatchResultExt;
use tokio::sync::oneshot;

use crate::console::ConsoleSink;
use crate::host::{THREAD_STACK, describe, install_prelude, load_exports, new_runtime, start};
use crate::host_state::HostState;
use crate::io_thread::{IoThread, StartError};
use crate::native_backup::ScriptBackups;

/// Everything the thread needs, owned.
pub struct StepJob {
    pub path: PathBuf,
    pub source: String,
    pub direction: Direction,
    pub database: Database,
    /// The options of `database`'s client, for the I/O thread's own client.
    pub client_options: ClientOptions,
    pub capabilities: Capabilities,
    pub dry_run: bool,
    pub console: Arc<dyn ConsoleSink>,
    /// The migration's transaction, when it runs in one.
    pub transaction: Option<ClientSession>,
    /// The run's cap on documents a second for every batch loop.
    pub max_per_second: Option<u32>,
    /// Where its batch loops keep their progress.
    pub checkpoints: Option<CheckpointSeed>,
    /// The target's backups (bound to the thread's own client when it has one).
    pub backups: ScriptBackups,
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
pub async fn run_step(job: StepJob, io: &IoThread) -> StepResult {
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_drop = StopOnDrop(stop.clone());
    let answer =
        if job.transaction.is_some() { in_caller_runtime(job, stop) } else { on_io_thread(job, stop, io).await };
    let receiver = answer.map_err(|why| match why {
        StartError::Thread(error) => failed(format!("cannot start the JavaScript engine's thread: {error}"), false),
        StartError::Runtime(e) => failed(format!("cannot start the JavaScript engine's runtime: {e}"), false),
        StartError::Client(e) => failed(
            format!("cannot connect the JavaScript engine to MongoDB: {}", mongrate_mongo::errors::describe(&e)),
            false,
        ),
    })?;
    receiver.await.unwrap_or_else(|_| Err(failed("the JavaScript engine stopped without an answer".to_owned(), true)))
}

/// A thread for this job that awaits its I/O on the caller's runtime (the transaction's session
/// belongs to the caller's client).
fn in_caller_runtime(job: StepJob, stop: Arc<AtomicBool>) -> Result<oneshot::Receiver<StepResult>, StartError> {
    let handle = tokio::runtime::Handle::current();
    let (sender, receiver) = oneshot::channel();
    std::thread::Builder::new()
        .name("mongrate-js".to_owned())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let _ = sender.send(handle.block_on(execute(job, stop)));
        })
        .map_err(StartError::Thread)?;
    Ok(receiver)
}

/// The job on the engine's I/O thread, against its client.
async fn on_io_thread(
    mut job: StepJob,
    stop: Arc<AtomicBool>,
    io: &IoThread,
) -> Result<oneshot::Receiver<StepResult>, StartError> {
    let options = std::mem::take(&mut job.client_options);
    io.submit(&options, move |client| {
        job.database = client.database(job.database.name());
        execute(job, stop)
    })
    .await
}

async fn execute(job: StepJob, stop: Arc<AtomicBool>) -> StepResult {
    let file = job.path.display().to_string();
    let mut state =
        HostState::new(Some(job.database), Some(job.capabilities), job.dry_run, job.console, job.path.clone());
    if let Some(session) = job.transaction {
        state = state.with_ambient_session(session);
    }
    state.max_per_second = job.max_per_second;
    if let (Some(seed), Some(database)) = (job.checkpoints, &state.database) {
        state.checkpoints = Some(Checkpoints::bind(seed, database));
    }
    if let Some(database) = &state.database {
        state.backups = Some(job.backups.bound_to(database));
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
    let outcome = match (outcome, unhandled.borrow().first(), state.exit_code.get()) {
        // A process.exit the migration caught still ends it, as it would end Node.
        (Ok(()), _, Some(code)) => Err((crate::native_node::exit_message(Some(code)), true)),
        (Ok(()), Some(reason), None) => Err((format!("a promise was rejected and never awaited: {reason}"), true)),
        (outcome, _, _) => outcome,
    };
    match outcome {
        Ok(()) => Ok(ScriptOutcome { operations: reports.unwrap_or_default(), transaction }),
        Err((message, _)) if state.lease_lost.get() => Err(StepFailure::new(
            Error::new(ErrorKind::LeaseLost, format!("{file}: {message}")),
            FailureEffect::Partial,
        )),
        Err(_) if interrupted => Err(StepFailure::new(
            Error::new(ErrorKind::Interrupted, "interrupted (Ctrl-C or a stop signal)"),
            FailureEffect::Partial,
        )),
        Err((message, started)) => Err(failed(format!("{file}: {message}"), started && !job.dry_run)),
    }
}
