//! The other migration tools, run for real: golang-migrate, sqlx-cli, dbmate, diesel_cli and
//! Flyway, as tools/peers/install.sh (run by tools/setup.sh) installed them at the versions of
//! tools/peers/versions. A missing tool fails the test that needs it, saying how to install it:
//! no test is skipped for want of one.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One of the other tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    GolangMigrate,
    Sqlx,
    Dbmate,
    Flyway,
    Diesel,
}

impl Tool {
    /// The name `mongrate import` takes, and the folder of its fixtures.
    pub fn name(self) -> &'static str {
        match self {
            Tool::GolangMigrate => "golang-migrate",
            Tool::Sqlx => "sqlx",
            Tool::Dbmate => "dbmate",
            Tool::Flyway => "flyway",
            Tool::Diesel => "diesel",
        }
    }

    /// Its directory in the cache, the key of its pin in tools/peers/versions and its binary there.
    fn install(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Tool::GolangMigrate => ("golang-migrate", "GOLANG_MIGRATE", "bin/migrate"),
            Tool::Sqlx => ("sqlx-cli", "SQLX_CLI", "bin/sqlx"),
            Tool::Dbmate => ("dbmate", "DBMATE", "bin/dbmate"),
            Tool::Flyway => ("flyway", "FLYWAY", "lib"),
            Tool::Diesel => ("diesel_cli", "DIESEL_CLI", "bin/diesel"),
        }
    }

    /// Where it is installed: its binary (Flyway: the folder of its jars). Panics, failing the
    /// test, when it is not there.
    pub fn path(self) -> PathBuf {
        let (folder, key, binary) = self.install();
        let version = pinned(key);
        let path = cache_root().join(format!("{folder}-{version}")).join(binary);
        assert!(
            path.exists(),
            "{} {version} is not installed at {}: run tools/setup.sh (tools/peers/install.sh installs it)",
            self.name(),
            path.display()
        );
        path
    }

    /// Runs the tool with `args` against `db`, reading migrations from `dir`, in a directory of
    /// its own (so that no configuration file of the tool is picked up).
    pub fn run(self, db: &Db, dir: &Path, args: &[&str]) -> ToolRun {
        let cwd = tempfile::tempdir().expect("temp dir");
        let dir = dir.to_str().expect("UTF-8 path");
        let mut command = match self {
            Tool::GolangMigrate => {
                let mut command = Command::new(self.path());
                command.args(["-path", dir, "-database", &db.url_for(self)]);
                command
            }
            Tool::Sqlx => {
                let mut command = Command::new(self.path());
                let (first, rest) = args.split_first().expect("a sqlx command");
                command.args([first, &rest[0]]).args(["--source", dir, "--database-url", &db.url_for(self)]);
                return finish(self, command.args(&rest[1..]).current_dir(cwd.path()), args);
            }
            Tool::Dbmate => {
                let mut command = Command::new(self.path());
                command.args(["--url", &db.url_for(self), "--migrations-dir", dir, "--no-dump-schema"]);
                command
            }
            Tool::Diesel => {
                let mut command = Command::new(self.path());
                let (first, rest) = args.split_first().expect("a diesel command");
                command.args([first, &rest[0]]).args(["--migration-dir", dir, "--database-url", &db.url_for(self)]);
                return finish(self, command.args(&rest[1..]).current_dir(cwd.path()), args);
            }
            Tool::Flyway => {
                let mut command = Command::new("java");
                let classpath = format!("{}/*", self.path().display());
                command
                    .args(["-cp", &classpath, "org.flywaydb.commandline.Main"])
                    .arg(format!("-url={}", db.url_for(self)))
                    .arg(format!("-locations=filesystem:{dir}"))
                    // No update check (it waits for a connection that cannot be made here) and
                    // no telemetry.
                    .arg("-skipCheckForUpdate")
                    .env("REDGATE_DISABLE_TELEMETRY", "true");
                command
            }
        };
        finish(self, command.args(args).current_dir(cwd.path()), args)
    }

    /// Runs it and fails the test unless it succeeded.
    #[track_caller]
    pub fn run_ok(self, db: &Db, dir: &Path, args: &[&str]) -> ToolRun {
        let run = self.run(db, dir, args);
        assert!(run.success, "{} {args:?} failed:\nstdout:\n{}\nstderr:\n{}", self.name(), run.stdout, run.stderr);
        run
    }
}

fn finish(tool: Tool, command: &mut Command, args: &[&str]) -> ToolRun {
    let output = command.output().unwrap_or_else(|e| panic!("{} {args:?} could not start: {e}", tool.name()));
    ToolRun {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// What one run of a tool printed.
#[derive(Debug)]
pub struct ToolRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// A database, as each tool wants it named.
pub enum Db {
    /// `postgres://user@host:port/database`, as the test server gives it.
    Postgres(String),
    /// The SQLite file.
    Sqlite(PathBuf),
    /// A URL given to the tool as it is: for options only one tool takes (golang-migrate's
    /// `sqlite3://file?x-no-tx-wrap=true`).
    Url(String),
}

impl Db {
    /// The URL `tool` takes for this database.
    pub fn url_for(&self, tool: Tool) -> String {
        match self {
            Db::Postgres(url) => {
                let separator = if url.contains('?') { '&' } else { '?' };
                match tool {
                    Tool::Flyway => {
                        let rest = url.split_once("://").expect("a URL").1;
                        let (user, server) = rest.split_once('@').unwrap_or(("", rest));
                        format!("jdbc:postgresql://{server}{separator}user={user}")
                    }
                    Tool::Diesel => url.clone(),
                    _ => format!("{url}{separator}sslmode=disable"),
                }
            }
            Db::Sqlite(file) => {
                let file = file.display();
                match tool {
                    Tool::GolangMigrate => format!("sqlite3://{file}"),
                    Tool::Sqlx => format!("sqlite://{file}?mode=rwc"),
                    Tool::Dbmate => format!("sqlite:{file}"),
                    Tool::Flyway => format!("jdbc:sqlite:{file}"),
                    Tool::Diesel => file.to_string(),
                }
            }
            Db::Url(url) => url.clone(),
        }
    }
}

/// `${MONGRATE_PEER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mongrate/peer-tools}`, as
/// tools/peers/install.sh has it.
fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("MONGRATE_PEER_TOOLS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache"));
    cache.join("mongrate/peer-tools")
}

/// The version tools/peers/versions pins for `key`.
fn pinned(key: &str) -> String {
    let path = crate::support::repo_root().join("tools/peers/versions");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, version)| version.trim().to_owned())
        .unwrap_or_else(|| panic!("{} pins no {key}", path.display()))
}
