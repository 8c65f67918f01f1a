//! Test fixtures: real databases started by the suite, and a project directory to run the built
//! `mongrate` binary in.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// FerretDB started by the suite, or the server of `MONGRATE_TEST_MONGODB_URI`.
    Mongo,
}

/// Starts a test server with one of the tools/*-test-server.sh scripts; it stops when this test
/// process ends. Fails with the command that fixes a missing server.
fn start_test_server(script: &str, name: &str, variable: &str) -> String {
    let dir = std::env::temp_dir().join(format!("mongrate-test-{script}-{}", std::process::id()));
    let output = Command::new("bash")
        .arg(repo_root().join("tools").join(script))
        .arg("start")
        .arg(&dir)
        .arg(std::process::id().to_string())
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "could not start the {name} test server: {}\nRun `bash tools/setup.sh` (it installs and builds the test servers), \
         or set {variable} to a server the tests may create databases on.",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The PostgreSQL server of this test process: `MONGRATE_TEST_POSTGRES_URL`, or a throw-away
/// cluster started by tools/pg-test-server.sh.
fn postgres_server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| {
        std::env::var("MONGRATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| start_test_server("pg-test-server.sh", "PostgreSQL", "MONGRATE_TEST_POSTGRES_URL"))
    })
}

/// The MongoDB-wire server of this test process: `MONGRATE_TEST_MONGODB_URI` (a real MongoDB),
/// or FerretDB started by tools/ferretdb-test-server.sh.
fn mongodb_server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| {
        std::env::var("MONGRATE_TEST_MONGODB_URI")
            .unwrap_or_else(|_| start_test_server("ferretdb-test-server.sh", "FerretDB", "MONGRATE_TEST_MONGODB_URI"))
    })
}

/// A fresh database name on the test MongoDB server, as a URL.
pub fn fresh_mongodb_url() -> String {
    let server = mongodb_server();
    let name = unique_name("m");
    // mongodb://host:port/[db][?options] → the same with our database.
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server, String::new()),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[after_scheme..].find('/').map(|i| after_scheme + i).unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..host_end])
}

/// Runs a future of the MongoDB driver from a synchronous test. One runtime for the whole test process: a driver client keeps background tasks on the runtime
/// it was created on.
pub fn block_on<F: std::future::IntoFuture>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
        })
        .block_on(future.into_future())
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// A fresh, empty PostgreSQL database on the test server.
pub fn fresh_postgres_url() -> String {
    let server = postgres_server();
    let name = unique_name("t");
    let created =
        Command::new("psql").args([server, "-qtAc", &format!("CREATE DATABASE {name}")]).output().expect("psql runs");
    assert!(created.status.success(), "CREATE DATABASE failed: {}", String::from_utf8_lossy(&created.stderr));
    let (base, _) = server.rsplit_once('/').expect("URL has a database");
    format!("{base}/{name}")
}

/// The result of one `mongrate` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// Waits for a spawned `mongrate` at most `limit`: one still running then is killed and the test
/// fails, so a process that hangs at exit fails the test instead of blocking the suite.
pub fn wait_within(child: Child, limit: Duration) -> Run {
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(limit) {
        Ok(output) => Run::from(output.expect("mongrate's output")),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            panic!("mongrate did not exit within {limit:?}");
        }
    }
}

/// A directory with `migrations/`, bound to one database.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    pub url: String,
}

impl Project {
    pub fn new(backend: Backend) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("migrations")).expect("migrations dir");
        let url = match backend {
            Backend::Sqlite => format!("sqlite:{}", dir.path().join("app.db").display()),
            Backend::Postgres => fresh_postgres_url(),
            Backend::Mongo => fresh_mongodb_url(),
        };
        Project { dir, backend, url }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// Writes `migrations/<name>`.
    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.migrations().join(name), content).expect("write migration");
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.migrations().join(name)).expect("remove migration");
    }

    /// A `mongrate` command bound to this project's database, with no URL leaking in from the
    /// environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mongrate"));
        command
            .current_dir(self.path())
            .env_remove("MONGRATE_URL")
            .env_remove("DATABASE_URL")
            .arg("--url")
            .arg(&self.url)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("mongrate runs"))
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mongrate starts")
    }

    /// Runs `mongrate` and fails the test if it has not exited within `limit`.
    pub fn run_within(&self, args: &[&str], limit: Duration) -> Run {
        wait_within(self.spawn(args), limit)
    }

    /// The MongoDB database of this project.
    pub fn mongo(&self) -> mongodb::Database {
        let url = self.url.clone();
        block_on(async move {
            let client = mongodb::Client::with_uri_str(&url).await.expect("MongoDB client");
            let name = client.default_database().expect("database in the URL").name().to_owned();
            client.database(&name)
        })
    }

    /// Runs SQL with the database's own client and returns its output, trimmed.
    pub fn sql(&self, query: &str) -> String {
        let output = match self.backend {
            Backend::Mongo => panic!("sql() on a MongoDB project"),
            Backend::Postgres => Command::new("psql").args([&self.url, "-qtAX", "-c", query]).output(),
            Backend::Sqlite => Command::new("sqlite3").arg(self.path().join("app.db")).arg(query).output(),
        }
        .expect("database client runs");
        assert!(output.status.success(), "{query}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Whether a table exists.
    pub fn has_table(&self, table: &str) -> bool {
        let query = match self.backend {
            Backend::Mongo => {
                let db = self.mongo();
                return block_on(db.list_collection_names()).expect("list collections").iter().any(|n| n == table);
            }
            Backend::Postgres => {
                format!("SELECT count(*) FROM pg_tables WHERE tablename = '{table}'")
            }
            Backend::Sqlite => format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
        };
        self.sql(&query) == "1"
    }

    /// A full dump of the database, to compare before and after.
    pub fn dump(&self) -> String {
        let output = match self.backend {
            Backend::Mongo => return crate::mongo_dump::dump(&self.mongo()),
            Backend::Postgres => {
                Command::new("pg_dump").args(["--no-owner", "--restrict-key=mongratetest", &self.url]).output()
            }
            Backend::Sqlite => Command::new("sqlite3").arg(self.path().join("app.db")).arg(".dump").output(),
        }
        .expect("dump runs");
        assert!(output.status.success(), "dump: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Statements a migration may use to take a while, to hold the lock in concurrency tests.
    pub fn slow_statement(&self, seconds: u32) -> String {
        match self.backend {
            Backend::Mongo => panic!("MongoDB migrations have no statements"),
            Backend::Postgres => format!("SELECT pg_sleep({seconds});"),
            // A busy loop: SQLite has no sleep.
            Backend::Sqlite => format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) SELECT count(*) FROM c;",
                seconds * 1_500_000
            ),
        }
    }
}

/// Runs a test body once against SQLite and once against PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident => $body:expr;)*) => {
        $(
            mod $name {
                use super::*;
                #[test]
                fn sqlite() {
                    ($body)(Project::new(Backend::Sqlite));
                }
                #[test]
                fn postgres() {
                    ($body)(Project::new(Backend::Postgres));
                }
            }
        )*
    };
}
