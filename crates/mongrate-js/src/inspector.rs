//! Reads what migration files declare (their exports) before anything runs, on one long-lived
//! thread with one JavaScript runtime, so `status` over a thousand files stays fast.

use std::collections::HashSet;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rquickjs::{AsyncContext, AsyncRuntime, CatchResultExt};

use crate::console::ConsoleSink;
use crate::host::{Declaration, THREAD_STACK, describe, install_prelude, load_exports, new_runtime};
use crate::host_state::HostState;

/// A file's top level gets this long; then it is stopped (an endless loop must not hang `status`).
const TOP_LEVEL_LIMIT: Duration = Duration::from_secs(10);

struct Request {
    path: PathBuf,
    source: String,
    reply: Sender<Result<Declaration, String>>,
}

/// The inspection thread, started at the first file.
pub struct Inspector {
    requests: Mutex<Option<Sender<Request>>>,
    console: Arc<dyn ConsoleSink>,
}

impl Inspector {
    pub fn new(console: Arc<dyn ConsoleSink>) -> Self {
        Inspector { requests: Mutex::new(None), console }
    }

    /// Compiles the file, runs its top level, and reads its exports.
    pub fn declaration(&self, path: PathBuf, source: String) -> Result<Declaration, String> {
        let (reply, answer) = channel();
        {
            let mut requests =
                self.requests.lock().map_err(|_| "the JavaScript inspector failed earlier".to_owned())?;
            if requests.is_none() {
                *requests = Some(spawn(self.console.clone())?);
            }
            let sender = requests.as_ref().ok_or("the JavaScript inspector is not running")?;
            if sender.send(Request { path: path.clone(), source: source.clone(), reply: reply.clone() }).is_err() {
                // The thread ended (a panic in a previous file): start another once.
                let fresh = spawn(self.console.clone())?;
                fresh.send(Request { path, source, reply }).map_err(|_| "the JavaScript inspector stopped")?;
                *requests = Some(fresh);
            }
        }
        answer.recv().map_err(|_| "the JavaScript inspector stopped".to_owned())?
    }
}

fn spawn(console: Arc<dyn ConsoleSink>) -> Result<Sender<Request>, String> {
    let (sender, receiver) = channel();
    std::thread::Builder::new()
        .name("mongrate-js-inspect".to_owned())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let Ok(tokio) = tokio::runtime::Builder::new_current_thread().enable_time().build() else { return };
            tokio.block_on(serve(receiver, console));
        })
        .map_err(|e| format!("cannot start the JavaScript engine's thread: {e}"))?;
    Ok(sender)
}

async fn serve(requests: Receiver<Request>, console: Arc<dyn ConsoleSink>) {
    // Milliseconds since the epoch after which the current file's code is stopped.
    let deadline = Arc::new(AtomicU64::new(u64::MAX));
    let expired = {
        let deadline = deadline.clone();
        move || now_millis() > deadline.load(Ordering::Relaxed)
    };
    let Ok((runtime, _)) = new_runtime(expired).await else { return };
    let mut shared: Option<Shared> = None;
    while let Ok(request) = requests.recv() {
        deadline.store(now_millis() + TOP_LEVEL_LIMIT.as_millis() as u64, Ordering::Relaxed);
        let result = inspect(&runtime, &mut shared, &console, &request).await;
        let timed_out = now_millis() > deadline.load(Ordering::Relaxed);
        deadline.store(u64::MAX, Ordering::Relaxed);
        let result = if timed_out {
            shared = None;
            Err(format!("its top level ran for more than {} s and was stopped", TOP_LEVEL_LIMIT.as_secs()))
        } else {
            result
        };
        let _ = request.reply.send(result);
    }
}

fn now_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// One context for many files: the prelude is evaluated once, not per file (a thousand files
/// would otherwise spend most of `status` on it). Files share globals, as in one Node process.
struct Shared {
    context: AsyncContext,
    state: Rc<HostState>,
    /// A module name is declared once per context: a file seen again gets a fresh context.
    seen: HashSet<PathBuf>,
}

async fn inspect(
    runtime: &AsyncRuntime,
    shared: &mut Option<Shared>,
    console: &Arc<dyn ConsoleSink>,
    request: &Request,
) -> Result<Declaration, String> {
    if shared.as_ref().is_none_or(|s| s.seen.contains(&request.path)) {
        let context = AsyncContext::full(runtime).await.map_err(|e| e.to_string())?;
        let state = Rc::new(HostState::new(None, None, false, console.clone(), request.path.clone()));
        context.with(|ctx| install_prelude(&ctx, &state).catch(&ctx).map_err(crate::js_error::describe)).await?;
        *shared = Some(Shared { context, state, seen: HashSet::new() });
    }
    let Some(current) = shared.as_mut() else { return Err("the JavaScript inspector has no context".to_owned()) };
    current.seen.insert(request.path.clone());
    *current.state.migration_path.borrow_mut() = request.path.clone();
    let result = current
        .context
        .async_with(async |ctx| {
            let exports = load_exports(&ctx, &request.path, &request.source)
                .await
                .catch(&ctx)
                .map_err(crate::js_error::describe)?;
            describe(&ctx, exports).catch(&ctx).map_err(crate::js_error::describe)
        })
        .await;
    if result.is_err() {
        // A failed file may leave half-made state behind (a module that failed to link).
        *shared = None;
    }
    result
}
