//! Where settings come from, and the quick start on the embedded SQLite database.

use std::process::Command;

use crate::support::{Backend, Project};

#[test]
fn init_then_up_on_sqlite() {
    let project = Project::new(Backend::Sqlite);
    project.bare().arg("init").run().expect(0);
    let config = std::fs::read_to_string(project.path().join("mongrate.toml")).unwrap();
    assert!(config.contains("url = \"sqlite:mongrate.db\""), "{config}");
    let again = project.bare().arg("init").run();
    assert_eq!(again.code, 2, "init does not overwrite without --force");

    project.bare().arg("up").run().expect(0);
    let status = project.bare().args(["status", "--json"]).run().expect(0).json();
    assert_eq!(status["summary"]["applied"], 1, "the example migration: {status}");
}

#[test]
fn environment_url_and_config_file_paths() {
    let project = Project::new(Backend::Sqlite);
    let nested = project.path().join("deploy");
    std::fs::create_dir_all(nested.join("db")).unwrap();
    std::fs::write(nested.join("db/001_t.sql"), "-- mongrate:up\nCREATE TABLE t (x INTEGER);\n").unwrap();
    // Paths in a config file are relative to the file.
    std::fs::write(nested.join("app.toml"), "url = \"sqlite:${APP_DB:-app.db}\"\nmigrations_dir = \"db\"\n").unwrap();
    project.bare().args(["--config", "deploy/app.toml", "up"]).run().expect(0);
    assert!(nested.join("app.db").exists());

    // DATABASE_URL wins over the file; --url wins over DATABASE_URL.
    let env_db = project.path().join("env.db");
    project
        .bare()
        .args(["--config", "deploy/app.toml", "up"])
        .env("DATABASE_URL", format!("sqlite:{}", env_db.display()))
        .run()
        .expect(0);
    assert!(env_db.exists());
    let flag_db = project.path().join("flag.db");
    project
        .bare()
        .args(["--config", "deploy/app.toml", "up", "--url", &format!("sqlite:{}", flag_db.display())])
        .env("DATABASE_URL", format!("sqlite:{}", env_db.display()))
        .run()
        .expect(0);
    assert!(flag_db.exists());
}

#[test]
fn log_format_json_and_quiet() {
    let project = Project::new(Backend::Sqlite);
    project.write("001_t.sql", "-- mongrate:up\nCREATE TABLE t (x INTEGER);\n");
    let run = project.run(&["up", "--log-format", "json"]).expect(0);
    let event: serde_json::Value = serde_json::from_str(run.stderr.lines().next().unwrap()).unwrap();
    assert_eq!(event["event"], "step_completed");
    assert_eq!(event["version"], "1");
    assert!(event["executionTime"].is_number());
    project.write("002_u.sql", "-- mongrate:up\nCREATE TABLE u (x INTEGER);\n");
    let quiet = project.run(&["up", "--quiet"]).expect(0);
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty(), "{quiet:?}");
}

#[test]
fn the_readme_example_project_runs_up_and_down() {
    let project = Project::new(Backend::Sqlite);
    let example = crate::support::repo_root().join("examples/sqlite");
    let db = project.path().join("example.db");
    let run = |args: &[&str]| {
        project
            .bare()
            .arg("--config")
            .arg(example.join("mongrate.toml"))
            .args(args)
            .env("EXAMPLE_DB", &db)
            .run()
            .expect(0)
            .stdout
    };
    run(&["up"]);
    let status: serde_json::Value = serde_json::from_str(&run(&["status", "--json"])).unwrap();
    assert_eq!(status["summary"]["applied"], 4, "{status}");
    let names = Command::new("sqlite3").arg(&db).arg("SELECT display_name FROM users ORDER BY id").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout), "ada\ngrace\n");
    run(&["down", "--all"]);
    let status: serde_json::Value = serde_json::from_str(&run(&["status", "--json"])).unwrap();
    assert_eq!(status["summary"]["pending"], 4, "{status}");
}
