//! The everyday commands, end to end, on both databases.

use crate::on_both;
use crate::support::{Backend, Project};

const USERS: &str = "-- The users table\n-- mongrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n-- mongrate:down\nDROP TABLE users;\n";
const SEED: &str = "-- mongrate:up\nINSERT INTO users (id, email) VALUES (1, 'a@example.com');\nINSERT INTO users (id, email) VALUES (2, 'b@example.com');\n-- mongrate:down\nDELETE FROM users WHERE id IN (1, 2);\n";
const POSTS: &str = "-- mongrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\n-- mongrate:down\nDROP TABLE posts;\n";

fn three(project: &Project) {
    project.write("001_users.sql", USERS);
    project.write("002_seed.sql", SEED);
    project.write("003_posts.sql", POSTS);
}

fn states(project: &Project) -> Vec<(String, String)> {
    let run = project.run(&["list", "--json"]).expect(0);
    run.json()
        .as_array()
        .expect("list is an array")
        .iter()
        .map(|e| (e["version"].as_str().unwrap().to_owned(), e["state"].as_str().unwrap().to_owned()))
        .collect()
}

fn applied(project: &Project) -> Vec<String> {
    states(project).into_iter().filter(|(_, s)| s == "applied").map(|(v, _)| v).collect()
}

on_both! {
    up_status_and_history => |project: Project| {
        three(&project);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["pending"], 3);
        assert_eq!(status["pending"][0]["version"], "1");
        assert_eq!(status["pending"][0]["reversible"], true);
        assert!(status["locked"].is_null());
        project.run(&["status", "--exit-code"]).expect(5);

        let up = project.run(&["up"]).expect(0);
        assert!(up.stderr.contains("applied  1 users"), "{}", up.stderr);
        assert!(up.stdout.contains("ran 3 migrations"), "{}", up.stdout);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "2");
        assert!(project.has_table("posts"));

        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 3);
        assert_eq!(status["summary"]["total"], 3);
        assert!(status["applied"][0]["appliedAt"].as_str().unwrap().ends_with('Z'));
        assert!(status["applied"][0]["executionTime"].is_number());
        assert_eq!(status["server"]["kind"], if project.backend == Backend::Sqlite { "sqlite" } else { "postgres" });
        project.run(&["status", "--exit-code"]).expect(0);
        let human = project.run(&["status"]).expect(0);
        assert!(human.stdout.contains("3 total, 3 applied, 0 pending, 0 failed"), "{}", human.stdout);

        let again = project.run(&["up"]).expect(0);
        assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);

        let history = project.run(&["history", "--json"]).expect(0).json();
        let entries = history.as_array().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0]["version"], "3", "newest first");
        assert_eq!(entries[0]["action"], "up");
        assert_eq!(entries[0]["status"], "completed");
        let page = project.run(&["history", "--json", "--limit", "1", "--skip", "1"]).expect(0).json();
        assert_eq!(page[0]["version"], "2");
        let failed_only = project.run(&["history", "--json", "--status", "failed"]).expect(0).json();
        assert_eq!(failed_only.as_array().unwrap().len(), 0);
        project.run(&["history", "--status", "weird"]).expect(2);
        project.run(&["validate"]).expect(0);
    };

    down_variants_and_migrate => |project: Project| {
        three(&project);
        project.run(&["up", "--to", "2"]).expect(0);
        assert_eq!(applied(&project), ["1", "2"]);
        project.run(&["up"]).expect(0);

        project.run(&["down"]).expect(0);
        assert!(!project.has_table("posts"));
        assert_eq!(applied(&project), ["1", "2"]);

        project.run(&["down", "--steps", "2"]).expect(0);
        assert!(!project.has_table("users"));
        assert!(applied(&project).is_empty());

        project.run(&["migrate", "2"]).expect(0);
        assert_eq!(applied(&project), ["1", "2"]);
        project.run(&["migrate", "3"]).expect(0);
        assert_eq!(applied(&project), ["1", "2", "3"]);
        project.run(&["down", "--to", "1"]).expect(0);
        assert_eq!(applied(&project), ["1"]);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "0");

        // --batch reverts what the last `up` run applied.
        project.run(&["up"]).expect(0);
        project.run(&["down", "--batch"]).expect(0);
        assert_eq!(applied(&project), ["1"]);

        project.run(&["migrate", "0"]).expect(0);
        assert!(applied(&project).is_empty());
        project.run(&["down"]).expect(0);
        project.run(&["migrate", "42"]).expect(2);

        let history = project.run(&["history", "--json", "--limit", "100"]).expect(0).json();
        let downs = history.as_array().unwrap().iter().filter(|e| e["action"] == "down").count();
        assert_eq!(downs, 8, "every revert is in the audit trail");
    };

    irreversible_migrations_are_not_reverted => |project: Project| {
        project.write("001_users.sql", USERS);
        project.write("002_forever.sql", "-- mongrate:up\nINSERT INTO users (id, email) VALUES (9, 'z');\n");
        project.run(&["up"]).expect(0);
        let list = project.run(&["list"]).expect(0);
        assert!(list.stdout.contains("no "), "{}", list.stdout);
        let refused = project.run(&["down", "--all"]).expect(4);
        assert!(refused.stderr.contains("002_forever.sql") && refused.stderr.contains("irreversible"), "{}", refused.stderr);
        assert_eq!(applied(&project), ["1", "2"], "nothing was reverted");
        assert_eq!(project.sql("SELECT count(*) FROM users"), "1");
    };

    drift_repair_and_mark => |project: Project| {
        three(&project);
        project.run(&["up", "--to", "2"]).expect(0);
        project.write("002_seed.sql", &SEED.replace("b@example.com", "c@example.com"));
        let drift = project.run(&["up"]).expect(4);
        assert!(drift.stderr.contains("002_seed.sql") && drift.stderr.contains("changed after it was applied"), "{}", drift.stderr);
        project.run(&["validate"]).expect(4);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["drift"][0]["version"], "2");
        project.run(&["status", "--exit-code"]).expect(4);

        project.run(&["repair"]).expect(0);
        project.run(&["validate"]).expect(0);
        project.run(&["up"]).expect(0);
        let repairs = project.run(&["history", "--json"]).expect(0).json();
        assert!(repairs.as_array().unwrap().iter().any(|e| e["action"] == "repair" && e["version"] == "2"));

        // A vanished applied file is drift until it is forgotten on purpose.
        project.run(&["down"]).expect(0);
        project.run(&["up"]).expect(0);
        project.remove("003_posts.sql");
        let missing = project.run(&["up"]).expect(4);
        assert!(missing.stderr.contains("file is missing"), "{}", missing.stderr);
        project.run(&["mark", "3", "--pending"]).expect(0);
        project.run(&["up"]).expect(0);
        assert_eq!(applied(&project), ["1", "2"]);
    };

    mark_baselines_an_existing_database => |project: Project| {
        three(&project);
        project.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)");
        project.run(&["mark", "2", "--applied", "--through"]).expect(0);
        assert_eq!(applied(&project), ["1", "2"]);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "0", "marking runs nothing");
        project.run(&["up"]).expect(0);
        assert!(project.has_table("posts"));
        project.run(&["mark", "3", "--applied"]).expect(4);
        project.run(&["mark", "7", "--applied"]).expect(2);
        let history = project.run(&["history", "--json"]).expect(0).json();
        assert_eq!(history.as_array().unwrap().iter().filter(|e| e["action"] == "mark-applied").count(), 2);
    };

    out_of_order_files_are_refused_unless_allowed => |project: Project| {
        project.write("001_users.sql", USERS);
        project.write("003_posts.sql", POSTS);
        project.run(&["up"]).expect(0);
        project.write("002_seed.sql", SEED);
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("002_seed.sql") && refused.stderr.contains("--allow-out-of-order"), "{}", refused.stderr);
        project.run(&["validate"]).expect(4);
        project.run(&["up", "--allow-out-of-order"]).expect(0);
        assert_eq!(applied(&project), ["1", "2", "3"]);
    };

    create_writes_a_template_that_runs => |project: Project| {
        let created = project.run(&["create", "Add Users Table", "--migrations-dir", "migrations"]).expect(0);
        assert!(created.stdout.contains("-add-users-table.sql"), "{}", created.stdout);
        let second = project.run(&["create", "add users table", "--migrations-dir", "migrations"]).expect(0);
        assert_ne!(created.stdout, second.stdout, "two files in one second get two versions");
        let files: Vec<_> = std::fs::read_dir(project.migrations()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 2);
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.len() > 15 && name[..14].chars().all(|c| c.is_ascii_digit()), "{name}");
            let text = std::fs::read_to_string(file).unwrap();
            std::fs::write(file, text.replace("-- mongrate:up\n", &format!("-- mongrate:up\nCREATE TABLE t{} (x INTEGER);\n", &name[..14]))).unwrap();
        }
        project.run(&["up"]).expect(0);
        assert_eq!(applied(&project).len(), 2);
    };

    lock_status_and_forced_release => |project: Project| {
        project.write("001_users.sql", USERS);
        project.run(&["up"]).expect(0);
        let free = project.run(&["lock", "status", "--json"]).expect(0).json();
        assert!(free["locked"].is_null());
        project.sql("INSERT INTO mongrate_lock (id, owner, host, pid, reason, locked_at, heartbeat_at, expires_at) VALUES ('mongrate', 'someone', 'other-host', 4242, 'test', 0, 0, 99999999999999)");
        let held = project.run(&["lock", "status", "--json"]).expect(0).json();
        assert_eq!(held["locked"]["host"], "other-host");
        assert_eq!(held["locked"]["pid"], 4242);
        assert_eq!(held["locked"]["expired"], false);
        let human = project.run(&["lock", "status"]).expect(0);
        assert!(human.stdout.contains("held by other-host (pid 4242)"), "{}", human.stdout);

        project.write("002_seed.sql", SEED);
        let blocked = project.run(&["up", "--lock-timeout", "1"]).expect(3);
        assert!(blocked.stderr.contains("other-host") && blocked.stderr.contains("lock release --confirm"), "{}", blocked.stderr);

        project.run(&["lock", "release"]).expect(2);
        assert_eq!(project.run(&["lock", "status", "--json"]).expect(0).json()["locked"]["host"], "other-host");
        let released = project.run(&["lock", "release", "--confirm"]).expect(0);
        assert!(released.stdout.contains("other-host"), "{}", released.stdout);
        project.run(&["up", "--lock-timeout", "1"]).expect(0);
        assert!(project.run(&["lock", "status", "--json"]).expect(0).json()["locked"].is_null());
    };

    an_expired_lease_is_taken_over => |project: Project| {
        project.write("001_users.sql", USERS);
        project.run(&["up"]).expect(0);
        project.sql("INSERT INTO mongrate_lock (id, owner, host, pid, reason, locked_at, heartbeat_at, expires_at) VALUES ('mongrate', 'dead', 'gone-host', 1, 'crashed', 0, 0, 1)");
        assert_eq!(project.run(&["lock", "status", "--json"]).expect(0).json()["locked"]["expired"], true);
        project.write("002_seed.sql", SEED);
        project.run(&["up", "--lock-timeout", "1"]).expect(0);
        assert_eq!(applied(&project), ["1", "2"]);
    };
}
