//! `mongrate serve` over real HTTP against SQLite, PostgreSQL and the MongoDB-wire test server:
//! every endpoint and parameter, the token, errors, concurrent runs, auto-run and shutdown.

use std::time::Duration;

use serde_json::json;

use crate::service_support::Server;
use crate::support::{Backend, Project};

const TOKEN: &str = "s3cret-token-for-tests";

/// Two migrations in the backend's own format; the second one's version is returned too.
fn two_migrations(project: &Project) -> (&'static str, &'static str) {
    match project.backend {
        Backend::Mongo => {
            project.write(
                "20250101000000-users.yaml",
                "up:\n  - createCollection: { collection: users }\ndown:\n  - dropCollection: { collection: users }\n",
            );
            project.write(
                "20250101000100-posts.yaml",
                "up:\n  - createCollection: { collection: posts }\ndown:\n  - dropCollection: { collection: posts }\n",
            );
        }
        _ => {
            project.write(
                "20250101000000-users.sql",
                "-- mongrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n-- mongrate:down\nDROP TABLE users;\n",
            );
            project.write(
                "20250101000100-posts.sql",
                "-- mongrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY);\n-- mongrate:down\nDROP TABLE posts;\n",
            );
        }
    }
    ("20250101000000", "20250101000100")
}

fn serve(project: &Project) -> Server {
    let mut command = project.command(&[]);
    command.env("MONGRATE_API_TOKEN", TOKEN);
    Server::start(command)
}

fn versions(list: &serde_json::Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|item| item["version"].as_str().expect("version").to_owned()).collect()
}

/// The whole API once, on one backend, checked against the database and the command line.
fn every_endpoint(project: Project) {
    let (first, second) = two_migrations(&project);
    let server = serve(&project);
    let token = Some(TOKEN);

    // The status document is exactly what `status --json` prints.
    let status = server.get("/api/migrations/status", token);
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.json(), project.run(&["status", "--json"]).expect(0).json());
    assert_eq!(versions(&status.json()["pending"]), [first, second]);

    // A dry-run previews both and changes nothing.
    let before = project.dump();
    let preview = server.post("/api/migrations/up?dryRun=true", token);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.json()["dryRun"], true);
    assert_eq!(versions(&preview.json()["preview"]), [first, second]);
    assert_eq!(project.dump(), before, "a dry-run through the API changed the database");

    // `to` applies up to a version; then the rest.
    let up = server.post(&format!("/api/migrations/up?to={first}&dryRun=false&continueOnError=false"), token);
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(versions(&up.json()["steps"]), [first]);
    assert!(up.json()["steps"][0]["executionTime"].is_i64());
    let up = server.post("/api/migrations/up", token);
    assert_eq!(versions(&up.json()["steps"]), [second]);
    let cli = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(versions(&cli["applied"]), [first, second]);
    let nothing = server.post("/api/migrations/up", token);
    assert_eq!((nothing.status, nothing.json()["steps"].as_array().map(Vec::len)), (200, Some(0)));

    // History: newest first, paged, filtered.
    let history = server.get("/api/migrations/history?limit=50&skip=0&status=completed", token).json();
    assert_eq!(versions(&history), [second, first]);
    assert_eq!(history, project.run(&["history", "--json", "--status", "completed"]).expect(0).json());
    assert_eq!(versions(&server.get("/api/migrations/history?limit=1&skip=1", token).json()), [first]);
    assert_eq!(versions(&server.get(&format!("/api/migrations/history?version={second}"), token).json()), [second]);

    // Down: a dry-run first, then one step.
    let before = project.dump();
    let preview = server.post("/api/migrations/down?steps=1&dryRun=true", token);
    assert_eq!(versions(&preview.json()["preview"]), [second]);
    assert_eq!(project.dump(), before, "a dry-run down changed the database");
    let down = server.post("/api/migrations/down?steps=1&dryRun=false&continueOnError=false", token);
    assert_eq!(down.status, 200, "{}", down.body);
    assert_eq!(versions(&down.json()["steps"]), [second]);
    assert_eq!(down.json()["steps"][0]["direction"], "down");
    assert_eq!(versions(&server.get("/api/migrations/status", token).json()["pending"]), [second]);

    // Create: a file from the template, pending at once.
    let format = if project.backend == Backend::Mongo { "yaml" } else { "sql" };
    let created =
        server.post_json("/api/migrations", token, &json!({"name": "Add User Index", "format": format}).to_string());
    assert_eq!(created.status, 201, "{}", created.body);
    let name = created.json()["name"].as_str().expect("file name").to_owned();
    assert!(name.ends_with(&format!("-add-user-index.{format}")), "{name}");
    assert!(project.migrations().join(&name).is_file());
    let unedited = server.get("/api/migrations/status", token);
    if unedited.status != 200 {
        // The SQL template has no statement until someone writes one: a 422 naming the file.
        assert_eq!((unedited.status, unedited.error_kind().as_str()), (422, "validation"), "{}", unedited.body);
        assert!(unedited.body.contains(&name), "{}", unedited.body);
        project.write(&name, "-- mongrate:up\nCREATE TABLE tags (id INTEGER);\n-- mongrate:down\nDROP TABLE tags;\n");
    }
    let pending = server.get("/api/migrations/status", token).json()["pending"].clone();
    assert_eq!(pending.as_array().map(Vec::len), Some(2), "{pending}");
    if project.backend == Backend::Mongo {
        let from_template = json!({"name": "index users", "template": "index"}).to_string();
        let created = server.post_json("/api/migrations", token, &from_template);
        assert_eq!(created.status, 201, "{}", created.body);
        assert!(created.json()["name"].as_str().unwrap().ends_with("-index-users.yaml"), "{}", created.body);
        let unknown = server.post_json("/api/migrations", token, &json!({"name": "x", "template": "nope"}).to_string());
        assert_eq!(unknown.status, 400, "{}", unknown.body);
        assert!(unknown.body.contains("add-field"), "the known templates are listed: {}", unknown.body);
        std::fs::remove_file(project.migrations().join(created.json()["name"].as_str().unwrap())).unwrap();
    }

    // The lock: free, and releasing a free lock says so.
    assert_eq!(server.get("/api/migrations/lock/status", token).json(), json!({"locked": null}));
    assert_eq!(server.post("/api/migrations/lock/release", token).json(), json!({"released": null}));

    // Probes and metrics.
    assert_eq!(server.get("/healthz", None).json(), json!({"status": "ok"}));
    assert_eq!(server.get("/readyz", None).status, 200);
    let metrics = server.get("/metrics", None);
    assert!(metrics.header("content-type").is_some_and(|t| t.starts_with("text/plain")));
    for line in [
        "mongrate_database_up 1",
        "mongrate_migrations{state=\"applied\"} 1",
        "mongrate_migrations{state=\"pending\"} 2",
        "mongrate_migrations{state=\"failed\"} 0",
        "mongrate_lock_held 0",
        "mongrate_runs_total{result=\"succeeded\"} 4",
        "mongrate_runs_total{result=\"dry_run\"} 2",
        "mongrate_runs_total{result=\"failed\"} 0",
    ] {
        assert!(metrics.body.lines().any(|l| l == line), "no `{line}` in\n{}", metrics.body);
    }
    assert!(metrics.body.contains("mongrate_last_run_duration_seconds "), "{}", metrics.body);
    let document = server.get("/api/openapi.json", token).json();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/api/migrations/up"]["post"].is_object());
    let (code, log) = server.terminate(Duration::from_secs(10));
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains(TOKEN), "the token is in the log:\n{log}");
}

#[test]
fn every_endpoint_on_sqlite() {
    every_endpoint(Project::new(Backend::Sqlite));
}

#[test]
fn every_endpoint_on_postgres() {
    every_endpoint(Project::new(Backend::Postgres));
}

#[test]
fn every_endpoint_on_mongodb() {
    every_endpoint(Project::new(Backend::Mongo));
}

#[test]
fn the_token_guards_the_api_and_never_shows() {
    let project = Project::new(Backend::Sqlite);
    two_migrations(&project);
    let server = serve(&project);
    for token in [None, Some("wrong"), Some("s3cret-token-for-test"), Some("")] {
        for reply in [server.get("/api/migrations/status", token), server.post("/api/migrations/up", token)] {
            assert_eq!(reply.status, 401, "{token:?}: {}", reply.body);
            assert_eq!(reply.error_kind(), "unauthorized");
            assert!(reply.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")), "{:?}", reply.headers);
            assert!(!reply.body.contains(TOKEN));
        }
    }
    assert_eq!(project.run(&["status", "--json"]).expect(0).json()["summary"]["applied"], 0);
    // The probes and metrics need no token; the dashboard's data does.
    for open in ["/healthz", "/readyz", "/metrics", "/docs"] {
        assert_eq!(server.get(open, None).status, 200, "{open}");
    }
    assert_eq!(server.get("/api/openapi.json", None).status, 401);
    assert_eq!(server.post("/api/migrations/up", Some(TOKEN)).status, 200);
    let log = server.log();
    assert!(log.contains("POST /api/migrations/up 401"), "{log}");
    assert!(!log.contains(TOKEN) && !log.contains("wrong"), "the log shows a token:\n{log}");
}

#[test]
fn without_a_token_the_api_is_read_only_and_only_loopback() {
    let project = Project::new(Backend::Sqlite);
    two_migrations(&project);
    let server = Server::start(project.command(&[]));
    assert_eq!(server.get("/api/migrations/status", None).status, 200);
    assert_eq!(server.get("/api/migrations/history", None).status, 200);
    for path in ["/api/migrations/up", "/api/migrations/down", "/api/migrations/lock/release", "/api/migrations"] {
        let reply = server.post(path, None);
        assert_eq!(reply.status, 403, "{path}: {}", reply.body);
        assert_eq!(reply.error_kind(), "forbidden");
        assert!(reply.json()["error"]["message"].as_str().unwrap().contains("MONGRATE_API_TOKEN"), "{}", reply.body);
    }
    assert_eq!(project.run(&["status", "--json"]).expect(0).json()["summary"]["pending"], 2);
    let refused = project.run(&["serve", "--listen", "0.0.0.0:0"]).expect(2);
    assert!(refused.stderr.contains("without an API token"), "{}", refused.stderr);
    let mut from_env = project.command(&["serve"]);
    from_env.env("MONGRATE_LISTEN", "0.0.0.0:0");
    assert!(from_env.run().expect(2).stderr.contains("MONGRATE_API_TOKEN"));
}

#[test]
fn bad_parameters_are_400_and_name_the_parameter() {
    let project = Project::new(Backend::Sqlite);
    two_migrations(&project);
    let server = serve(&project);
    let token = Some(TOKEN);
    for (path, named) in [
        ("/api/migrations/up?dryRun=maybe", "dryRun"),
        ("/api/migrations/up?continueOnError=2", "continueOnError"),
        ("/api/migrations/up?to=banana", "to"),
        ("/api/migrations/up?lockTimeout=-1", "lockTimeout"),
        ("/api/migrations/up?lockTimeout=100000", "lockTimeout"),
        ("/api/migrations/up?dryrun=true", "dryrun"),
        ("/api/migrations/down?steps=0", "steps"),
        ("/api/migrations/down?steps=-3", "steps"),
        ("/api/migrations/down?steps=many", "steps"),
    ] {
        let reply = server.post(path, token);
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        assert_eq!(reply.error_kind(), "bad-request");
        assert!(reply.json()["error"]["message"].as_str().unwrap().contains(named), "{path}: {}", reply.body);
    }
    for (path, named) in [
        ("/api/migrations/history?limit=0", "limit"),
        ("/api/migrations/history?limit=abc", "limit"),
        ("/api/migrations/history?skip=-1", "skip"),
        ("/api/migrations/history?status=sideways", "status"),
        ("/api/migrations/history?version=x1", "version"),
    ] {
        let reply = server.get(path, token);
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        assert!(reply.json()["error"]["message"].as_str().unwrap().contains(named), "{path}: {}", reply.body);
    }
    for body in
        ["", "{", "[]", r#"{"name": 5}"#, r#"{"name": "x", "format": "xml"}"#, r#"{"title": "x"}"#, r#"{"name": "!!"}"#]
    {
        let reply = server.post_json("/api/migrations", token, body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
    }
    // Nothing of it ran or was written.
    assert_eq!(project.run(&["status", "--json"]).expect(0).json()["summary"]["pending"], 2);
    assert_eq!(std::fs::read_dir(project.migrations()).unwrap().count(), 2);
    assert_eq!(server.get("/nowhere", token).status, 404);
    assert_eq!(server.post("/healthz", None).status, 405);
    assert_eq!(server.get("/api/migrations/up", token).status, 405);
}

#[test]
fn continue_on_error_runs_the_rest_and_reports_every_failure() {
    for through_api in [true, false] {
        let project = Project::new(Backend::Sqlite);
        project.write("001_a.sql", "-- mongrate:up\nCREATE TABLE a (id INTEGER);\n-- mongrate:down\nDROP TABLE a;\n");
        project
            .write("002_broken.sql", "-- mongrate:up\nINSERT INTO missing VALUES (1);\n-- mongrate:down\nSELECT 1;\n");
        project.write("003_c.sql", "-- mongrate:up\nCREATE TABLE c (id INTEGER);\n-- mongrate:down\nDROP TABLE c;\n");
        project
            .write("004_broken.sql", "-- mongrate:up\nINSERT INTO absent VALUES (1);\n-- mongrate:down\nSELECT 1;\n");
        let report = if through_api {
            let server = serve(&project);
            let reply = server.post("/api/migrations/up?continueOnError=true", Some(TOKEN));
            assert_eq!(reply.status, 500, "{}", reply.body);
            assert_eq!(reply.error_kind(), "migration");
            reply.json()["report"].clone()
        } else {
            let run = project.run(&["up", "--continue-on-error", "--json"]).expect(1);
            assert!(run.stderr.contains("2 migrations failed"), "{}", run.stderr);
            run.json()
        };
        assert_eq!(versions(&report["steps"]), ["1", "3"], "{report}");
        assert_eq!(versions(&report["failures"]), ["2", "4"], "{report}");
        assert!(report["failures"][0]["message"].as_str().unwrap().contains("missing"), "{report}");
        assert!(project.has_table("a") && project.has_table("c"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(versions(&status["failed"]), ["2", "4"]);
    }
    // Without it the run stops at the first failure.
    let project = Project::new(Backend::Sqlite);
    project.write("001_broken.sql", "-- mongrate:up\nINSERT INTO missing VALUES (1);\n");
    project.write("002_b.sql", "-- mongrate:up\nCREATE TABLE b (id INTEGER);\n");
    let server = serve(&project);
    let reply = server.post("/api/migrations/up", Some(TOKEN));
    assert_eq!(reply.status, 500);
    assert_eq!(versions(&reply.json()["report"]["failures"]), ["1"]);
    assert!(!project.has_table("b"));
}

/// A run that holds the lock: one slow migration started from the command line.
fn hold_the_lock(project: &Project) -> crate::support::Runner {
    project.write(
        "001_slow.sql",
        &format!("-- mongrate:up\n{}\n-- mongrate:down\nSELECT 1;\n", project.slow_statement(4)),
    );
    let runner = project.spawn(&["up"]);
    let started = std::time::Instant::now();
    while project.run(&["lock", "status", "--json"]).json()["locked"].is_null() {
        assert!(started.elapsed() < Duration::from_secs(20), "the command line's run never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    runner
}

#[test]
fn a_held_lock_answers_409_with_its_holder_and_a_wait_applies_once() {
    let project = Project::new(Backend::Postgres);
    let server = serve(&project);
    let runner = hold_the_lock(&project);
    let reply = server.post("/api/migrations/up", Some(TOKEN));
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(reply.error_kind(), "lock-timeout");
    let holder = &reply.json()["holder"];
    assert_eq!(holder["pid"], runner.id(), "{holder}");
    for field in ["owner", "host", "lockedAt", "expiresAt"] {
        assert!(holder[field].is_string(), "{field} in {holder}");
    }
    assert_eq!(server.get("/api/migrations/lock/status", Some(TOKEN)).json()["locked"]["pid"], runner.id());
    // Waiting long enough: the command line's run applies it, this one finds nothing to do.
    let waited = server.post("/api/migrations/up?lockTimeout=60", Some(TOKEN));
    assert_eq!(waited.status, 200, "{}", waited.body);
    assert_eq!(waited.json()["steps"].as_array().map(Vec::len), Some(0));
    runner.finish().expect(0);
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(history.as_array().map(Vec::len), Some(1), "applied more than once: {history}");
}

#[test]
fn two_concurrent_runs_through_the_api_apply_each_migration_once() {
    let project = Project::new(Backend::Postgres);
    project.write("001_slow.sql", &format!("-- mongrate:up\n{}\n", project.slow_statement(2)));
    project.write("002_t.sql", "-- mongrate:up\nCREATE TABLE t (id INTEGER);\n");
    let server = serve(&project);
    let replies: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..3)
            .map(|i| {
                let server = &server;
                let wait = if i == 0 { 0 } else { 30 };
                scope.spawn(move || {
                    let reply = server.post(&format!("/api/migrations/up?lockTimeout={wait}"), Some(TOKEN));
                    (reply.status, reply.json())
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().expect("request thread")).collect()
    });
    let applied: usize = replies
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body["steps"].as_array().unwrap().len())
        .sum();
    assert_eq!(applied, 2, "{replies:?}");
    assert!(replies.iter().all(|(status, _)| *status == 200 || *status == 409), "{replies:?}");
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
}

#[test]
fn auto_run_applies_before_ready_and_replicas_apply_each_migration_once() {
    let project = Project::new(Backend::Postgres);
    project.write("001_slow.sql", &format!("-- mongrate:up\n{}\n", project.slow_statement(1)));
    project.write("002_t.sql", "-- mongrate:up\nCREATE TABLE t (id INTEGER);\n");
    let replicas: Vec<Server> = (0..3)
        .map(|_| {
            let mut command = project.command(&[]);
            command.env("MONGRATE_API_TOKEN", TOKEN).env("MIGRATE_ON_START", "true");
            Server::start(command)
        })
        .collect();
    // Not ready while the start-up run goes on (the slow migration takes a second).
    let early = replicas[0].get("/readyz", None);
    assert_eq!(early.status, 503, "{}", early.body);
    assert!(early.json()["reason"].as_str().unwrap().contains("MIGRATE_ON_START"), "{}", early.body);
    for replica in &replicas {
        replica.wait_for("/readyz", 200, Duration::from_secs(60));
    }
    let history = project.run(&["history", "--json"]).expect(0).json();
    assert_eq!(versions(&history), ["2", "1"], "each migration once: {history}");
    assert!(project.has_table("t"));
}

#[test]
fn a_failed_auto_run_keeps_serving_not_ready_or_exits_when_fail_hard() {
    let project = Project::new(Backend::Sqlite);
    project.write("001_a.sql", "-- mongrate:up\nCREATE TABLE a (id INTEGER);\n");
    project.write("002_broken.sql", "-- mongrate:up\nINSERT INTO missing VALUES (1);\n");
    let mut hard = project.command(&[]);
    hard.env("MIGRATE_ON_START", "true").env("MIGRATE_ON_START_FAIL_HARD", "true");
    let (code, log) = Server::start(hard).wait_for_exit(Duration::from_secs(20));
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("start-up migrations failed") && log.contains("missing"), "{log}");

    let mut soft = project.command(&[]);
    soft.env("MONGRATE_API_TOKEN", TOKEN).env("MIGRATE_ON_START", "true");
    let server = Server::start(soft);
    let ready = server.wait_for("/readyz", 503, Duration::from_secs(10));
    let wait = std::time::Instant::now();
    let reason = loop {
        let reply = server.get("/readyz", None);
        let reason = reply.json()["reason"].as_str().unwrap_or_default().to_owned();
        if reason.contains("failed") || wait.elapsed() > Duration::from_secs(20) {
            break reason;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(reason.contains("failed") && reason.contains("missing"), "{reason} ({})", ready.body);
    let status = server.get("/api/migrations/status", Some(TOKEN)).json();
    assert_eq!(versions(&status["failed"]), ["2"], "{status}");
    assert_eq!(versions(&status["applied"]), ["1"], "{status}");
    // Mended and applied through the API: ready.
    project.write("002_broken.sql", "-- mongrate:up\nCREATE TABLE b (id INTEGER);\n");
    assert_eq!(server.post("/api/migrations/up", Some(TOKEN)).status, 200);
    server.wait_for("/readyz", 200, Duration::from_secs(10));
}

#[test]
fn sigterm_stops_a_running_migration_records_it_and_exits_0() {
    let project = Project::new(Backend::Postgres);
    project.write(
        "001_slow.sql",
        &format!("-- mongrate:up\n{}\nCREATE TABLE t (id INTEGER);\n", project.slow_statement(30)),
    );
    let server = serve(&project);
    std::thread::scope(|scope| {
        let running = scope.spawn(|| server.post("/api/migrations/up", Some(TOKEN)));
        let started = std::time::Instant::now();
        while server.get("/api/migrations/lock/status", Some(TOKEN)).json()["locked"].is_null() {
            assert!(started.elapsed() < Duration::from_secs(20), "the run never took the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
        let reply = running.join().expect("request thread");
        assert_eq!(reply.status, 503, "{}\n{}", reply.body, server.log());
        assert_eq!(reply.error_kind(), "interrupted");
    });
    let (code, log) = server.terminate(Duration::from_secs(10));
    assert_eq!(code, 0, "{log}");
    assert!(!project.has_table("t"));
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["locked"], serde_json::Value::Null, "the lease is still held: {status}");
    // Recorded as interrupted; rolled back, so the next run simply runs it again.
    assert_eq!(versions(&status["failed"]), ["1"], "{status}");
    assert!(status["failed"][0]["error"].as_str().unwrap().contains("interrupted"), "{status}");
}

#[test]
fn readyz_says_when_the_database_is_gone() {
    let project = Project::new(Backend::Postgres);
    two_migrations(&project);
    let server = serve(&project);
    assert_eq!(server.get("/readyz", None).status, 200);
    let name = project.url.rsplit('/').next().unwrap().to_owned();
    let admin = format!("{}/postgres", project.url.rsplit_once('/').unwrap().0);
    let dropped = std::process::Command::new("psql")
        .args([&admin, "-qtAc", &format!("DROP DATABASE {name} WITH (FORCE)")])
        .output()
        .expect("psql runs");
    assert!(dropped.status.success(), "{}", String::from_utf8_lossy(&dropped.stderr));
    let reply = server.wait_for("/readyz", 503, Duration::from_secs(20));
    assert!(reply.json()["reason"].as_str().unwrap().contains("database"), "{}", reply.body);
    let metrics = server.get("/metrics", None);
    assert!(metrics.body.lines().any(|l| l == "mongrate_database_up 0"), "{}", metrics.body);
    let status = server.get("/api/migrations/status", Some(TOKEN));
    assert!(status.status >= 500, "{}", status.body);
    assert!(status.json()["error"]["message"].is_string());
}

#[test]
fn a_broken_file_does_not_stop_the_service_it_says_what_is_wrong() {
    let project = Project::new(Backend::Sqlite);
    two_migrations(&project);
    project.write("20250101000200-broken.sql", "-- mongrate:up\n");
    let server = serve(&project);
    let status = server.get("/api/migrations/status", Some(TOKEN));
    assert_eq!((status.status, status.error_kind().as_str()), (422, "validation"), "{}", status.body);
    assert!(status.body.contains("20250101000200-broken.sql"), "{}", status.body);
    let ready = server.get("/readyz", None);
    assert_eq!(ready.status, 503);
    assert!(ready.json()["reason"].as_str().unwrap().contains("20250101000200-broken.sql"), "{}", ready.body);
    let up = server.post("/api/migrations/up", Some(TOKEN));
    assert_eq!(up.status, 422, "{}", up.body);
    assert_eq!(project.run(&["history", "--json"]).expect(0).json(), json!([]));
    // Mended on disk: the next request reads it again.
    project.write("20250101000200-broken.sql", "-- mongrate:up\nCREATE TABLE fixed (id INTEGER);\n");
    assert_eq!(server.get("/api/migrations/status", Some(TOKEN)).json()["summary"]["pending"], 3);
    assert_eq!(server.post("/api/migrations/up", Some(TOKEN)).status, 200);
    server.wait_for("/readyz", 200, Duration::from_secs(5));
}
