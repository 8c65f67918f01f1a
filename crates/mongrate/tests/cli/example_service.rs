//! `examples/service`, the axum program that mounts mongrate's router beside its own route and
//! applies its migrations at start-up, built with cargo and run against a fresh SQLite file: ready
//! once its two migrations are applied, its own route and the API both served, SIGTERM exits 0;
//! a broken migration leaves it serving but not ready, or with MIGRATE_ON_START_FAIL_HARD exits 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::service_support::Server;
use crate::support::{Backend, Project, repo_root};

const TOKEN: &str = "example-service-token";

/// The example's binary, built once per test process by the cargo that built the tests (cargo
/// test builds a member's binaries only for that member's own tests). The build selects the
/// workspace and a test target as `cargo test --workspace` does, so that the dependencies resolve
/// to the same features and are not compiled a second time: only the example itself is.
fn example_binary() -> &'static Path {
    const SET_FOR_TESTS: [&str; 6] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
    ];
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        // What cargo set for this test process describes the mongrate package; left in, build
        // scripts that track it (ring's) would rerun and everything above them be compiled again.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("CARGO_PKG_") || SET_FOR_TESTS.contains(&key.as_str()) {
                cargo.env_remove(key);
            }
        }
        let output = cargo
            .current_dir(repo_root())
            .args(["build", "--locked", "--workspace", "--test", "cli", "--bin", "mongrate-example-service"])
            .arg("--message-format=json-render-diagnostics")
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(output.status.success(), "building mongrate-example-service failed (cargo's output is above)");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["target"]["name"] == "mongrate-example-service")
            .find_map(|message| message["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the example's executable")
    })
}

/// The versions of the example's own migrations, in order.
fn example_versions() -> Vec<String> {
    let mut versions: Vec<String> = std::fs::read_dir(repo_root().join("examples/service/migrations"))
        .expect("examples/service/migrations")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().split('-').next().unwrap().to_owned())
        .collect();
    versions.sort();
    versions
}

/// The example in `project`'s directory on its SQLite file, with auto-run on.
fn example(project: &Project) -> Command {
    let mut command = Command::new(example_binary());
    command
        .current_dir(project.path())
        .env_remove("MONGRATE_URL")
        .env_remove("MONGO_URI")
        .env_remove("MIGRATIONS_DIR")
        .env_remove("MIGRATE_ON_START_FAIL_HARD")
        .env("DATABASE_URL", &project.url)
        .env("LISTEN", "127.0.0.1:0")
        .env("MONGRATE_API_TOKEN", TOKEN)
        .env("MIGRATE_ON_START", "true")
        .stdin(Stdio::null());
    command
}

fn versions(list: &serde_json::Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|item| item["version"].as_str().expect("version").to_owned()).collect()
}

#[test]
fn the_example_service_applies_its_migrations_serves_its_route_and_the_api_and_stops_on_sigterm() {
    let project = Project::new(Backend::Sqlite);
    let expected = example_versions();
    assert_eq!(expected.len(), 2, "the example ships two migrations: {expected:?}");

    let server = Server::try_spawn(example(&project)).unwrap_or_else(|run| panic!("exited: {}", run.stderr));
    server.wait_for("/readyz", 200, Duration::from_secs(30));
    let hello = server.get("/hello", None);
    assert_eq!((hello.status, hello.body.as_str()), (200, "hello from the example service\n"));

    let status = server.get("/api/migrations/status", Some(TOKEN));
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(versions(&status.json()["applied"]), expected, "{}", status.body);
    assert_eq!(status.json()["summary"]["pending"], 0, "{}", status.body);
    assert!(project.has_table("notes"), "the example's migration did not create its table");
    // The token guards the API mounted in someone else's app as in `mongrate serve`.
    assert_eq!(server.get("/api/migrations/status", Some("wrong")).status, 401);
    assert_eq!(server.get("/no-such-route", None).status, 404);

    let (code, log) = server.terminate(Duration::from_secs(20));
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("start-up migrations applied 2"), "{log}");
}

#[test]
fn a_broken_migration_leaves_the_example_not_ready_or_with_fail_hard_exits_1() {
    let broken = "-- mongrate:up\nINSERT INTO no_such_table VALUES (1);\n";

    let project = Project::new(Backend::Sqlite);
    project.write("001_broken.sql", broken);
    let mut soft = example(&project);
    soft.env("MIGRATIONS_DIR", project.migrations());
    let server = Server::try_spawn(soft).unwrap_or_else(|run| panic!("exited: {}", run.stderr));
    let started = std::time::Instant::now();
    let reason = loop {
        let reply = server.get("/readyz", None);
        let reason = reply.json()["reason"].as_str().unwrap_or_default().to_owned();
        assert_eq!(reply.status, 503, "ready with a broken migration: {}", reply.body);
        if reason.contains("failed") || started.elapsed() > Duration::from_secs(20) {
            break reason;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(reason.contains("no_such_table"), "{reason}");
    assert_eq!(server.get("/hello", None).status, 200, "its own route still answers");
    let (code, log) = server.terminate(Duration::from_secs(20));
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("start-up migrations failed, serving but not ready"), "{log}");

    let project = Project::new(Backend::Sqlite);
    project.write("001_broken.sql", broken);
    let mut hard = example(&project);
    hard.env("MIGRATIONS_DIR", project.migrations()).env("MIGRATE_ON_START_FAIL_HARD", "true");
    let (code, log) = match Server::try_spawn(hard) {
        Ok(server) => server.wait_for_exit(Duration::from_secs(20)),
        Err(run) => (run.code, run.stderr),
    };
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("example service: start-up migrations failed:") && log.contains("no_such_table"), "{log}");
}
