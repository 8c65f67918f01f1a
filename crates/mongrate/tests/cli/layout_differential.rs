//! Differential tests of the SQL layouts mongrate reads as they are: each folder of
//! `tests/fixtures/layouts/` runs through the real tool (tests/cli/peer_tools.rs) on one fresh
//! database and through mongrate on another of the same kind, and the two must agree after `up`
//! and after every single step down (the tool's own one-step down against `mongrate down`), all
//! the way down and up again: the same schema (PostgreSQL: `pg_dump --schema-only`; SQLite: the
//! `sqlite_master` text), the same rows in every table and view, and the same applied list in the
//! tool's own status as in `mongrate status --json`. Each tool's changelog table and mongrate's
//! own tables are left out of the comparison: they are the one thing meant to differ.

use std::path::Path;

use crate::peer_tools::{Db, Tool};
use crate::support::{Backend, Project, copy_dir, repo_root};

fn fixtures() -> std::path::PathBuf {
    repo_root().join("crates/mongrate/tests/fixtures/layouts")
}

/// The table the tool keeps its changelog in, left out of the comparison.
fn changelog_of(tool: Tool) -> &'static str {
    match tool {
        Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
        Tool::Sqlx => "_sqlx_migrations",
        Tool::Flyway => "flyway_schema_history",
        Tool::Diesel => "__diesel_schema_migrations",
    }
}

/// The same fixture folder on two fresh databases of one kind: `theirs` for the tool, `ours` for
/// mongrate.
struct Side {
    tool: Tool,
    theirs: Project,
    ours: Project,
}

impl Side {
    fn new(tool: Tool, folder: &str, backend: Backend) -> Side {
        let (theirs, ours) = (Project::new(backend), Project::new(backend));
        for project in [&theirs, &ours] {
            copy_dir(&fixtures().join(folder), &project.migrations());
        }
        if tool == Tool::Flyway {
            // mongrate reads the flyway.conf beside its configuration, as a Flyway project keeps it.
            std::fs::copy(fixtures().join("flyway.conf"), ours.path().join("flyway.conf")).expect("flyway.conf");
        }
        Side { tool, theirs, ours }
    }

    /// The tool's database, with golang-migrate's `x-no-tx-wrap=true` on SQLite: without it
    /// its sqlite3 driver wraps every file in a transaction, which the file with its own
    /// `BEGIN`/`COMMIT` and the `VACUUM` cannot run in (a golang-migrate project on SQLite with
    /// such files sets it too).
    fn db(&self) -> Db {
        let file = self.theirs.path().join("app.db");
        match (self.theirs.backend, self.tool) {
            (Backend::Postgres, _) => Db::Postgres(self.theirs.url.clone()),
            (Backend::Sqlite, Tool::GolangMigrate) => {
                Db::Url(format!("sqlite3://{}?x-no-tx-wrap=true", file.display()))
            }
            (Backend::Sqlite, _) => Db::Sqlite(file),
            (Backend::Mongo, _) => panic!("the SQL tools do not run on MongoDB"),
        }
    }

    #[track_caller]
    fn tool(&self, args: &[&str]) -> crate::peer_tools::ToolRun {
        self.tool.run_ok(&self.db(), &self.theirs.migrations(), args)
    }

    /// The tool applies every migration; mongrate runs `up`.
    fn up(&self) {
        match self.tool {
            Tool::GolangMigrate => self.tool(&["up"]),
            Tool::Sqlx => self.tool(&["migrate", "run"]),
            Tool::Dbmate => self.tool(&["migrate"]),
            // The placeholders of the folder's flyway.conf, as Flyway reads a configuration file.
            Tool::Flyway => {
                let conf = format!("-configFiles={}", fixtures().join("flyway.conf").display());
                self.tool(&[&conf, "migrate"])
            }
            Tool::Diesel => self.tool(&["migration", "run"]),
        };
        self.ours.run(&["up"]).expect(0);
    }

    /// Each reverts its newest migration: the tool with its own one-step down, mongrate with
    /// `down` (the newest one by default).
    fn down_one(&self) {
        match self.tool {
            Tool::GolangMigrate => self.tool(&["down", "1"]),
            Tool::Sqlx => self.tool(&["migrate", "revert"]),
            Tool::Dbmate => self.tool(&["rollback"]),
            Tool::Diesel => self.tool(&["migration", "revert"]),
            Tool::Flyway => panic!("Flyway Community does not undo"),
        };
        self.ours.run(&["down"]).expect(0);
    }

    /// The applied list of the tool's own status, each as mongrate shows its version.
    fn tool_applied(&self) -> Vec<String> {
        let digits = |name: &str| -> String {
            let head = name.split('_').next().unwrap_or("");
            let digits: String = head.chars().filter(|c| *c != '-').collect();
            assert!(!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()), "no version in {name}");
            let trimmed = digits.trim_start_matches('0');
            if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
        };
        // dbmate's and diesel's lists: `[X] <file or folder>` for an applied one.
        let marked = |text: &str| -> Vec<String> {
            text.lines().filter_map(|line| line.trim().strip_prefix("[X] ")).map(digits).collect()
        };
        match self.tool {
            // golang-migrate keeps only its current version: every file up to it is applied.
            Tool::GolangMigrate => {
                let run = self.tool.run(&self.db(), &self.theirs.migrations(), &["version"]);
                if !run.success {
                    assert!(run.stderr.contains("no migration"), "golang-migrate version: {run:?}");
                    return Vec::new();
                }
                let current = run.stderr.trim();
                assert!(!current.ends_with("(dirty)"), "golang-migrate is dirty: {run:?}");
                let current: u64 = current.parse().unwrap_or_else(|_| panic!("golang-migrate version: {run:?}"));
                let mut versions: Vec<u64> = std::fs::read_dir(self.theirs.migrations())
                    .expect("migrations")
                    .filter_map(|e| {
                        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
                        name.ends_with(".up.sql").then(|| digits(&name).parse().expect("a number"))
                    })
                    .collect();
                versions.sort();
                versions.into_iter().filter(|v| *v <= current).map(|v| v.to_string()).collect()
            }
            Tool::Sqlx => {
                let run = self.tool(&["migrate", "info"]);
                let mut out = Vec::new();
                for line in run.stdout.lines() {
                    let Some((version, state)) = line.split_once('/') else { continue };
                    if state.starts_with("installed") {
                        out.push(digits(version));
                    } else {
                        assert!(state.starts_with("pending"), "sqlx migrate info: {line}");
                    }
                }
                out
            }
            Tool::Dbmate => marked(&self.tool(&["status"]).stdout),
            Tool::Diesel => marked(&self.tool(&["migration", "list"]).stdout),
            // Versions as Flyway shows them (`1.10`, `2.1`); a repeatable one by its file's name,
            // as mongrate keys it.
            Tool::Flyway => {
                let run = self.tool(&["-outputType=json", "info"]);
                let info: serde_json::Value = serde_json::from_str(&run.stdout)
                    .unwrap_or_else(|e| panic!("Flyway's info is not JSON ({e}): {}", run.stdout));
                let mut out = Vec::new();
                for migration in info["migrations"].as_array().expect("migrations") {
                    let state = migration["state"].as_str().unwrap_or("");
                    assert!(matches!(state, "Success" | "Pending"), "Flyway's state {state}: {migration}");
                    if state != "Success" {
                        continue;
                    }
                    match migration["version"].as_str().unwrap_or("") {
                        "" => {
                            let path = migration["filepath"].as_str().expect("a file");
                            let name = Path::new(path).file_stem().expect("a name").to_string_lossy();
                            out.push(name.into_owned());
                        }
                        version => out.push(version.to_owned()),
                    }
                }
                out
            }
        }
    }

    /// The applied list of `mongrate status --json`.
    fn our_applied(&self) -> Vec<String> {
        let status = self.ours.run(&["status", "--json"]).expect(0).json();
        status["applied"]
            .as_array()
            .expect("applied")
            .iter()
            .map(|e| e["version"].as_str().expect("a version").to_owned())
            .collect()
    }

    /// Both databases and both statuses agree; returns the applied list.
    #[track_caller]
    fn agree(&self, after: &str) -> Vec<String> {
        let (theirs, ours) = (state(&self.theirs, self.tool), state(&self.ours, self.tool));
        assert_eq!(ours, theirs, "{} and mongrate left different databases after {after}", self.tool.name());
        let (tool_applied, our_applied) = (self.tool_applied(), self.our_applied());
        assert_eq!(our_applied, tool_applied, "applied after {after}: mongrate, then {}", self.tool.name());
        our_applied
    }
}

/// The schema and the rows of a database, without the tool's changelog and mongrate's tables.
fn state(project: &Project, tool: Tool) -> String {
    let skip = changelog_of(tool);
    let (schema, relations) = match project.backend {
        Backend::Postgres => {
            let dump = std::process::Command::new("pg_dump")
                .args(["--schema-only", "--no-owner", "--no-privileges", "--restrict-key=differential"])
                .args(["--exclude-table=public.mongrate_*", &format!("--exclude-table=public.{skip}"), &project.url])
                .output()
                .expect("pg_dump runs (tools/setup.sh installs it)");
            assert!(dump.status.success(), "pg_dump: {}", String::from_utf8_lossy(&dump.stderr));
            // The versions of the server and of pg_dump are all that differs between two dumps.
            let schema: Vec<&str> = std::str::from_utf8(&dump.stdout)
                .expect("UTF-8 dump")
                .lines()
                .filter(|line| !line.starts_with("-- Dumped from") && !line.starts_with("-- Dumped by"))
                .collect();
            let relations = project.sql(&format!(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' \
                 AND table_name NOT LIKE 'mongrate\\_%' AND table_name <> '{skip}' ORDER BY 1"
            ));
            (schema.join("\n"), relations)
        }
        Backend::Sqlite => {
            // Without the automatic indexes (no text: they follow from their table's) and
            // sqlite_sequence (mongrate's AUTOINCREMENT).
            let filter = format!(
                "tbl_name NOT LIKE 'mongrate\\_%' ESCAPE '\\' AND tbl_name <> '{skip}' AND name <> 'sqlite_sequence'"
            );
            let schema = project.sql(&format!(
                "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE {filter} AND sql IS NOT NULL \
                 ORDER BY type, name"
            ));
            let relations = project.sql(&format!(
                "SELECT name FROM sqlite_master WHERE {filter} AND type IN ('table', 'view') ORDER BY name"
            ));
            (schema, relations)
        }
        Backend::Mongo => panic!("no SQL on MongoDB"),
    };
    let mut out = schema;
    for relation in relations.lines().filter(|r| !r.is_empty()) {
        let rows = project.sql(&format!("SELECT * FROM \"{relation}\" ORDER BY 1"));
        out.push_str(&format!("\n-- rows of {relation}:\n{rows}"));
    }
    out
}

/// Up, then one step down at a time all the way, then up again, agreeing at every step; returns
/// the applied list after the first up.
fn reversible(tool: Tool, folder: &str, backend: Backend) -> Vec<String> {
    let side = Side::new(tool, folder, backend);
    side.up();
    let applied = side.agree("up");
    let after_up = state(&side.ours, tool);
    assert!(after_up.contains("users") && after_up.contains("posts"), "what is compared: {after_up}");
    let pending = side.ours.run(&["status", "--json"]).expect(0).json();
    assert_eq!(pending["pending"].as_array().map(Vec::len), Some(0), "{pending}");
    for step in 1..=applied.len() {
        side.down_one();
        let left = side.agree(&format!("down step {step}"));
        assert_eq!(left, applied[..applied.len() - step], "one migration reverted by step {step}");
    }
    side.up();
    assert_eq!(side.agree("up again"), applied);
    applied
}

mod golang_migrate {
    use super::*;

    /// Versions not zero-padded (10 after 6), a file with its own BEGIN/COMMIT, a comments-only
    /// down, a missing down and VACUUM both ways.
    fn check(backend: Backend) {
        let applied = reversible(Tool::GolangMigrate, "golang-migrate", backend);
        assert_eq!(applied, ["1", "2", "3", "4", "5", "6", "10"]);
    }

    #[test]
    fn sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        check(Backend::Postgres);
    }
}

mod sqlx {
    use super::*;

    /// `-- no-transaction` and a comments-only down.
    fn check(backend: Backend) {
        let applied = reversible(Tool::Sqlx, "sqlx", backend);
        assert_eq!(applied, ["20240101000001", "20240101000002", "20240101000003"]);
    }

    #[test]
    fn sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        check(Backend::Postgres);
    }
}

/// sqlx's up-only migrations: sqlx cannot revert them (`migrate revert` finds nothing to revert)
/// and mongrate refuses to, so only up is compared, and that neither down changes anything.
mod sqlx_simple {
    use super::*;

    fn check(backend: Backend) {
        let side = Side::new(Tool::Sqlx, "sqlx-simple", backend);
        side.up();
        assert_eq!(side.agree("up"), ["1", "2", "3"]);
        let tool = side.tool(&["migrate", "revert"]);
        assert!(tool.stdout.contains("No migrations available to revert"), "{tool:?}");
        let refused = side.ours.run(&["down"]).expect(4);
        assert!(refused.stderr.contains("irreversible"), "{}", refused.stderr);
        assert_eq!(side.agree("a down of each"), ["1", "2", "3"]);
    }

    #[test]
    fn sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        check(Backend::Postgres);
    }
}

mod dbmate {
    use super::*;

    /// Comments before `-- migrate:up`, `transaction:false` both ways, an empty down section.
    fn check(backend: Backend) {
        let applied = reversible(Tool::Dbmate, "dbmate", backend);
        assert_eq!(applied, ["20240101000001", "20240101000002", "20240101000003", "20240101000004"]);
    }

    #[test]
    fn sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        check(Backend::Postgres);
    }
}

mod diesel {
    use super::*;

    /// diesel's comments-only initial setup (version 0), `run_in_transaction = false`, a
    /// comments-only down.
    fn check(backend: Backend) {
        let applied = reversible(Tool::Diesel, "diesel", backend);
        assert_eq!(applied, ["0", "20240115103000", "20240116090000", "20240117120000"]);
    }

    #[test]
    fn sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        check(Backend::Postgres);
    }
}

/// Up only: Flyway Community does not run `U…__` undo files (undo is a paid edition's), so there
/// is no down of Flyway's to compare mongrate's with. The repeatable `R__settings_view.sql` must be
/// applied in both, after the versioned ones; the placeholders come from the same flyway.conf.
mod flyway {
    use super::*;

    fn check(backend: Backend) {
        let side = Side::new(Tool::Flyway, "flyway", backend);
        side.up();
        let applied = side.agree("up");
        assert_eq!(applied, ["1", "1.1", "1.2", "1.10", "2", "2.1", "3", "2024.01.15.1", "R__settings_view"]);
        let schema = if backend == Backend::Postgres { "public" } else { "main" };
        assert_eq!(side.theirs.sql("SELECT note FROM app_audit"), format!("V3__placeholders.sql on {schema}"));
    }

    #[test]
    fn sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        check(Backend::Postgres);
    }
}
