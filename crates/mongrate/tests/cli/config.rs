//! Where settings come from, and the quick start on the embedded SQLite database.

use std::process::Command;

use crate::support::{Backend, Project};

fn bare(project: &Project) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mongrate"));
    command.current_dir(project.path()).env_remove("MONGRATE_URL").env_remove("DATABASE_URL");
    command
}

#[test]
fn init_then_up_on_sqlite() {
    let project = Project::new(Backend::Sqlite);
    let init = bare(&project).arg("init").output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let config = std::fs::read_to_string(project.path().join("mongrate.toml")).unwrap();
    assert!(config.contains("url = \"sqlite:mongrate.db\""), "{config}");
    let again = bare(&project).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2), "init does not overwrite without --force");

    let up = bare(&project).arg("up").output().unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    let status = bare(&project).args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
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
    let up = bare(&project).args(["--config", "deploy/app.toml", "up"]).output().unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    assert!(nested.join("app.db").exists());

    // DATABASE_URL wins over the file; --url wins over DATABASE_URL.
    let env_db = project.path().join("env.db");
    let up = bare(&project)
        .args(["--config", "deploy/app.toml", "up"])
        .env("DATABASE_URL", format!("sqlite:{}", env_db.display()))
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    assert!(env_db.exists());
    let flag_db = project.path().join("flag.db");
    let up = bare(&project)
        .args(["--config", "deploy/app.toml", "up", "--url", &format!("sqlite:{}", flag_db.display())])
        .env("DATABASE_URL", format!("sqlite:{}", env_db.display()))
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
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
        let output = bare(&project)
            .arg("--config")
            .arg(example.join("mongrate.toml"))
            .args(args)
            .env("EXAMPLE_DB", &db)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
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
