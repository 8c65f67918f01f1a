//! Test fixtures: real databases started by the suite, and a project directory to run the built
//! `mongrate` binary in.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use mongrate_testkit::test_servers::server_url;
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

/// The PostgreSQL server of this test process: `MONGRATE_TEST_POSTGRES_URL`, or a throw-away
/// cluster started by tools/pg-test-server.sh.
fn postgres_server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| server_url("MONGRATE_TEST_POSTGRES_URL", "pg-test-server.sh", "PostgreSQL"))
}

/// The MongoDB-wire server of this test process: `MONGRATE_TEST_MONGODB_URI` (a real MongoDB),
/// or FerretDB started by tools/ferretdb-test-server.sh.
fn mongodb_server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| server_url("MONGRATE_TEST_MONGODB_URI", "ferretdb-test-server.sh", "FerretDB"))
}

/// A fresh database name on the test MongoDB server, as a URL.
pub fn fresh_mongodb_url() -> String {
    MongoUrl::parse(mongodb_server()).with_database(&unique_name("m"))
}

/// A MongoDB URL in its parts, so that a test can change the database and keep the rest:
/// `mongodb://[user:password@]hosts[/database][?options]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MongoUrl {
    /// `mongodb://[user:password@]hosts`.
    pub server: String,
    /// The path's database; empty when the URL names none.
    pub database: String,
    /// `?options`, or empty.
    pub query: String,
}

impl MongoUrl {
    pub fn parse(url: &str) -> MongoUrl {
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (url, String::new()),
        };
        let after_scheme = base.find("://").map(|i| i + 3).expect("a URL with a scheme");
        // A password may not hold a bare '/', so the first one after the credentials ends the hosts.
        let hosts_start = base[after_scheme..].rfind('@').map(|i| after_scheme + i + 1).unwrap_or(after_scheme);
        let hosts_end = base[hosts_start..].find('/').map(|i| hosts_start + i).unwrap_or(base.len());
        let database = base[hosts_end..].trim_start_matches('/').to_owned();
        MongoUrl { server: base[..hosts_end].to_owned(), database, query }
    }

    /// The same server, credentials and options, with `database` as the path (empty: none).
    /// Credentials checked against the path's database (SCRAM's default) keep being checked there.
    pub fn with_database(&self, database: &str) -> String {
        let options = self.query.to_ascii_lowercase();
        let scram = !options.contains("authmechanism=") || options.contains("authmechanism=scram");
        let query = if self.server.contains('@') && scram && !options.contains("authsource=") {
            let source = if self.database.is_empty() { "admin" } else { &self.database };
            let separator = if self.query.is_empty() { '?' } else { '&' };
            format!("{}{separator}authSource={source}", self.query)
        } else {
            self.query.clone()
        };
        format!("{}/{database}{query}", self.server)
    }
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

/// Copies the folder `from` into `to`, folders and all (fixtures into a project).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
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

/// Text of the MongoDB driver's debugging dump (its `Display` of an error), which no message of
/// mongrate may show.
const DRIVER_DUMP_MARKERS: &[&str] =
    &["Kind:", "labels:", "source: None", "RawDocumentBuf", "server response: Some(", "Error {"];

/// The result of one `mongrate` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The outcome of a finished `mongrate` process. Every run of the suite comes through here,
    /// so every test checks for free that no output shows the driver's debugging text.
    #[track_caller]
    pub fn of(output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            if let Some(marker) = DRIVER_DUMP_MARKERS.iter().find(|marker| text.contains(*marker)) {
                panic!("mongrate's {name} shows the MongoDB driver's debugging text ({marker:?}):\n{text}");
            }
        }
        run
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

/// A `mongrate` command in a directory, with no URL leaking in from the environment. Its output
/// is only to be had through [`Run::of`], which checks it.
pub struct Mongrate(pub Command);

impl Mongrate {
    pub fn new(dir: &Path) -> Mongrate {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mongrate"));
        command
            .current_dir(dir)
            .env_remove("MONGRATE_URL")
            .env_remove("DATABASE_URL")
            .env_remove("MONGO_URI")
            .stdin(Stdio::null());
        Mongrate(command)
    }

    pub fn arg(&mut self, arg: impl AsRef<std::ffi::OsStr>) -> &mut Mongrate {
        self.0.arg(arg);
        self
    }

    pub fn args<S: AsRef<std::ffi::OsStr>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Mongrate {
        self.0.args(args);
        self
    }

    pub fn env(&mut self, key: impl AsRef<std::ffi::OsStr>, value: impl AsRef<std::ffi::OsStr>) -> &mut Mongrate {
        self.0.env(key, value);
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<std::ffi::OsStr>) -> &mut Mongrate {
        self.0.env_remove(key);
        self
    }

    /// Runs to the end.
    #[track_caller]
    pub fn run(&mut self) -> Run {
        Run::of(self.0.output().expect("mongrate runs"))
    }

    /// Starts it in the background, its output captured.
    pub fn spawn(&mut self) -> Runner {
        Runner(self.0.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mongrate starts"))
    }
}

/// A `mongrate` running in the background.
pub struct Runner(Child);

impl Runner {
    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// Whether it has exited (it is then reaped; `finish` still gives its output).
    pub fn has_exited(&mut self) -> bool {
        self.0.try_wait().ok().flatten().is_some()
    }

    /// Kills it (SIGKILL) and reaps it; its output is dropped.
    pub fn kill(mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reaped");
    }

    /// Waits for it to end.
    #[track_caller]
    pub fn finish(self) -> Run {
        Run::of(self.0.wait_with_output().expect("mongrate finishes"))
    }

    /// Waits for it at most `limit`: one still running then is killed and the test fails, so a
    /// process that hangs at exit fails the test instead of blocking the suite.
    #[track_caller]
    pub fn finish_within(self, limit: Duration) -> Run {
        let pid = self.0.id();
        let (sender, receiver) = std::sync::mpsc::channel();
        let child = self.0;
        std::thread::spawn(move || {
            let _ = sender.send(child.wait_with_output());
        });
        match receiver.recv_timeout(limit) {
            Ok(output) => Run::of(output.expect("mongrate's output")),
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                panic!("mongrate did not exit within {limit:?}");
            }
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

    /// A `mongrate` command bound to this project's database.
    pub fn command(&self, args: &[&str]) -> Mongrate {
        let mut command = Mongrate::new(self.path());
        command.arg("--url").arg(&self.url).args(args);
        command
    }

    /// A `mongrate` command in this project's directory with no URL but what the project gives.
    pub fn bare(&self) -> Mongrate {
        Mongrate::new(self.path())
    }

    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).run()
    }

    pub fn spawn(&self, args: &[&str]) -> Runner {
        self.command(args).spawn()
    }

    /// Runs `mongrate` and fails the test if it has not exited within `limit`.
    pub fn run_within(&self, args: &[&str], limit: Duration) -> Run {
        self.spawn(args).finish_within(limit)
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

    /// Makes lookups by `_id` in `collection` fast on the suite's own FerretDB server (v1.24 on
    /// SQLite): it indexes `_id` under one expression and looks documents up by another, which
    /// SQLite does not match with that index, so every `updateOne({_id})` reads the whole table
    /// (180 ms at 50,000 documents). This adds an index on the expression the lookups use, as
    /// `bench/js_transform.sh` does; FerretDB never sees it. Any other server indexes `_id`
    /// already, and its files are not ours: nothing is done there.
    pub fn index_id_lookups(&self, collection: &str) {
        let Some(data) =
            mongrate_testkit::test_servers::own_server_data("MONGRATE_TEST_MONGODB_URI", "ferretdb-test-server.sh")
        else {
            return;
        };
        let database = MongoUrl::parse(&self.url).database;
        let file = data.join(format!("{database}.sqlite"));
        let sql = format!(".timeout 60000\nSELECT table_name FROM _ferretdb_collections WHERE name = '{collection}';");
        let table = Command::new("sqlite3").arg(&file).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(
            |mut child| {
                use std::io::Write as _;
                child.stdin.take().expect("stdin").write_all(sql.as_bytes())?;
                child.wait_with_output()
            },
        );
        let table = table.expect("sqlite3 runs (tools/setup.sh installs it)");
        let table = String::from_utf8_lossy(&table.stdout).trim().to_owned();
        assert!(!table.is_empty(), "FerretDB has no table for {collection} in {}", file.display());
        let index = format!(
            ".timeout 60000\nCREATE INDEX IF NOT EXISTS \"{table}__id_lookup\" ON \"{table}\" (_ferretdb_sjson->'$._id');"
        );
        let created = Command::new("sqlite3")
            .arg(&file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child.stdin.take().expect("stdin").write_all(index.as_bytes())?;
                child.wait_with_output()
            });
        let created = created.expect("sqlite3 runs");
        assert!(created.status.success(), "indexing _id lookups: {}", String::from_utf8_lossy(&created.stderr));
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

mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn mongodb_urls_keep_credentials_and_options() {
        let url = MongoUrl::parse("mongodb://user:p%2Fw@h1:1,h2:2/app?authMechanism=SCRAM-SHA-256&authSource=admin");
        assert_eq!(url.server, "mongodb://user:p%2Fw@h1:1,h2:2");
        assert_eq!(url.database, "app");
        assert_eq!(url.query, "?authMechanism=SCRAM-SHA-256&authSource=admin");
        assert_eq!(
            url.with_database("other"),
            "mongodb://user:p%2Fw@h1:1,h2:2/other?authMechanism=SCRAM-SHA-256&authSource=admin"
        );
        let bare = MongoUrl::parse("mongodb://127.0.0.1:27017/");
        assert_eq!(
            (bare.server.as_str(), bare.database.as_str(), bare.query.as_str()),
            ("mongodb://127.0.0.1:27017", "", "")
        );
        assert_eq!(MongoUrl::parse("mongodb://h?replicaSet=rs0").with_database("x"), "mongodb://h/x?replicaSet=rs0");
        // The user of `mongodb://u:p@h/users` is checked in `users`, wherever the path points later.
        assert_eq!(MongoUrl::parse("mongodb://u:p@h/users").with_database("x"), "mongodb://u:p@h/x?authSource=users");
        assert_eq!(
            MongoUrl::parse("mongodb://u:p@h/?tls=true").with_database(""),
            "mongodb://u:p@h/?tls=true&authSource=admin"
        );
        let x509 = "mongodb://CN=me@h/?authMechanism=MONGODB-X509";
        assert_eq!(MongoUrl::parse(x509).with_database("x"), "mongodb://CN=me@h/x?authMechanism=MONGODB-X509");
    }

    fn output(stderr: &str) -> Output {
        Output { status: std::process::ExitStatus::from_raw(0), stdout: Vec::new(), stderr: stderr.as_bytes().to_vec() }
    }

    #[test]
    #[should_panic(expected = "debugging text")]
    fn a_driver_dump_in_the_output_fails_the_test() {
        Run::of(output("cannot connect: Kind: I/O error: refused, labels: {}, source: None, server response: None"));
    }

    #[test]
    fn clean_output_passes_the_check() {
        assert_eq!(Run::of(output("dropIndex users email_1: IndexNotFound (27): no such index")).code, 0);
    }
}
