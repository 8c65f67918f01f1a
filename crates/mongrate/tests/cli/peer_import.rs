//! `mongrate import golang-migrate | sqlx | dbmate | flyway | diesel` against the real tools
//! (tests/cli/peer_tools.rs), on PostgreSQL and SQLite. The tool applies the first half of a
//! fixture set written in its own layout (tests/fixtures/peers/<tool>/), then mongrate imports the
//! tool's table: `mongrate status` must list the same applied and pending migrations as the tool's
//! own status, a dry run writes nothing, a second import imports nothing, and `mongrate up` applies
//! the rest, one of which alters the tool's own table (mongrate leaves that table as it is).
//! golang-migrate's dirty flag and a failed Flyway row come in as failed migrations with the
//! choices, and `up` stops at them. mongrate reads the tool's own directory as it is (its layout),
//! the same directory the tool ran.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha384};

use crate::peer_tools::{Db, Tool};
use crate::support::{Backend, Project, Run, copy_dir, repo_root};

/// One migration of a fixture set: its version (none for a repeatable one) and the files or
/// folder it is made of.
#[derive(Debug, Clone)]
struct FixtureMigration {
    version: Option<String>,
    entries: Vec<PathBuf>,
}

fn fixture_dir(tool: Tool) -> PathBuf {
    repo_root().join("crates/mongrate/tests/fixtures/peers").join(tool.name())
}

/// The version a tool reads from one of its file or folder names: the leading digits (golang-
/// migrate, sqlx, dbmate), after `V` with dots (Flyway, `V1.10__x.sql` → `1.10`), the date and
/// time's digits (diesel). None for a repeatable migration (Flyway's `R__`).
fn version_in(tool: Tool, name: &str) -> Option<String> {
    if tool == Tool::Flyway {
        let version = name.strip_prefix('V')?.split("__").next()?.replace('_', ".");
        let parts: Vec<&str> = version.split('.').collect();
        return parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())).then_some(version);
    }
    let digits: String = name.split('_').next()?.chars().filter(|c| *c != '-').collect();
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| trim_zeros(&digits))
}

/// A version's numbers, to order versions as the tools do (`1.2` < `1.10` < `2`).
fn numbers(version: &str) -> Vec<u64> {
    version.split('.').map(|n| n.parse().expect("a number")).collect()
}

fn trim_zeros(version: &str) -> String {
    let trimmed = version.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
}

/// The fixture set, versioned migrations in version order, then the repeatable ones.
fn fixture_migrations(tool: Tool) -> Vec<FixtureMigration> {
    let dir = fixture_dir(tool);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut migrations: Vec<FixtureMigration> = Vec::new();
    for name in names {
        let version = version_in(tool, &name);
        match migrations.iter_mut().find(|m| version.is_some() && m.version == version) {
            Some(migration) => migration.entries.push(dir.join(&name)),
            None => migrations.push(FixtureMigration { version, entries: vec![dir.join(&name)] }),
        }
    }
    migrations.sort_by_key(|m| (m.version.is_none(), m.version.as_deref().map(numbers)));
    assert!(migrations.len() >= 4, "the fixture set {} is missing", dir.display());
    migrations
}

/// The first half of the versioned migrations with the repeatable ones (what the tool applies),
/// and the rest.
fn halves(fixture: &[FixtureMigration]) -> (Vec<FixtureMigration>, Vec<FixtureMigration>) {
    let half = fixture.iter().filter(|m| m.version.is_some()).count() / 2;
    let (first, rest): (Vec<_>, Vec<_>) =
        fixture.iter().enumerate().partition(|(index, migration)| *index < half || migration.version.is_none());
    let strip = |list: Vec<(usize, &FixtureMigration)>| list.into_iter().map(|(_, m)| m.clone()).collect();
    (strip(first), strip(rest))
}

fn copy_into(migration: &FixtureMigration, dir: &Path) {
    for entry in &migration.entries {
        let to = dir.join(entry.file_name().expect("a name"));
        if entry.is_dir() {
            copy_dir(entry, &to);
        } else {
            std::fs::copy(entry, &to).expect("copy");
        }
    }
}

fn db_of(project: &Project) -> Db {
    match project.backend {
        Backend::Postgres => Db::Postgres(project.url.clone()),
        Backend::Sqlite => Db::Sqlite(project.path().join("app.db")),
        Backend::Mongo => panic!("the SQL tools do not run on MongoDB"),
    }
}

/// The table `tool` keeps its changelog in.
fn table_of(tool: Tool) -> &'static str {
    match tool {
        Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
        Tool::Sqlx => "_sqlx_migrations",
        Tool::Flyway => "flyway_schema_history",
        Tool::Diesel => "__diesel_schema_migrations",
    }
}

/// Has the tool apply every migration in `dir`.
fn tool_up(tool: Tool, db: &Db, dir: &Path) {
    match tool {
        Tool::GolangMigrate => tool.run_ok(db, dir, &["up"]),
        Tool::Sqlx => tool.run_ok(db, dir, &["migrate", "run"]),
        Tool::Dbmate => tool.run_ok(db, dir, &["migrate"]),
        Tool::Flyway => tool.run_ok(db, dir, &["migrate"]),
        Tool::Diesel => tool.run_ok(db, dir, &["migration", "run"]),
    };
}

/// What a tool's own status shows.
#[derive(Debug, Default)]
struct ToolStatus {
    /// Versions applied, in order.
    applied: Vec<String>,
    /// Versions pending, in order.
    pending: Vec<String>,
    /// Flyway's repeatable migrations: each one's key as mongrate gives it (`R__<name>`) and the
    /// states Flyway lists for it (`Success`; `Outdated` and `Pending` once it changed).
    repeatables: Vec<(String, Vec<String>)>,
}

/// What the tool's own status shows of the directory.
fn tool_status(tool: Tool, db: &Db, dir: &Path, fixture: &[FixtureMigration]) -> ToolStatus {
    let mut status = ToolStatus::default();
    let ToolStatus { applied, pending, repeatables } = &mut status;
    match tool {
        // golang-migrate shows only its current version: the others are applied up to it.
        Tool::GolangMigrate => {
            let run = tool.run_ok(db, dir, &["version"]);
            let current = run.stderr.trim().trim_end_matches(" (dirty)").to_owned();
            let current: u64 = current.parse().unwrap_or_else(|_| panic!("golang-migrate version: {run:?}"));
            for version in fixture.iter().filter_map(|m| m.version.clone()) {
                let number: u64 = version.parse().expect("a number");
                if number <= current { applied.push(version) } else { pending.push(version) }
            }
        }
        Tool::Dbmate => {
            let run = tool.run_ok(db, dir, &["status"]);
            for line in run.stdout.lines() {
                if let Some(file) = line.strip_prefix("[X] ") {
                    applied.push(version_in(tool, file).expect("a version"));
                } else if let Some(file) = line.strip_prefix("[ ] ") {
                    pending.push(version_in(tool, file).expect("a version"));
                }
            }
        }
        Tool::Diesel => {
            let run = tool.run_ok(db, dir, &["migration", "list"]);
            for line in run.stdout.lines().map(str::trim) {
                if let Some(folder) = line.strip_prefix("[X] ") {
                    applied.push(version_in(tool, folder).expect("a version"));
                } else if let Some(folder) = line.strip_prefix("[ ] ") {
                    pending.push(version_in(tool, folder).expect("a version"));
                }
            }
        }
        Tool::Sqlx => {
            let run = tool.run_ok(db, dir, &["migrate", "info"]);
            for line in run.stdout.lines() {
                let Some((version, rest)) = line.split_once('/') else { continue };
                if !version.chars().all(|c| c.is_ascii_digit()) || version.is_empty() {
                    continue;
                }
                if rest.starts_with("installed") {
                    applied.push(trim_zeros(version));
                } else if rest.starts_with("pending") {
                    pending.push(trim_zeros(version));
                }
            }
        }
        Tool::Flyway => {
            let run = tool.run_ok(db, dir, &["-outputType=json", "info"]);
            let info: serde_json::Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("Flyway's info is not JSON ({e}): {}", run.stdout));
            for migration in info["migrations"].as_array().expect("migrations") {
                let version = migration["version"].as_str().unwrap_or("");
                let state = migration["state"].as_str().unwrap_or("").to_owned();
                if migration["category"] == "Repeatable" {
                    let path = PathBuf::from(migration["filepath"].as_str().expect("filepath"));
                    let key = path.file_stem().expect("a file").to_string_lossy().into_owned();
                    match repeatables.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, states)) => states.push(state),
                        None => repeatables.push((key, vec![state])),
                    }
                    continue;
                }
                match migration["state"].as_str() {
                    Some("Success") => applied.push(version.to_owned()),
                    Some("Pending") => pending.push(version.to_owned()),
                    other => panic!("Flyway's state {other:?} for {version}: {}", run.stdout),
                }
            }
        }
    }
    assert!(!applied.is_empty() || !pending.is_empty(), "{}'s status showed nothing", tool.name());
    status
}

/// A project whose database the real tool migrated with the first half of its fixture set, the
/// rest of the set added to the tool's directory since.
struct Adopted {
    tool: Tool,
    project: Project,
    db: Db,
    theirs: tempfile::TempDir,
    fixture: Vec<FixtureMigration>,
    applied_by_the_tool: usize,
}

impl Adopted {
    fn new(tool: Tool, backend: Backend) -> Adopted {
        let project = Project::new(backend);
        let db = db_of(&project);
        let theirs = tempfile::tempdir().expect("temp dir");
        let fixture = fixture_migrations(tool);
        let (first, rest) = halves(&fixture);
        for migration in &first {
            copy_into(migration, theirs.path());
        }
        tool_up(tool, &db, theirs.path());
        for migration in &rest {
            copy_into(migration, theirs.path());
        }
        let applied_by_the_tool = first.iter().filter(|m| m.version.is_some()).count();
        Adopted { tool, project, db, theirs, fixture, applied_by_the_tool }
    }

    fn versions(&self) -> Vec<String> {
        self.fixture.iter().filter_map(|m| m.version.clone()).collect()
    }

    fn mongrate(&self, dir: &Path, args: &[&str]) -> Run {
        let mut command = self.project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
        command.args(args).run()
    }

    fn tool_table(&self) -> String {
        self.project.sql(&format!("SELECT * FROM {} ORDER BY 1", table_of(self.tool)))
    }
}

/// Versions of a `status --json` list, repeatable migrations left out.
fn listed(status: &serde_json::Value, list: &str) -> Vec<String> {
    entries(status, list)
        .filter(|e| e["repeatable"] != true)
        .map(|e| e["version"].as_str().expect("version").to_owned())
        .collect()
}

/// The repeatable migrations of a `status --json` list: key and state.
fn repeatables_in(status: &serde_json::Value, list: &str) -> Vec<(String, String)> {
    entries(status, list)
        .filter(|e| e["repeatable"] == true)
        .map(|e| (e["version"].as_str().expect("version").to_owned(), e["state"].as_str().expect("state").to_owned()))
        .collect()
}

fn entries<'a>(status: &'a serde_json::Value, list: &str) -> impl Iterator<Item = &'a serde_json::Value> {
    status[list].as_array().unwrap_or_else(|| panic!("no {list} in {status}")).iter()
}

/// Flyway's states of a repeatable migration in mongrate's words.
fn as_mongrate_says(flyway_states: &[String]) -> &'static str {
    match flyway_states {
        [only] if only == "Success" => "applied",
        [old, new] if old == "Outdated" && new == "Pending" => "outdated",
        other => panic!("Flyway's states of a repeatable migration: {other:?}"),
    }
}

/// The whole story for one tool on one database.
fn adopt(tool: Tool, backend: Backend) {
    let adopted = Adopted::new(tool, backend);
    let dir = adopted.theirs.path();
    let theirs = tool_status(tool, &adopted.db, dir, &adopted.fixture);
    let versions = adopted.versions();
    assert_eq!(theirs.applied, versions[..adopted.applied_by_the_tool], "{} applied the first half", tool.name());
    assert_eq!(theirs.pending, versions[adopted.applied_by_the_tool..]);
    let their_table = adopted.tool_table();
    let their_repeatables: Vec<(String, String)> =
        theirs.repeatables.iter().map(|(key, states)| (key.clone(), as_mongrate_says(states).to_owned())).collect();
    assert_eq!(their_repeatables.is_empty(), tool != Tool::Flyway, "only Flyway has repeatable migrations here");

    let dry = adopted.mongrate(dir, &["import", tool.name(), "--dry-run", "--json"]).expect(0).json();
    assert_eq!(dry["dryRun"], true);
    let imported = dry["imported"].as_array().expect("imported").len();
    assert_eq!(imported, theirs.applied.len() + their_repeatables.len(), "{dry}");
    // Read as they are, the files are the ones the tool applied: same names, same checksums.
    for nothing in ["changedSince", "renamed", "runAgain", "withoutFile", "unreadable", "notTaken", "failed"] {
        assert_eq!(dry[nothing], serde_json::json!([]), "{nothing}: {dry}");
    }
    let before = adopted.mongrate(dir, &["status", "--json"]).expect(0).json();
    assert!(listed(&before, "applied").is_empty(), "a dry run writes nothing: {before}");

    let import = adopted.mongrate(dir, &["import", tool.name()]).expect(0);
    let table = table_of(tool);
    assert!(
        import.stdout.contains(&format!("imported {imported} migration(s) from "))
            && import.stdout.contains(&format!("`{table}`")),
        "{}",
        import.stdout
    );
    let again = adopted.mongrate(dir, &["import", tool.name(), "--json"]).expect(0).json();
    assert_eq!(again["imported"], serde_json::json!([]), "a second import imports nothing: {again}");
    assert_eq!(again["alreadyApplied"].as_array().expect("alreadyApplied").len(), imported);

    // The differential part: what mongrate now says is applied and pending is what the tool says.
    let status = adopted.mongrate(dir, &["status", "--json"]).expect(0).json();
    assert_eq!(listed(&status, "applied"), theirs.applied, "applied, by mongrate and by {}", tool.name());
    assert_eq!(listed(&status, "pending"), theirs.pending, "pending, by mongrate and by {}", tool.name());
    assert_eq!(repeatables_in(&status, "applied"), their_repeatables, "repeatables, by mongrate and by Flyway");
    assert_eq!(status["failed"], serde_json::json!([]));
    assert_eq!(status["drift"], serde_json::json!([]));
    assert_eq!(adopted.tool_table(), their_table, "the import only reads {table}");

    let up = adopted.mongrate(dir, &["up", "--json"]).expect(0).json();
    let ran = up["steps"].as_array().unwrap_or_else(|| panic!("steps in {up}"));
    let ran: Vec<&str> = ran.iter().map(|m| m["version"].as_str().expect("version")).collect();
    assert_eq!(ran, theirs.pending, "up runs what was pending, not the imported repeatable again: {up}");
    let done = adopted.mongrate(dir, &["status", "--json"]).expect(0).json();
    assert_eq!(listed(&done, "applied"), versions);
    assert_eq!(done["pending"], serde_json::json!([]));
    // The last migration added a column to the tool's table, which is still there.
    adopted.project.sql(&format!("SELECT note FROM {table}"));
    assert_eq!(adopted.project.sql("SELECT name FROM users"), "ada");
    adopted.project.sql("SELECT email FROM users");
    adopted.project.sql("SELECT title FROM posts");
}

#[test]
fn golang_migrate_on_postgres() {
    adopt(Tool::GolangMigrate, Backend::Postgres);
}

#[test]
fn golang_migrate_on_sqlite() {
    adopt(Tool::GolangMigrate, Backend::Sqlite);
}

#[test]
fn sqlx_on_postgres() {
    adopt(Tool::Sqlx, Backend::Postgres);
}

#[test]
fn sqlx_on_sqlite() {
    adopt(Tool::Sqlx, Backend::Sqlite);
}

#[test]
fn dbmate_on_postgres() {
    adopt(Tool::Dbmate, Backend::Postgres);
}

#[test]
fn dbmate_on_sqlite() {
    adopt(Tool::Dbmate, Backend::Sqlite);
}

#[test]
fn flyway_on_postgres() {
    adopt(Tool::Flyway, Backend::Postgres);
}

#[test]
fn flyway_on_sqlite() {
    adopt(Tool::Flyway, Backend::Sqlite);
}

#[test]
fn diesel_on_postgres() {
    adopt(Tool::Diesel, Backend::Postgres);
}

#[test]
fn diesel_on_sqlite() {
    adopt(Tool::Diesel, Backend::Sqlite);
}

/// golang-migrate fails on version 3 and leaves it dirty: the import takes 1 and 2 as applied and
/// 3 as failed, shows the choices, and `up` stops there, as golang-migrate does.
#[test]
fn golang_migrate_dirty_version_comes_in_failed_with_the_choices() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let tool = Tool::GolangMigrate;
        let project = Project::new(backend);
        let db = db_of(&project);
        let theirs = tempfile::tempdir().expect("temp dir");
        for migration in fixture_migrations(tool) {
            copy_into(&migration, theirs.path());
        }
        std::fs::write(
            theirs.path().join("3_add_users_email.up.sql"),
            "ALTER TABLE no_such_table ADD COLUMN x TEXT;\n",
        )
        .expect("write");
        let failed = tool.run(&db, theirs.path(), &["up"]);
        assert!(!failed.success, "golang-migrate stops at 3: {failed:?}");
        let version = tool.run_ok(&db, theirs.path(), &["version"]);
        assert_eq!(version.stderr.trim(), "3 (dirty)");
        let dir = theirs.path().to_path_buf();
        let mongrate = |args: &[&str]| {
            let mut command = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
            command.args(args).run()
        };

        let import = mongrate(&["import", "golang-migrate"]).expect(0);
        assert!(import.stdout.contains("imported 3 migration(s)"), "{}", import.stdout);
        assert!(
            import.stdout.contains("3 (add_users_email) failed: golang-migrate left it dirty"),
            "{}",
            import.stdout
        );
        for choice in
            ["mongrate down --to 2", "mongrate mark 3 --applied", "mongrate mark 3 --pending", "mongrate up --retry"]
        {
            assert!(import.stdout.contains(choice), "the choices are shown ({choice}): {}", import.stdout);
        }
        let again = mongrate(&["import", "golang-migrate", "--json"]).expect(0).json();
        assert_eq!(again["imported"], serde_json::json!([]), "{again}");
        assert_eq!(again["failed"][0]["version"], "3", "still reported: {again}");
        assert!(again["failed"][0]["choices"].as_array().is_some_and(|c| c.len() == 4), "{again}");

        let status = mongrate(&["status", "--json"]).expect(0).json();
        assert_eq!(listed(&status, "applied"), ["1", "2"]);
        assert_eq!(listed(&status, "failed"), ["3"]);
        assert_eq!(listed(&status, "pending"), ["4"]);
        let up = mongrate(&["up"]);
        assert_ne!(up.code, 0, "up stops at the failed version: {}", up.stdout);
        assert!(up.stderr.contains("did not finish cleanly") && up.stderr.contains("3"), "{}", up.stderr);
        assert_eq!(project.sql("SELECT version FROM schema_migrations"), "3", "golang-migrate's row is left as it was");
    }
}

/// A failed row in flyway_schema_history (what Flyway writes when a migration fails where DDL is
/// not transactional; on PostgreSQL and SQLite it rolls back instead, so the row is written here
/// as Flyway writes it): Flyway's own info shows it failed; the import brings it in failed, with
/// the choices, and the applied ones applied.
#[test]
fn flyway_failed_row_comes_in_failed_with_the_choices() {
    let tool = Tool::Flyway;
    let project = Project::new(Backend::Postgres);
    let db = db_of(&project);
    let theirs = tempfile::tempdir().expect("temp dir");
    let (first, rest) = halves(&fixture_migrations(tool));
    for migration in &first {
        copy_into(migration, theirs.path());
    }
    tool_up(tool, &db, theirs.path());
    for migration in &rest {
        copy_into(migration, theirs.path());
    }
    // The first version the tool has not applied failed, as Flyway records it.
    let script = "V2__create_posts.sql";
    let checksum =
        mongrate_core::import::flyway_checksum(&std::fs::read_to_string(theirs.path().join(script)).expect("read"));
    project.sql(&format!(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, \
         installed_by, execution_time, success) SELECT max(installed_rank) + 1, '2', 'create posts', 'SQL', \
         '{script}', {checksum}, 'postgres', 12, false FROM flyway_schema_history"
    ));
    let info = tool.run_ok(&db, theirs.path(), &["-outputType=json", "info"]);
    let info: serde_json::Value = serde_json::from_str(&info.stdout).expect("JSON");
    let states: Vec<(String, String)> = info["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| (m["version"].as_str().unwrap_or("").to_owned(), m["state"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert!(states.contains(&("2".into(), "Failed".into())), "Flyway reads the row as failed: {states:?}");
    let their_pending: Vec<&str> =
        states.iter().filter(|(_, state)| state == "Pending").map(|(v, _)| v.as_str()).collect();
    assert_eq!(their_pending, ["3", "4"], "{states:?}");

    let dir = theirs.path().to_path_buf();
    let mongrate = |args: &[&str]| {
        let mut command = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
        command.args(args).run()
    };
    let import = mongrate(&["import", "flyway", "--json"]).expect(0).json();
    let imported: Vec<(&str, &str)> = import["imported"]
        .as_array()
        .expect("imported")
        .iter()
        .map(|r| (r["version"].as_str().expect("version"), r["status"].as_str().expect("status")))
        .collect();
    assert_eq!(
        imported,
        [
            ("1", "completed"),
            ("1.2", "completed"),
            ("1.10", "completed"),
            ("R__user_names", "completed"),
            ("2", "failed")
        ]
    );
    assert!(import["failed"][0]["error"].as_str().is_some_and(|e| e == "Flyway recorded it as failed"));
    assert_eq!(import["failed"][0]["choices"].as_array().map(Vec::len), Some(4), "{import}");
    assert_eq!(import["notTaken"], serde_json::json!([]), "Flyway's repeatable comes in too: {import}");
    let status = mongrate(&["status", "--json"]).expect(0).json();
    assert_eq!(listed(&status, "failed"), ["2"]);
    assert_eq!(listed(&status, "pending"), their_pending);
}

/// The checksums the tools recorded are the ones mongrate computes of the same files: Flyway's
/// CRC-32 (repeatable migrations too) and sqlx's SHA-384 (what an import compares to tell a file
/// changed since). The tools apply the first half: Flyway cannot itself run the migration that
/// alters its history table on PostgreSQL (its own lock on the table holds it up for good).
#[test]
fn recorded_checksums_are_computed_as_the_tools_compute_them() {
    for (tool, backend) in [
        (Tool::Flyway, Backend::Postgres),
        (Tool::Flyway, Backend::Sqlite),
        (Tool::Sqlx, Backend::Postgres),
        (Tool::Sqlx, Backend::Sqlite),
    ] {
        let project = Project::new(backend);
        let db = db_of(&project);
        let theirs = tempfile::tempdir().expect("temp dir");
        let (first, _) = halves(&fixture_migrations(tool));
        for migration in &first {
            copy_into(migration, theirs.path());
        }
        tool_up(tool, &db, theirs.path());
        for migration in &first {
            let file = &migration.entries[0];
            let content = std::fs::read_to_string(file).expect("read");
            let name = file.file_name().expect("a name").to_string_lossy();
            let (recorded, ours) = match tool {
                Tool::Flyway => (
                    project.sql(&format!("SELECT checksum FROM flyway_schema_history WHERE script = '{name}'")),
                    mongrate_core::import::flyway_checksum(&content).to_string(),
                ),
                _ => {
                    let hex =
                        if backend == Backend::Postgres { "encode(checksum, 'hex')" } else { "lower(hex(checksum))" };
                    (
                        project.sql(&format!(
                            "SELECT {hex} FROM _sqlx_migrations WHERE version = {}",
                            migration.version.as_deref().expect("sqlx migrations are versioned")
                        )),
                        Sha384::digest(content.as_bytes()).iter().map(|b| format!("{b:02x}")).collect(),
                    )
                }
            };
            assert_eq!(recorded, ours, "{} {backend:?}: checksum of {}", tool.name(), file.display());
        }
    }
}

/// sqlx keeps each migration's description: a file renamed since sqlx applied it is matched by
/// its version, and the import says so.
#[test]
fn a_file_renamed_since_the_tool_applied_it_is_matched_by_version() {
    let tool = Tool::Sqlx;
    let project = Project::new(Backend::Sqlite);
    let db = db_of(&project);
    let theirs = tempfile::tempdir().expect("temp dir");
    for migration in fixture_migrations(tool) {
        copy_into(&migration, theirs.path());
    }
    tool_up(tool, &db, theirs.path());
    std::fs::rename(theirs.path().join("2_create_posts.sql"), theirs.path().join("2_add_posts_table.sql"))
        .expect("rename");
    let dir = theirs.path().to_path_buf();
    let mongrate = |args: &[&str]| {
        let mut command = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
        command.args(args).run()
    };
    let import = mongrate(&["import", "sqlx"]).expect(0);
    assert!(import.stdout.contains("imported 4 migration(s)"), "{}", import.stdout);
    assert!(
        import
            .stdout
            .contains("matched by version 2: sqlx recorded `create posts`, the file is `2_add_posts_table.sql` now"),
        "{}",
        import.stdout
    );
}

/// The wrong tool's table is named, not misread: golang-migrate's and dbmate's tables share a name.
#[test]
fn the_wrong_tools_table_is_refused_in_words() {
    let project = Project::new(Backend::Sqlite);
    let db = db_of(&project);
    let theirs = tempfile::tempdir().expect("temp dir");
    for migration in fixture_migrations(Tool::Dbmate).iter().take(2) {
        copy_into(migration, theirs.path());
    }
    tool_up(Tool::Dbmate, &db, theirs.path());
    let dir = theirs.path().to_path_buf();
    let run = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8"), "import", "golang-migrate"]).run();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("`schema_migrations` has no column `dirty`")
            && run.stderr.contains("mongrate import dbmate"),
        "{}",
        run.stderr
    );
    let run = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8"), "import", "flyway"]).run();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("no table `flyway_schema_history`") && run.stderr.contains("--table"),
        "{}",
        run.stderr
    );
    let run = project
        .command(&[
            "--migrations-dir",
            dir.to_str().expect("UTF-8"),
            "import",
            "dbmate",
            "--table",
            "x; DROP TABLE users",
        ])
        .run();
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("is not a table name"), "{}", run.stderr);
    assert!(project.has_table("users"));
}

/// An existing database put under Flyway with `flyway baseline` (a baseline row at version 2,
/// nothing run): Flyway counts 1 to 2 (1.2 and 1.10 too) as done and 3 and 4 as pending; so does
/// mongrate after the import.
#[test]
fn a_flyway_baseline_counts_as_applied_up_to_its_version() {
    let tool = Tool::Flyway;
    let project = Project::new(Backend::Sqlite);
    let db = db_of(&project);
    let theirs = tempfile::tempdir().expect("temp dir");
    let fixture = fixture_migrations(tool);
    for migration in fixture.iter().filter(|m| m.version.is_some()) {
        copy_into(migration, theirs.path());
    }
    // The database already has what 1 to 2 make, made by other means.
    project.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    project.sql("CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL)");
    project.sql("CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT)");
    tool.run_ok(&db, theirs.path(), &["-baselineVersion=2", "baseline"]);
    let info = tool.run_ok(&db, theirs.path(), &["-outputType=json", "info"]);
    let info: serde_json::Value = serde_json::from_str(&info.stdout).expect("JSON");
    let states: Vec<(String, String)> = info["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| (m["version"].as_str().unwrap_or("").to_owned(), m["state"].as_str().unwrap_or("").to_owned()))
        .collect();
    let pending: Vec<&str> = states.iter().filter(|(_, state)| state == "Pending").map(|(v, _)| v.as_str()).collect();
    assert_eq!(pending, ["3", "4"], "Flyway's info: {states:?}");

    let dir = theirs.path().to_path_buf();
    let mongrate = |args: &[&str]| {
        let mut command = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
        command.args(args).run()
    };
    mongrate(&["import", "flyway"]).expect(0);
    let status = mongrate(&["status", "--json"]).expect(0).json();
    assert_eq!(listed(&status, "applied"), ["1", "1.2", "1.10", "2"]);
    assert_eq!(listed(&status, "pending"), pending);
    mongrate(&["up"]).expect(0);
    // Only 3 and 4 ran: 1 would have failed on the table that is there, and added a user.
    assert_eq!(project.sql("SELECT count(*) FROM users"), "0");
    project.sql("SELECT email FROM users");
    project.sql("SELECT note FROM flyway_schema_history");
}

/// A sqlx row with success = false (older sqlx wrote the row before running the migration, and a
/// failure left it so): sqlx itself refuses to go on; the import brings it in failed.
#[test]
fn a_sqlx_row_without_success_comes_in_failed() {
    let tool = Tool::Sqlx;
    let project = Project::new(Backend::Postgres);
    let db = db_of(&project);
    let theirs = tempfile::tempdir().expect("temp dir");
    for migration in fixture_migrations(tool) {
        copy_into(&migration, theirs.path());
    }
    let (first, _) = halves(&fixture_migrations(tool));
    let only_first = tempfile::tempdir().expect("temp dir");
    for migration in &first {
        copy_into(migration, only_first.path());
    }
    tool_up(tool, &db, only_first.path());
    project.sql("UPDATE _sqlx_migrations SET success = false WHERE version = 2");
    let refused = tool.run(&db, theirs.path(), &["migrate", "run"]);
    assert!(!refused.success, "sqlx refuses to go on: {refused:?}");

    let dir = theirs.path().to_path_buf();
    let mongrate = |args: &[&str]| {
        let mut command = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
        command.args(args).run()
    };
    let import = mongrate(&["import", "sqlx"]).expect(0);
    assert!(
        import.stdout.contains("2 (create_posts) failed: sqlx recorded it as not successful")
            && import.stdout.contains("mongrate mark 2 --applied"),
        "{}",
        import.stdout
    );
    let status = mongrate(&["status", "--json"]).expect(0).json();
    assert_eq!(listed(&status, "applied"), ["1"]);
    assert_eq!(listed(&status, "failed"), ["2"]);
    assert_ne!(mongrate(&["up"]).code, 0, "up stops at the failed version, as sqlx does");
}

/// A Flyway repeatable migration edited since Flyway last ran it: Flyway's info shows it outdated
/// (and pending again), and so does mongrate after the import, which says it will run again;
/// `up` runs it once, and the next `up` has nothing to do.
#[test]
fn a_flyway_repeatable_changed_since_is_outdated_for_both() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let adopted = Adopted::new(Tool::Flyway, backend);
        let dir = adopted.theirs.path();
        let view = dir.join("R__user_names.sql");
        let edited =
            "DROP VIEW IF EXISTS user_names;\nCREATE VIEW user_names AS SELECT upper(name) AS name FROM users;\n";
        std::fs::write(&view, edited).expect("write");
        let theirs = tool_status(Tool::Flyway, &adopted.db, dir, &adopted.fixture);
        assert_eq!(theirs.repeatables.len(), 1, "{theirs:?}");
        assert_eq!(as_mongrate_says(&theirs.repeatables[0].1), "outdated", "{theirs:?}");

        let import = adopted.mongrate(dir, &["import", "flyway"]).expect(0);
        assert!(
            import.stdout.contains("repeatable, changed since Flyway last ran them")
                && import.stdout.contains("R__user_names.sql"),
            "{}",
            import.stdout
        );
        let status = adopted.mongrate(dir, &["status", "--json"]).expect(0).json();
        assert_eq!(repeatables_in(&status, "pending"), [("R__user_names".to_owned(), "outdated".to_owned())]);
        assert_eq!(status["drift"], serde_json::json!([]), "a changed repeatable is not drift: {status}");

        adopted.mongrate(dir, &["up"]).expect(0);
        assert_eq!(adopted.project.sql("SELECT name FROM user_names"), "ADA", "the edited view is in place");
        let done = adopted.mongrate(dir, &["status", "--json"]).expect(0).json();
        assert_eq!(repeatables_in(&done, "applied"), [("R__user_names".to_owned(), "applied".to_owned())]);
        let again = adopted.mongrate(dir, &["up", "--json"]).expect(0).json();
        assert_eq!(again["steps"], serde_json::json!([]), "nothing left to run: {again}");
    }
}

/// Flyway reads its location's folders, any depth down, and records `script` as the path within
/// the location (`release2/V2__b.sql`): mongrate reads the same folders, and the import matches
/// each row to its file there, repeatable one too; what Flyway had not applied is pending.
#[test]
fn flyway_migrations_in_folders_are_imported_and_the_rest_applied() {
    let tool = Tool::Flyway;
    let project = Project::new(Backend::Sqlite);
    let db = db_of(&project);
    let theirs = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, content: &str| {
        let path = theirs.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folders");
        std::fs::write(path, content).expect("write");
    };
    write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
    write("release2/V2__b.sql", "CREATE TABLE b (id INTEGER);\n");
    write("release2/views/R__b_ids.sql", "DROP VIEW IF EXISTS b_ids;\nCREATE VIEW b_ids AS SELECT id FROM b;\n");
    tool_up(tool, &db, theirs.path());
    assert_eq!(
        project.sql("SELECT script FROM flyway_schema_history WHERE version = '2'"),
        "release2/V2__b.sql",
        "Flyway records the path within its location"
    );
    write("2024_q1/V3__c.sql", "CREATE TABLE c (id INTEGER);\n");

    let dir = theirs.path().to_path_buf();
    let mongrate = |args: &[&str]| {
        let mut command = project.command(&["--migrations-dir", dir.to_str().expect("UTF-8")]);
        command.args(args).run()
    };
    let import = mongrate(&["import", "flyway", "--json"]).expect(0).json();
    let imported: Vec<&str> =
        import["imported"].as_array().expect("imported").iter().map(|r| r["version"].as_str().unwrap()).collect();
    assert_eq!(imported, ["1", "2", "R__b_ids"], "{import}");
    assert_eq!(import["notTaken"], serde_json::json!([]), "{import}");
    let status = mongrate(&["status", "--json"]).expect(0).json();
    assert_eq!(listed(&status, "applied"), ["1", "2"], "{status}");
    assert_eq!(repeatables_in(&status, "applied"), [("R__b_ids".to_owned(), "applied".to_owned())]);
    assert_eq!(listed(&status, "pending"), ["3"], "{status}");
    assert_eq!(status["drift"], serde_json::json!([]), "{status}");
    mongrate(&["up"]).expect(0);
    assert!(project.has_table("c"));
    // Flyway reads the same folders: the file mongrate ran is its pending one (mongrate leaves
    // Flyway's table as it is), found in its folder.
    let info = tool.run_ok(&db, theirs.path(), &["-outputType=json", "info"]);
    let info: serde_json::Value = serde_json::from_str(&info.stdout).expect("JSON");
    let versioned: Vec<(&str, &str, bool)> = info["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .filter(|m| m["category"] == "Versioned")
        .map(|m| {
            let path = m["filepath"].as_str().unwrap_or("");
            (
                m["version"].as_str().unwrap_or(""),
                m["state"].as_str().unwrap_or(""),
                path.ends_with("2024_q1/V3__c.sql"),
            )
        })
        .collect();
    assert_eq!(versioned, [("1", "Success", false), ("2", "Success", false), ("3", "Pending", true)], "{info}");
}
