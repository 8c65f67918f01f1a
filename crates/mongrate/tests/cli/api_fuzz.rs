//! A fuzz run of the HTTP API from its own OpenAPI document: schemathesis (pinned in
//! tools/python/requirements.txt, installed by tools/setup.sh) reads `GET /api/openapi.json` from
//! a real `mongrate serve`, sends valid and invalid requests to every operation, and fails on any
//! 5xx, any status, content type or header the document does not declare, any body that does not
//! match its schema, and any request the server takes although the document rules it out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::service_support::Server;
use crate::support::{Backend, Project, repo_root};

const TOKEN: &str = "fuzz-token-for-tests";

/// Test cases per operation and pass: enough to reach every parameter and status, few enough that
/// a backend's run stays well under a minute.
const EXAMPLES: &str = "30";

/// What every pass checks.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_headers_conformance,response_schema_conformance,negative_data_rejection,\
    unsupported_method,missing_required_header,ignored_auth";

/// The longest one schemathesis run may take before the test fails instead of hanging.
const LONGEST_RUN: Duration = Duration::from_secs(300);

/// schemathesis' settings. `to` must name a migration of the project, which no schema can say, so
/// its 400 does not count as a valid request rejected.
const CONFIG: &str = r#"
[[operations]]
include-operation-id = "up"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
"#;

/// schemathesis' command, or a failure that says how to install it.
fn schemathesis() -> PathBuf {
    let st = repo_root().join("tools/python/venv/bin/st");
    assert!(st.is_file(), "schemathesis is not installed ({} is missing): run tools/setup.sh", st.display());
    st
}

/// Three reversible migrations, so `up` and `down` have real work and no step can fail.
fn three_migrations(project: &Project) {
    for (version, table) in [("20250101000000", "users"), ("20250101000100", "posts"), ("20250101000200", "tags")] {
        project.write(
            &format!("{version}-{table}.sql"),
            &format!("-- mongrate:up\nCREATE TABLE {table} (id INTEGER PRIMARY KEY);\n-- mongrate:down\nDROP TABLE {table};\n"),
        );
    }
}

/// One schemathesis run against `server` with `extra` arguments; the test fails with its report
/// (which has the seed and a curl line for each failure) unless every check passed.
#[track_caller]
fn fuzz(server: &Server, workdir: &Path, extra: &[&str]) {
    let config = workdir.join("schemathesis.toml");
    std::fs::write(&config, CONFIG).expect("write schemathesis.toml");
    let mut child = Command::new(schemathesis())
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/openapi.json", server.base))
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--max-examples", EXAMPLES, "--workers", "1", "--request-timeout", "60", "--no-color"])
        // Nothing is kept between runs: each one starts from its own random seed.
        .args(["--generation-database", "none"])
        .args(extra)
        // It writes its caches into the working directory, not into the repository.
        .current_dir(workdir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("schemathesis starts");
    let started = Instant::now();
    while child.try_wait().expect("wait for schemathesis").is_none() {
        if started.elapsed() > LONGEST_RUN {
            let _ = child.kill();
            let _ = child.wait();
            panic!("schemathesis did not finish within {LONGEST_RUN:?}\nserver log:\n{}", server.log());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("schemathesis' output");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "schemathesis found problems (exit {:?}):\n{report}\nserver log:\n{}",
        output.status.code(),
        server.log()
    );
    assert!(report.contains(" passed"), "schemathesis ran no test:\n{report}");
}

/// The actions of every history entry, through the API.
fn history_actions(server: &Server) -> Vec<String> {
    let history = server.get("/api/migrations/history?limit=10000", Some(TOKEN));
    assert_eq!(history.status, 200, "{}", history.body);
    history
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry["action"].as_str().unwrap_or("").into())
        .collect()
}

/// Fuzzes every operation but `create` on a valid project (so runs really apply and revert, and
/// a valid request must be accepted); checks that they did.
fn fuzz_runs(server: &Server) {
    let workdir = tempfile::tempdir().expect("temp dir");
    fuzz(
        server,
        workdir.path(),
        &["--exclude-operation-id", "create", "--checks", &format!("{CHECKS},positive_data_acceptance")],
    );
    let actions = history_actions(server);
    for action in ["up", "down"] {
        assert!(actions.iter().any(|a| a == action), "the fuzz run made no real `{action}`: history {actions:?}");
    }
}

#[test]
fn fuzzing_the_api_on_sqlite_finds_nothing() {
    let project = Project::new(Backend::Sqlite);
    three_migrations(&project);
    let mut command = project.command(&[]);
    command.env("MONGRATE_API_TOKEN", TOKEN);
    let server = Server::start(command);
    fuzz_runs(&server);

    // Then everything, `create` too: its files are SQL templates without statements, so from the
    // first one on status and runs answer 422, and those answers are checked as well. A valid
    // request may be refused then, so `positive_data_acceptance` is left out. `/readyz` is left
    // out too: with a broken file it answers its documented 503, which is no server error.
    let before = project.migrations().read_dir().expect("migrations dir").count();
    let workdir = tempfile::tempdir().expect("temp dir");
    fuzz(&server, workdir.path(), &["--checks", CHECKS, "--exclude-path", "/readyz"]);
    let after = project.migrations().read_dir().expect("migrations dir").count();
    assert!(after > before, "the fuzz run created no migration file");
    let status = server.get("/api/migrations/status", Some(TOKEN));
    assert_eq!((status.status, status.error_kind().as_str()), (422, "validation"), "{}", status.body);
}

#[test]
fn fuzzing_the_api_on_postgres_finds_nothing() {
    let project = Project::new(Backend::Postgres);
    three_migrations(&project);
    let mut command = project.command(&[]);
    command.env("MONGRATE_API_TOKEN", TOKEN);
    let server = Server::start(command);
    fuzz_runs(&server);
}
