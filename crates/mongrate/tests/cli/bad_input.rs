//! Bad input: a clear error naming the file (and line) and what to do, and nothing applied.

use std::io::Read;
use std::net::TcpListener;

use crate::support::{Backend, Project};

const GOOD: &str = "-- mongrate:up\nCREATE TABLE good (id INTEGER);\n-- mongrate:down\nDROP TABLE good;\n";

/// Runs `up` with a good migration beside a bad file; checks the error and that nothing ran.
#[track_caller]
fn refused(project: &Project, expected_code: i32, needles: &[&str]) {
    project.write("001_good.sql", GOOD);
    let run = project.run(&["up"]).expect(expected_code);
    for needle in needles {
        assert!(run.stderr.contains(needle), "{needle:?} missing from: {}", run.stderr);
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!project.has_table("good"), "nothing is applied when a file is bad");
    assert!(!project.has_table("mongrate_migrations"), "not even the changelog is created");
}

#[test]
fn unparsable_file_name() {
    let project = Project::new(Backend::Sqlite);
    project.write("add_users.sql", GOOD);
    refused(&project, 4, &["add_users.sql", "version"]);
}

#[test]
fn duplicate_version_names_both_files() {
    let project = Project::new(Backend::Sqlite);
    project.write("1_other.sql", GOOD);
    refused(&project, 4, &["001_good.sql and 1_other.sql"]);
}

#[test]
fn missing_up_section() {
    let project = Project::new(Backend::Postgres);
    project.write("002_no_up.sql", "CREATE TABLE x (id INTEGER);\n");
    refused(&project, 4, &["002_no_up.sql:1", "-- mongrate:up"]);
    project.write("002_no_up.sql", "-- only a comment\n");
    refused(&project, 4, &["002_no_up.sql", "no `-- mongrate:up` section"]);
}

#[test]
fn unknown_directive_names_the_line() {
    let project = Project::new(Backend::Sqlite);
    project.write("002_typo.sql", "-- mongrate:up\nSELECT 1;\n-- mongrate:donw\nSELECT 2;\n");
    refused(&project, 4, &["002_typo.sql:3", "mongrate:donw", "-- mongrate:down"]);
}

#[test]
fn every_problem_is_listed_at_once() {
    let project = Project::new(Backend::Sqlite);
    project.write("x.sql", GOOD);
    project.write("003_bad.sql", "-- mongrate:up\n-- mongrate:nope\n");
    refused(&project, 4, &["x.sql", "003_bad.sql:2"]);
}

#[test]
fn a_mongodb_file_in_a_sql_project() {
    let project = Project::new(Backend::Sqlite);
    project.write("002_users.yaml", "up: []\n");
    refused(&project, 4, &["002_users.yaml", ".sql"]);
}

#[test]
fn a_database_that_refuses_connections() {
    let project = Project::new(Backend::Sqlite);
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut command = project.command(&["status", "--connect-timeout", "3"]);
    command.arg("--url").arg(format!("postgres://postgres@127.0.0.1:{port}/app"));
    let run = command.run().expect(1);
    assert!(run.stderr.contains("cannot connect to postgres://postgres@127.0.0.1"), "{}", run.stderr);
}

#[test]
fn a_database_that_never_answers_times_out() {
    let project = Project::new(Backend::Sqlite);
    // Accepts the connection and then says nothing, like a server behind a black hole.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut buffer = [0u8; 1024];
        let _ = socket.read(&mut buffer);
        std::thread::sleep(std::time::Duration::from_secs(6));
    });
    let mut command = project.command(&["up", "--connect-timeout", "2"]);
    command.arg("--url").arg(format!("postgres://postgres:secret@127.0.0.1:{port}/app"));
    let stderr = command.run().expect(1).stderr;
    assert!(stderr.contains("no answer within 2 s") || stderr.contains("timed out"), "{stderr}");
    assert!(!stderr.contains("secret"), "the password is not shown: {stderr}");
    silent.join().unwrap();
}

#[test]
fn malformed_config_names_file_and_line() {
    let project = Project::new(Backend::Sqlite);
    std::fs::write(project.path().join("mongrate.toml"), "url = \"sqlite:x.db\"\n[lock]\nttl_seconds = \"soon\"\n")
        .unwrap();
    let run = project.run(&["status"]).expect(2);
    assert!(run.stderr.contains("mongrate.toml") && run.stderr.contains("line 3"), "{}", run.stderr);
    std::fs::write(project.path().join("mongrate.toml"), "url = \"${MONGRATE_TEST_UNSET_VARIABLE}\"\n").unwrap();
    let run = project.run(&["status"]).expect(2);
    assert!(run.stderr.contains("MONGRATE_TEST_UNSET_VARIABLE"), "{}", run.stderr);
}

#[test]
fn no_url_anywhere_says_how_to_set_one() {
    let project = Project::new(Backend::Sqlite);
    let stderr = project.bare().arg("status").run().expect(2).stderr;
    assert!(stderr.contains("MONGRATE_URL") && stderr.contains("--url"), "{stderr}");
    assert!(!project.path().join("mongrate.db").exists(), "no silent default database");
}

#[test]
fn unknown_url_scheme_and_bad_flags() {
    let project = Project::new(Backend::Sqlite);
    let mut command = project.command(&["status"]);
    command.arg("--url").arg("mysql://localhost/app");
    let run = command.run().expect(2);
    assert!(run.stderr.contains("mysql"), "{}", run.stderr);
    project.run(&["up", "--to", "abc"]).expect(2);
    project.run(&["down", "--steps", "0"]).expect(2);
    project.run(&["frobnicate"]).expect(2);
}

#[test]
fn json_errors_for_machines() {
    let project = Project::new(Backend::Sqlite);
    project.write("bad.sql", GOOD);
    let run = project.run(&["up", "--json"]).expect(4);
    let error = run.json();
    assert_eq!(error["error"]["exitCode"], 4);
    assert!(error["error"]["message"].as_str().unwrap().contains("bad.sql"));
}

#[test]
fn a_short_or_malformed_url_is_refused_with_the_accepted_forms() {
    const SQL_FORMS: [&str; 3] =
        ["sqlite:path/to/app.db", "sqlite:///absolute/path/app.db", "postgres://user:password@host:5432/dbname"];
    let mut project = Project::new(Backend::Sqlite);
    for (url, needles) in [
        ("sqlite", &SQL_FORMS[..]),
        ("sqlite:", &SQL_FORMS[..]),
        ("postgres://", &["names no server", SQL_FORMS[2]][..]),
        ("postgres://x:y@h:bad/db", &["x:***@h:bad/db", "between 1 and 65535", SQL_FORMS[2]][..]),
        // The MongoDB driver reads its URLs; its wording is not asserted, only the outcome.
        ("mongodb://x:y@h:bad/db", &["x:***@h:bad/db"][..]),
        ("app.db", &["mongodb://user:password@host:27017/dbname", SQL_FORMS[0]][..]),
    ] {
        project.url = url.to_owned();
        let run = project.run(&["status"]).expect(2);
        for needle in needles {
            assert!(run.stderr.contains(needle), "{url}: {needle:?} missing from: {}", run.stderr);
        }
        assert!(!run.stderr.contains("panicked"), "{url}: {}", run.stderr);
        assert!(!run.stderr.contains("x:y@"), "{url}: the password is not shown: {}", run.stderr);
    }
    let left: Vec<_> = std::fs::read_dir(project.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["migrations"], "no database file was created");
}
