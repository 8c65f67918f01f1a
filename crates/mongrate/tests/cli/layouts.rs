//! Other tools' SQL layouts read as they are: every folder of `tests/fixtures/layouts/` goes up,
//! down all the way (empty downs succeed, statements refused inside a transaction run without
//! one) and up again on SQLite and PostgreSQL; a directory that mixes layouts, a configured layout
//! the files do not follow and a wrong `layout` value are refused by name. Repeatable migrations
//! (Flyway's `R__`, `-- mongrate:repeatable`, YAML and JavaScript `repeatable: true`) run after
//! the versioned ones whenever they change, on SQL and on FerretDB.

use crate::on_both;
use crate::support::{Backend, Project, copy_dir, repo_root};

/// Copies `tests/fixtures/layouts/<folder>` into the project's migrations directory.
fn with_fixture(project: &Project, folder: &str) {
    let from = repo_root().join("crates/mongrate/tests/fixtures/layouts").join(folder);
    copy_dir(&from, &project.migrations());
}

/// The round trip every reversible folder makes: up, status, down all the way, up again. Its
/// `repeatables` stay applied through the down (they are never reverted).
#[track_caller]
fn round_trip(project: &Project, layout: &str, migrations: u64, repeatables: u64, tables: &[&str]) {
    let valid = project.run(&["validate", "--json"]).expect(0).json();
    assert_eq!(valid["layout"], layout, "{valid}");
    assert_eq!(valid["migrations"], migrations, "{valid}");

    project.run(&["up"]).expect(0);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["layout"], layout);
    assert_eq!(status["summary"]["applied"], migrations, "{status}");
    assert_eq!(status["summary"]["pending"], 0, "{status}");
    for table in tables {
        assert!(project.has_table(table), "{table} after up");
    }
    // The text says which layout was read, where it is not mongrate's own.
    let text = project.run(&["status"]).expect(0);
    assert_eq!(text.stdout.contains(&format!("({layout} layout)")), layout != "mongrate", "{}", text.stdout);

    project.run(&["down", "--all"]).expect(0);
    for table in tables {
        assert!(!project.has_table(table), "{table} after down --all");
    }
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], repeatables, "{status}");
    assert_eq!(status["summary"]["pending"], migrations - repeatables, "{status}");

    project.run(&["up"]).expect(0);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], migrations, "{status}");
    for table in tables {
        assert!(project.has_table(table), "{table} after up again");
    }
    let downs = project.run(&["history", "--json", "--limit", "1000"]).expect(0).json();
    let downs = downs.as_array().expect("history entries").iter().filter(|e| e["action"] == "down").count();
    assert_eq!(downs as u64, migrations - repeatables, "one history entry per down");
}

on_both! {
    golang_migrate_pairs_run_as_written => |project: Project| {
        with_fixture(&project, "golang-migrate");
        round_trip(&project, "golang-migrate", 7, 0, &["users", "posts", "comments"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        let versions: Vec<&str> =
            status["applied"].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
        assert_eq!(versions, ["1", "2", "3", "4", "5", "6", "10"]);
        assert_eq!(status["applied"][1]["file"], "2_add_posts.up.sql");
        assert_eq!(project.sql("SELECT count(*) FROM users"), "2", "the file with its own transaction ran");
        // The no-op downs left their work: the audit table of 5 stays through down --all.
        assert!(project.has_table("audit"));
    };

    sqlx_reversible_migrations => |project: Project| {
        with_fixture(&project, "sqlx");
        round_trip(&project, "sqlx", 3, 0, &["users", "posts"]);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "1");
    };

    sqlx_simple_migrations_apply_and_are_irreversible => |project: Project| {
        with_fixture(&project, "sqlx-simple");
        let valid = project.run(&["validate", "--json"]).expect(0).json();
        assert_eq!(valid["layout"], "sqlx");
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM users"), "2");
        let refused = project.run(&["down", "--all"]).expect(4);
        assert!(refused.stderr.contains("irreversible") && refused.stderr.contains("3_vacuum.sql"), "{}", refused.stderr);
        assert!(project.has_table("users"), "nothing was reverted");
    };

    dbmate_sections => |project: Project| {
        with_fixture(&project, "dbmate");
        round_trip(&project, "dbmate", 4, 0, &["users", "posts"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["applied"][0]["version"], "20240101000001");
    };

    flyway_versioned_undo_repeatable_files_and_placeholders => |project: Project| {
        with_fixture(&project, "flyway");
        let conf = repo_root().join("crates/mongrate/tests/fixtures/layouts/flyway.conf");
        std::fs::copy(conf, project.path().join("flyway.conf")).unwrap();
        round_trip(&project, "flyway", 9, 1, &["users", "posts", "comments", "app_audit"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        let versions: Vec<&str> =
            status["applied"].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
        // Ordered as Flyway orders them, shown as written.
        assert_eq!(versions, ["1", "1.1", "1.2", "1.10", "2", "2.1", "3", "2024.01.15.1", "R__settings_view"]);
        assert_eq!(status["applied"][8]["repeatable"], true);
        let schema = if project.backend == Backend::Postgres { "public" } else { "main" };
        assert_eq!(project.sql("SELECT note FROM app_audit"), format!("V3__placeholders.sql on {schema}"));
        assert_eq!(project.sql("SELECT source FROM app_settings"), "flyway");
        let one_ten = project.run(&["history", "--json", "--version", "1.10"]).expect(0).json();
        assert_eq!(one_ten.as_array().unwrap().len(), 3, "up, down, up of 1.10: {one_ten}");
        assert!(one_ten.as_array().unwrap().iter().all(|e| e["version"] == "1.10"));
        project.run(&["down", "--to", "1.2"]).expect(0);
        assert!(!project.has_table("posts") && project.has_table("users"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        let pending: Vec<&str> =
            status["pending"].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
        assert_eq!(pending, ["1.10", "2", "2.1", "3", "2024.01.15.1"]);
    };

    flyway_placeholders_from_mongrate_toml_win_and_a_missing_one_is_named => |project: Project| {
        project.write("V1__t.sql", "CREATE TABLE ${prefix}t (id INTEGER);\n");
        project.write("V2__u.sql", "CREATE TABLE u (id INTEGER);\n-- owned by ${owner}\n");
        std::fs::write(project.path().join("flyway.conf"), "flyway.placeholders.prefix=conf_\n").unwrap();
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("V2__u.sql:2: no value for the Flyway placeholder ${owner}"), "{}", refused.stderr);
        assert!(refused.stderr.contains("flyway.placeholders.owner"), "{}", refused.stderr);
        assert!(!project.has_table("conf_t"), "nothing ran");
        std::fs::write(project.path().join("mongrate.toml"), "[placeholders]\nprefix = \"toml_\"\nowner = \"ops\"\n").unwrap();
        project.run(&["up"]).expect(0);
        assert!(project.has_table("toml_t") && !project.has_table("conf_t"));
    };

    diesel_folders => |project: Project| {
        with_fixture(&project, "diesel");
        round_trip(&project, "diesel", 4, 0, &["users", "posts"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        let applied = status["applied"].as_array().unwrap();
        assert_eq!(applied[0]["version"], "0");
        assert_eq!(applied[1]["version"], "20240115103000");
        assert_eq!(applied[1]["file"], "2024-01-15-103000_create_users");
    };

    mongrate_format_with_a_no_op_down_and_a_repeatable => |project: Project| {
        with_fixture(&project, "mongrate");
        round_trip(&project, "mongrate", 4, 1, &["users", "posts"]);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["applied"][3]["version"], "R__settings_view");
        assert_eq!(status["applied"][3]["file"], "004_settings_view.sql");
    };

    repeatables_run_again_whenever_they_change_and_never_drift => |project: Project| {
        project.write("V1__users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n");
        project.write("U1__users.sql", "DROP TABLE users;\n");
        let view = |columns: &str| format!("DROP VIEW IF EXISTS user_emails;\nCREATE VIEW user_emails AS SELECT {columns} FROM users;\n");
        project.write("R__user_emails.sql", &view("email"));
        project.run(&["up"]).expect(0);
        let ups = |project: &Project| {
            let history = project.run(&["history", "--json", "--version", "R__user_emails"]).expect(0).json();
            history.as_array().unwrap().iter().filter(|e| e["action"] == "up" && e["status"] == "completed").count()
        };
        assert_eq!(ups(&project), 1);
        // Unchanged: not run again.
        let again = project.run(&["up", "--json"]).expect(0).json();
        assert_eq!(again["steps"].as_array().unwrap().len(), 0, "{again}");
        assert_eq!(ups(&project), 1);

        // Changed: outdated, no drift, and the next up applies it again.
        project.write("R__user_emails.sql", &view("id, email"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["pending"][0]["version"], "R__user_emails", "{status}");
        assert_eq!(status["pending"][0]["state"], "outdated");
        assert_eq!(status["summary"]["drift"], 0);
        let text = project.run(&["status"]).expect(0);
        assert!(text.stdout.contains("outdated") && text.stdout.contains("repeatable, changed: runs again"), "{}", text.stdout);
        project.run(&["validate"]).expect(0);
        let applied = project.run(&["up", "--json"]).expect(0).json();
        assert_eq!(applied["steps"][0]["version"], "R__user_emails", "{applied}");
        assert_eq!(ups(&project), 2);
        project.sql("SELECT id, email FROM user_emails");

        // Gone: shown as missing, no drift, nothing blocked.
        project.remove("R__user_emails.sql");
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["drift"], 0, "{status}");
        assert_eq!(status["applied"][1]["version"], "R__user_emails");
        project.write("V2__more.sql", "CREATE TABLE more (id INTEGER);\n");
        project.run(&["up"]).expect(0);
        assert!(project.has_table("more"));
    };

    a_changelog_from_before_keys_that_are_not_numbers_gets_its_column_when_one_needs_it => |project: Project| {
        project.write("V1__users.sql", "CREATE TABLE users (id INTEGER);\n");
        project.run(&["up"]).expect(0);
        // The tables as mongrate made them before dotted versions and repeatables.
        for table in ["mongrate_migrations", "mongrate_history"] {
            project.sql(&format!("ALTER TABLE {table} DROP COLUMN version_text"));
        }
        let has_column = |project: &Project| {
            let query = match project.backend {
                Backend::Postgres => "SELECT count(*) FROM information_schema.columns WHERE column_name = 'version_text'",
                _ => "SELECT (SELECT count(*) FROM pragma_table_info('mongrate_migrations') WHERE name = 'version_text') + (SELECT count(*) FROM pragma_table_info('mongrate_history') WHERE name = 'version_text')",
            };
            project.sql(query)
        };
        // Whole numbers only: read and written as ever, the tables untouched.
        project.write("V2__more.sql", "CREATE TABLE more (id INTEGER);\n");
        project.run(&["up"]).expect(0);
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 2, "{status}");
        project.run(&["history", "--json"]).expect(0);
        assert_eq!(has_column(&project), "0", "no key needed the column");
        // A dotted version and a repeatable: the column is added, whole numbers stay as they are.
        project.write("V2.1__dotted.sql", "CREATE TABLE dotted (id INTEGER);\n");
        project.write("U2.1__dotted.sql", "DROP TABLE dotted;\n");
        project.write("R__ids.sql", "DROP VIEW IF EXISTS ids;\nCREATE VIEW ids AS SELECT id FROM users;\n");
        project.run(&["up"]).expect(0);
        assert_eq!(has_column(&project), "2");
        let status = project.run(&["status", "--json"]).expect(0).json();
        let applied: Vec<&str> =
            status["applied"].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
        assert_eq!(applied, ["1", "2", "2.1", "R__ids"]);
        assert_eq!(project.sql("SELECT count(*) FROM mongrate_migrations WHERE version >= 0 AND version_text IS NULL"), "2");
        assert_eq!(project.sql("SELECT version_text FROM mongrate_migrations WHERE version < 0 ORDER BY version_text"), "2.1\nR__ids");
        project.run(&["down", "--steps", "1"]).expect(0);
        assert!(!project.has_table("dotted"));
    };

    a_mongrate_repeatable_is_keyed_by_its_name => |project: Project| {
        project.write("001_users.sql", "-- mongrate:up\nCREATE TABLE users (id INTEGER);\n-- mongrate:down\nDROP TABLE users;\n");
        project.write("002_user_ids.sql", "-- mongrate:repeatable\n-- mongrate:up\nDROP VIEW IF EXISTS user_ids;\nCREATE VIEW user_ids AS SELECT id FROM users;\n");
        project.run(&["up"]).expect(0);
        // Renumbering the file keeps its key: nothing runs again.
        std::fs::rename(project.migrations().join("002_user_ids.sql"), project.migrations().join("009_user_ids.sql")).unwrap();
        let again = project.run(&["up", "--json"]).expect(0).json();
        assert_eq!(again["steps"].as_array().unwrap().len(), 0, "{again}");
        project.write("010_user_ids.sql", "-- mongrate:repeatable\n-- mongrate:up\nSELECT 1;\n");
        let twice = project.run(&["validate"]).expect(4);
        assert!(twice.stderr.contains("are both the repeatable migration R__user_ids"), "{}", twice.stderr);
    };

    an_edited_down_file_is_drift => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.run(&["up"]).expect(0);
        project.write("10_add_comments.down.sql", "DROP TABLE comments; -- edited\n");
        let drift = project.run(&["up"]).expect(4);
        assert!(drift.stderr.contains("10_add_comments.up.sql (version 10) changed"), "{}", drift.stderr);
    };

    a_failing_down_file_is_named_with_its_line => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.write("10_add_comments.down.sql", "\nDROP TABLE no_such_table;\n");
        project.run(&["up"]).expect(0);
        let failed = project.run(&["down", "--steps", "1"]).expect(1);
        assert!(failed.stderr.contains("10_add_comments.down.sql:2"), "{}", failed.stderr);
        assert!(project.has_table("comments"), "rolled back");
    };

    a_directory_that_mixes_layouts_is_refused_naming_two_files => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.write("V11__flyway.sql", "CREATE TABLE f (id INTEGER);\n");
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("mixes layouts"), "{}", refused.stderr);
        assert!(refused.stderr.contains("V11__flyway.sql a flyway one"), "{}", refused.stderr);
        assert!(refused.stderr.contains("10_add_comments.down.sql is a golang-migrate or sqlx migration"), "{}", refused.stderr);
        assert!(!project.has_table("mongrate_migrations"), "nothing ran");
    };

    a_configured_layout_names_the_files_that_do_not_follow_it => |project: Project| {
        with_fixture(&project, "golang-migrate");
        project.write("11_extra.sql", "-- mongrate:up\nCREATE TABLE extra (id INTEGER);\n");
        std::fs::write(project.path().join("mongrate.toml"), "layout = \"golang-migrate\"\n").unwrap();
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("11_extra.sql: a mongrate migration, but the layout is golang-migrate"), "{}", refused.stderr);
        std::fs::write(project.path().join("mongrate.toml"), "layout = \"rails\"\n").unwrap();
        let wrong = project.run(&["status"]).expect(2);
        assert!(wrong.stderr.contains("layout = \"rails\"") && wrong.stderr.contains("\"golang-migrate\", \"sqlx\", \"dbmate\", \"flyway\", \"diesel\""), "{}", wrong.stderr);
        assert!(!project.has_table("mongrate_migrations"), "nothing ran");
    };
}

/// `CREATE INDEX CONCURRENTLY`, which PostgreSQL refuses inside a transaction, in each tool's way
/// of saying "no transaction", and refused where the tool would run it in one.
#[test]
fn create_index_concurrently_runs_where_each_tool_runs_it_without_a_transaction() {
    const TABLE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);\n";
    const INDEX: &str = "CREATE INDEX CONCURRENTLY t_x ON t (x);\n";
    let cases: [(&str, &[(&str, String)]); 4] = [
        (
            "dbmate",
            &[
                ("1_t.sql", format!("-- migrate:up\n{TABLE}-- migrate:down\nDROP TABLE t;\n")),
                (
                    "2_i.sql",
                    format!(
                        "-- migrate:up transaction:false\n{INDEX}-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_x;\n"
                    ),
                ),
            ],
        ),
        (
            "sqlx",
            &[
                ("1_t.up.sql", TABLE.to_owned()),
                ("1_t.down.sql", "DROP TABLE t;\n".to_owned()),
                ("2_i.up.sql", format!("-- no-transaction\n{INDEX}")),
                ("2_i.down.sql", "-- no-transaction\nDROP INDEX CONCURRENTLY t_x;\n".to_owned()),
            ],
        ),
        (
            "golang-migrate",
            &[
                ("1_t.up.sql", TABLE.to_owned()),
                ("1_t.down.sql", "DROP TABLE t;\n".to_owned()),
                ("2_i.up.sql", INDEX.to_owned()),
                ("2_i.down.sql", "DROP INDEX CONCURRENTLY t_x;\n".to_owned()),
            ],
        ),
        (
            "flyway",
            &[
                ("V1__t.sql", TABLE.to_owned()),
                ("U1__t.sql", "DROP TABLE t;\n".to_owned()),
                ("V2__i.sql", INDEX.to_owned()),
                ("U2__i.sql", "DROP INDEX CONCURRENTLY t_x;\n".to_owned()),
            ],
        ),
    ];
    for (layout, files) in cases {
        let project = Project::new(Backend::Postgres);
        for (name, content) in files {
            project.write(name, content);
        }
        let valid = project.run(&["validate", "--json"]).expect(0).json();
        assert_eq!(valid["layout"], layout);
        project.run(&["up"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "1", "{layout}");
        project.run(&["down", "--steps", "1"]).expect(0);
        assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "0", "{layout}");
    }

    // diesel runs it in a transaction unless metadata.toml says otherwise, as diesel does.
    let project = Project::new(Backend::Postgres);
    std::fs::create_dir_all(project.migrations().join("2024-01-01-000000_t")).unwrap();
    std::fs::create_dir_all(project.migrations().join("2024-01-02-000000_i")).unwrap();
    project.write("2024-01-01-000000_t/up.sql", TABLE);
    project.write("2024-01-01-000000_t/down.sql", "DROP TABLE t;\n");
    project.write("2024-01-02-000000_i/up.sql", INDEX);
    project.write("2024-01-02-000000_i/down.sql", "DROP INDEX t_x;\n");
    let refused = project.run(&["up"]).expect(1);
    assert!(
        refused.stderr.contains("2024-01-02-000000_i/up.sql:1") && refused.stderr.contains("transaction"),
        "{}",
        refused.stderr
    );
    project.write("2024-01-02-000000_i/metadata.toml", "run_in_transaction = false\n");
    project.run(&["up"]).expect(0);
    assert_eq!(project.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "1");
}

/// On MongoDB (FerretDB): a YAML and a JavaScript repeatable, keyed `R__<name>` in the changelog,
/// run after the versioned migration and again once changed.
#[test]
fn yaml_and_javascript_repeatables_on_mongodb() {
    use crate::mongo_dump::count;
    let project = Project::new(Backend::Mongo);
    project.write("001_users.yaml", "up:\n  - createCollection: { collection: users }\n");
    let countries = |names: &[&str]| {
        let documents: Vec<String> = names.iter().map(|n| format!("{{ _id: {n} }}")).collect();
        format!(
            "repeatable: true\nup:\n  - deleteMany: {{ collection: countries, filter: {{}} }}\n  - insertMany: {{ collection: countries, documents: [{}] }}\n",
            documents.join(", ")
        )
    };
    project.write("002_countries.yaml", &countries(&["fr", "de"]));
    let settings = |value: u32| {
        format!(
            "module.exports = {{\n  repeatable: true,\n  async up(db) {{\n    await db.collection('settings').updateOne({{ _id: 'app' }}, {{ $set: {{ generation: {value} }} }}, {{ upsert: true }});\n  }},\n}};\n"
        )
    };
    project.write("003_settings.js", &settings(1));

    project.run(&["up"]).expect(0);
    let db = project.mongo();
    assert_eq!(count(&db, "countries", bson::doc! {}), 2);
    assert_eq!(count(&db, "settings", bson::doc! { "generation": 1 }), 1);
    let status = project.run(&["status", "--json"]).expect(0).json();
    let applied: Vec<&str> =
        status["applied"].as_array().unwrap().iter().map(|e| e["version"].as_str().unwrap()).collect();
    assert_eq!(applied, ["1", "R__countries", "R__settings"]);
    assert_eq!(count(&db, "mongrate_migrations", bson::doc! { "_id": "R__countries", "version": "R__countries" }), 1);

    let again = project.run(&["up", "--json"]).expect(0).json();
    assert_eq!(again["steps"].as_array().unwrap().len(), 0, "{again}");

    project.write("002_countries.yaml", &countries(&["fr", "de", "it"]));
    project.write("003_settings.js", &settings(2));
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["pending"], 2, "{status}");
    assert_eq!(status["summary"]["drift"], 0, "{status}");
    let ran = project.run(&["up", "--json"]).expect(0).json();
    let keys: Vec<&str> = ran["steps"].as_array().unwrap().iter().map(|s| s["version"].as_str().unwrap()).collect();
    assert_eq!(keys, ["R__countries", "R__settings"]);
    assert_eq!(count(&db, "countries", bson::doc! {}), 3);
    assert_eq!(count(&db, "settings", bson::doc! { "generation": 2 }), 1);
    let history = project.run(&["history", "--json", "--version", "R__settings"]).expect(0).json();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    // down leaves the repeatables alone.
    project.run(&["down", "--all"]).expect(0);
    assert_eq!(count(&db, "countries", bson::doc! {}), 3);
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["summary"]["applied"], 2, "{status}");
}

/// Writes `migrations/<name>`, making its folders.
fn write_nested(project: &Project, name: &str, content: &str) {
    let path = project.migrations().join(name);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folders");
    std::fs::write(path, content).expect("write migration");
}

on_both! {
    flyway_undo_files_run_by_their_own_sql_conf => |project: Project| {
        // The versioned file's conf is its own: the undo, which has none, runs in a transaction.
        project.write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
        project.write("V1__a.sql.conf", "executeInTransaction=false\n");
        project.write("U1__a.sql", "DROP TABLE a;\nSELECT * FROM nope;\n");
        project.run(&["up"]).expect(0);
        let failed = project.run(&["down"]).expect(1);
        assert!(failed.stderr.contains("U1__a.sql:2"), "{}", failed.stderr);
        assert!(project.has_table("a"), "the undo ran in a transaction: the DROP was rolled back");
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 1, "{status}");

        // Its own conf turns its transaction off: the DROP stays done.
        project.write("U1__a.sql.conf", "executeInTransaction=false\n");
        project.run(&["down"]).expect(1);
        assert!(!project.has_table("a"), "the undo ran outside a transaction");
        let status = project.run(&["status", "--json"]).expect(0).json();
        assert_eq!(status["summary"]["applied"], 0, "{status}");
    };

    flyway_migrations_in_folders_are_read_any_depth_down => |project: Project| {
        project.write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
        project.write("U1__a.sql", "DROP TABLE a;\n");
        // A folder named like a diesel migration is only a folder in a Flyway project.
        write_nested(&project, "2024_q1/V2__b.sql", "CREATE TABLE b (id INTEGER);\n");
        write_nested(&project, "2024_q1/undo/U2__b.sql", "DROP TABLE b;\n");
        write_nested(&project, "release/3/V3__c.sql", "CREATE TABLE c (id INTEGER);\n");
        project.write("U3__c.sql", "DROP TABLE c;\n");
        let valid = project.run(&["validate", "--json"]).expect(0).json();
        assert_eq!(valid["layout"], "flyway", "{valid}");
        assert_eq!(valid["migrations"], 3, "{valid}");
        project.run(&["up"]).expect(0);
        assert!(project.has_table("a") && project.has_table("b") && project.has_table("c"));
        let status = project.run(&["status", "--json"]).expect(0).json();
        let files: Vec<&str> = status["applied"].as_array().unwrap().iter().map(|e| e["file"].as_str().unwrap()).collect();
        assert_eq!(files, ["V1__a.sql", "V2__b.sql", "V3__c.sql"], "{status}");
        project.run(&["down", "--steps", "2"]).expect(0);
        assert!(project.has_table("a") && !project.has_table("b") && !project.has_table("c"));

        // Two files of one version in two folders: named by their paths.
        write_nested(&project, "other/V2__x.sql", "SELECT 1;\n");
        let refused = project.run(&["up"]).expect(4);
        assert!(
            refused.stderr.contains("version 2 is used by two files: 2024_q1/V2__b.sql and other/V2__x.sql"),
            "{}",
            refused.stderr
        );
        assert!(!project.has_table("b"), "nothing ran");
    };
}

/// A migration file whose name is not UTF-8 is named (with `�`) and refused, not skipped.
#[test]
fn a_migration_file_whose_name_is_not_utf8_is_refused_by_name() {
    use std::os::unix::ffi::OsStrExt;
    let project = Project::new(Backend::Sqlite);
    project.write("V1__a.sql", "CREATE TABLE a (id INTEGER);\n");
    std::fs::write(project.migrations().join(std::ffi::OsStr::from_bytes(b"V2__caf\xe9.sql")), "SELECT 1;\n").unwrap();
    let refused = project.run(&["validate"]).expect(4);
    assert!(refused.stderr.contains("V2__caf\u{fffd}.sql: the name is not valid UTF-8"), "{}", refused.stderr);
    assert!(refused.stderr.contains("rename it"), "{}", refused.stderr);
    let refused = project.run(&["up"]).expect(4);
    assert!(refused.stderr.contains("V2__caf\u{fffd}.sql"), "{}", refused.stderr);
    assert!(!project.has_table("a"), "nothing ran");
}
