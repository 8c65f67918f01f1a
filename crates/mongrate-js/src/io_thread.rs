//! The thread JavaScript migrations outside a transaction run on: one per engine, so one per run,
//! started at the first such step and shared by every later one (dry-runs included). It has a
//! current-thread tokio runtime and a MongoDB client of its own, so the driver's sockets are polled
//! where a migration awaits them (with the caller's client every command crossed threads several
//! times, ~130 µs per round trip on FerretDB), and the runtime, the connection and server
//! selection are paid once per run, not once per migration (~1 ms each).
//!
//! Steps run as tasks of the thread, so a step its caller stopped waiting for (Ctrl-C), which ends
//! only when its code next runs, does not hold up the next one. Dropping the engine closes the
//! queue: an idle thread then shuts its client down and ends, and the drop waits for it; a thread
//! still finishing an abandoned step is not waited for (it ends after that step, or with the
//! process), so exiting never hangs on a migration's pending `await`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mongodb::Client;
use mongodb::options::ClientOptions;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::LocalSet;

use crate::host::THREAD_STACK;

/// How long the thread's client gets to end its server sessions when the engine is dropped.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(1);

/// Why the thread could not be started.
#[derive(Debug)]
pub enum StartError {
    Thread(std::io::Error),
    Runtime(std::io::Error),
    Client(mongodb::error::Error),
}

/// A step for the thread: given its client, the (not `Send`) future to run there. It drops the
/// `Unfinished` before it answers, so a caller that has its answer never finds the step counted.
type Work = Box<dyn FnOnce(Client, Unfinished) -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// Counts a step from when it is queued until it has its result (or is dropped unrun).
struct Unfinished(Arc<AtomicUsize>);

impl Unfinished {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Unfinished(count.clone())
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The engine's I/O thread, started at the first step that needs it.
#[derive(Default)]
pub struct IoThread {
    current: Mutex<Option<Worker>>,
}

impl IoThread {
    /// Runs `work` on the thread, with a client made from `options`; the answer comes on the
    /// returned channel. The thread is started (or, for other options, replaced) when needed.
    pub async fn submit<T, F>(
        &self,
        options: &ClientOptions,
        work: impl FnOnce(Client) -> F + Send + 'static,
    ) -> Result<oneshot::Receiver<T>, StartError>
    where
        T: Send + 'static,
        F: Future<Output = T> + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let mut work = queued(work, reply);
        let mut current = self.current.lock().await;
        // A thread that ended (a panic outside any step) is replaced once.
        for _ in 0..2 {
            if current.as_ref().is_none_or(|worker| worker.options != *options) {
                *current = Some(Worker::start(options.clone()).await?);
            }
            let Some(worker) = current.as_ref() else { break };
            match worker.send(work) {
                Ok(()) => return Ok(answer),
                Err(unsent) => {
                    work = unsent;
                    *current = None;
                }
            }
        }
        Err(StartError::Thread(std::io::Error::other("the JavaScript engine's I/O thread keeps stopping")))
    }
}

/// Wraps `work` so that its answer goes to `reply`.
fn queued<T, F>(work: impl FnOnce(Client) -> F + Send + 'static, reply: oneshot::Sender<T>) -> Work
where
    T: Send + 'static,
    F: Future<Output = T> + 'static,
{
    Box::new(move |client, unfinished| {
        Box::pin(async move {
            let answer = work(client).await;
            drop(unfinished);
            let _ = reply.send(answer);
        })
    })
}

/// One running thread.
struct Worker {
    options: ClientOptions,
    queue: Option<mpsc::UnboundedSender<(Work, Unfinished)>>,
    /// Steps sent and not finished: when the engine is dropped, any left were abandoned.
    unfinished: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread and waits until its runtime and client are made.
    async fn start(options: ClientOptions) -> Result<Worker, StartError> {
        let (queue, receiver) = mpsc::unbounded_channel();
        let (ready, started) = oneshot::channel();
        let unfinished = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name("mongrate-js-io".to_owned())
            .stack_size(THREAD_STACK)
            .spawn({
                let options = options.clone();
                move || serve(options, receiver, ready)
            })
            .map_err(StartError::Thread)?;
        let worker = Worker { options, queue: Some(queue), unfinished, thread: Some(thread) };
        match started.await {
            Ok(Ok(())) => Ok(worker),
            Ok(Err(error)) => Err(error),
            Err(_) => {
                Err(StartError::Thread(std::io::Error::other("the JavaScript engine's I/O thread ended at its start")))
            }
        }
    }

    /// Queues `work`; gives it back when the thread has ended.
    fn send(&self, work: Work) -> Result<(), Work> {
        let Some(queue) = &self.queue else { return Err(work) };
        queue.send((work, Unfinished::new(&self.unfinished))).map_err(|unsent| unsent.0.0)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop.
        self.queue = None;
        let Some(thread) = self.thread.take() else { return };
        if self.unfinished.load(Ordering::SeqCst) == 0 {
            let _ = thread.join();
        }
    }
}

/// The thread: makes the runtime and the client, runs each step as a task, and when the queue
/// closes lets the steps left end and shuts the client down.
fn serve(
    options: ClientOptions,
    mut queue: mpsc::UnboundedReceiver<(Work, Unfinished)>,
    ready: oneshot::Sender<Result<(), StartError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(StartError::Runtime(error)));
            return;
        }
    };
    let steps = LocalSet::new();
    let client = steps.block_on(&runtime, async {
        // Made inside the runtime: the client starts its monitoring tasks on it.
        let client = match Client::with_options(options) {
            Ok(client) => client,
            Err(error) => {
                let _ = ready.send(Err(StartError::Client(error)));
                return None;
            }
        };
        let _ = ready.send(Ok(()));
        while let Some((work, unfinished)) = queue.recv().await {
            tokio::task::spawn_local(work(client.clone(), unfinished));
        }
        Some(client)
    });
    // Steps abandoned by their callers end once their code runs again (it is told to stop).
    runtime.block_on(steps);
    if let Some(client) = client {
        runtime.block_on(async {
            let _ = tokio::time::timeout(SHUTDOWN_LIMIT, client.shutdown().immediate(true)).await;
        });
    }
}
