//! `mongrate lint` and `up`'s lint check on real PostgreSQL, SQLite and MongoDB-wire servers:
//! each rule firing at its line and silenced by its ignore, the exit codes, the JSON shape, `up`
//! refusing on an error before applying anything, and `--no-lint`.

use std::collections::BTreeSet;

use bson::doc;
use serde_json::{Value, json};

use crate::mongo_dump::{count, insert};
use crate::support::{Backend, Project, repo_root};

/// `(line, rule, severity)` of every finding of a `lint --json` run.
fn findings(report: &Value) -> Vec<(u64, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().expect("line"),
                f["rule"].as_str().expect("rule").to_owned(),
                f["severity"].as_str().expect("severity").to_owned(),
            )
        })
        .collect()
}

fn finding(line: u64, rule: &str, severity: &str) -> (u64, String, String) {
    (line, rule.to_owned(), severity.to_owned())
}

/// Tables with rows (and duplicate emails), applied by a first migration.
const TABLES: &str = "-- mongrate:up\n\
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, phone TEXT, legacy TEXT);\n\
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n\
CREATE TABLE audit (id INTEGER);\n\
CREATE TABLE empty_table (id INTEGER);\n\
INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'a@example.com'), (3, 'b@example.com');\n\
INSERT INTO orders (id, user_id) VALUES (1, 1);\n\
-- mongrate:down\n\
DROP TABLE empty_table;\nDROP TABLE audit;\nDROP TABLE orders;\nDROP TABLE users;\n";

/// One statement per rule, each on its line (an expand migration, no down).
const RISKY_POSTGRES: &[(&str, &str, &str)] = &[
    ("no-lock-timeout", "warning", ""),
    ("index-without-concurrently", "warning", "CREATE INDEX users_age ON users (age);"),
    ("unique-index-duplicates", "error", "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);"),
    ("unique-index-duplicates", "error", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"),
    ("volatile-default", "warning", "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();"),
    ("alter-column-type", "warning", "ALTER TABLE users ALTER COLUMN age TYPE bigint;"),
    (
        "constraint-without-not-valid",
        "warning",
        "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);",
    ),
    ("not-null-without-default", "error", "ALTER TABLE users ADD COLUMN nickname text NOT NULL;"),
    ("not-null-without-default", "warning", "ALTER TABLE empty_table ADD COLUMN nickname text NOT NULL;"),
    ("destructive-outside-contract", "warning", "ALTER TABLE users DROP COLUMN legacy;"),
    ("rename-in-expand", "warning", "ALTER TABLE users RENAME COLUMN phone TO phone_number;"),
    ("destructive-outside-contract", "warning", "DROP TABLE audit;"),
];

const RISKY_SQLITE: &[(&str, &str, &str)] = &[
    ("unique-index-duplicates", "error", "CREATE UNIQUE INDEX users_email ON users (email);"),
    ("not-null-without-default", "error", "ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL;"),
    ("not-null-without-default", "warning", "ALTER TABLE empty_table ADD COLUMN nickname TEXT NOT NULL;"),
    ("destructive-outside-contract", "warning", "ALTER TABLE users DROP COLUMN legacy;"),
    ("rename-in-expand", "warning", "ALTER TABLE users RENAME COLUMN phone TO phone_number;"),
    ("destructive-outside-contract", "warning", "DROP TABLE audit;"),
];

fn risky(project: &Project) -> &'static [(&'static str, &'static str, &'static str)] {
    match project.backend {
        Backend::Postgres => RISKY_POSTGRES,
        _ => RISKY_SQLITE,
    }
}

/// The risky file, with `-- mongrate:lint-ignore RULE` before each statement when `silenced`,
/// and the findings it should give: `(line, rule, severity)`. The no-lock-timeout row has no
/// statement of its own: it fires on the first statement that locks (the index after it).
fn risky_file(project: &Project, silenced: bool) -> (String, Vec<(u64, String, String)>) {
    let rows = risky(project);
    let mut text = String::new();
    if silenced {
        text.push_str("-- mongrate:lint-ignore no-down\n");
    }
    text.push_str("-- mongrate:no-transaction\n-- mongrate:up\n");
    let mut expected = vec![finding(1, "no-down", "warning")];
    let mut line = text.lines().count() as u64;
    let mut pending_lock: Option<&str> = None;
    for (rule, severity, statement) in rows {
        if statement.is_empty() {
            pending_lock = Some(rule);
            continue;
        }
        let mut rules = vec![*rule];
        if let Some(lock) = pending_lock.take() {
            rules.push(lock);
        }
        if silenced {
            text.push_str(&format!("-- mongrate:lint-ignore {}\n", rules.join(", ")));
            line += 1;
        }
        text.push_str(statement);
        text.push('\n');
        line += 1;
        expected.push(finding(line, rule, severity));
        if rules.len() == 2 {
            expected.push(finding(line, rules[1], "warning"));
        }
    }
    expected.sort();
    (text, expected)
}

fn setup_tables(project: &Project) {
    project.write("001_tables.sql", TABLES);
    project.run(&["up"]).expect(0);
}

crate::on_both! {
    each_sql_rule_fires_at_its_line_and_is_silenced_by_its_ignore => |project: Project| {
        setup_tables(&project);
        let (text, expected) = risky_file(&project, false);
        project.write("002_risky.sql", &text);
        let report = project.run(&["lint", "--json"]).expect(4).json();
        let mut found = findings(&report);
        found.sort();
        assert_eq!(found, expected, "{report:#}");
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["file"], json!("migrations/002_risky.sql"));
            assert_eq!(f["version"], json!("2"));
            assert!(!f["message"].as_str().unwrap().is_empty() && !f["fix"].as_str().unwrap().is_empty(), "{f}");
        }
        assert_eq!(report["migrations"], json!(1), "only the pending migration");
        assert_eq!(report["errors"], json!(expected.iter().filter(|f| f.2 == "error").count()));
        assert_eq!(report["warnings"], json!(expected.iter().filter(|f| f.2 == "warning").count()));
        assert_eq!(report["silenced"], json!(0));
        assert_eq!(report["unchecked"], json!([]));
        let duplicates = report["findings"].as_array().unwrap().iter()
            .find(|f| f["rule"] == "unique-index-duplicates").expect("the duplicates finding");
        assert!(duplicates["message"].as_str().unwrap().contains("email = 'a@example.com' (2 rows)"), "{duplicates}");

        // Text: file:line: severity[rule]: message, then the fix.
        let text_run = project.run(&["lint"]).expect(4);
        assert!(text_run.stdout.contains("migrations/002_risky.sql:1: warning[no-down]: "), "{}", text_run.stdout);
        assert!(text_run.stdout.contains("\n  fix: "), "{}", text_run.stdout);
        assert!(text_run.stdout.contains("error[unique-index-duplicates]"), "{}", text_run.stdout);

        let (silenced, _) = risky_file(&project, true);
        project.write("002_risky.sql", &silenced);
        let report = project.run(&["lint", "--json"]).expect(0).json();
        assert_eq!(findings(&report), [], "{report:#}");
        assert_eq!(report["silenced"], json!(expected.len()));
    };

    up_refuses_on_a_lint_error_before_applying_anything => |project: Project| {
        setup_tables(&project);
        // The first statement would apply (it is fine); the error is in the second.
        project.write(
            "002_nickname.sql",
            "-- mongrate:up\nCREATE TABLE tags (id INTEGER);\nALTER TABLE users ADD COLUMN nickname TEXT NOT NULL;\n\
             -- mongrate:down\nALTER TABLE users DROP COLUMN nickname;\nDROP TABLE tags;\n",
        );
        project.write("003_later.sql", "-- mongrate:up\nCREATE TABLE later (id INTEGER);\n-- mongrate:down\nDROP TABLE later;\n");
        let before = project.dump();
        let refused = project.run(&["up"]).expect(4);
        assert!(refused.stderr.contains("migrations/002_nickname.sql:3: error[not-null-without-default]"), "{}", refused.stderr);
        assert!(refused.stderr.contains("nothing was applied") && refused.stderr.contains("--no-lint"), "{}", refused.stderr);
        assert_eq!(project.dump(), before, "nothing applied, nothing recorded");
        assert!(!project.has_table("tags"));
        let json = project.run(&["up", "--json"]).expect(4).json();
        assert_eq!(json["error"]["kind"], json!("refused"));
        assert_eq!(json["error"]["exitCode"], json!(4));
        // A dry-run refuses the same way; `up --to 1` has nothing to apply, so nothing to refuse.
        project.run(&["up", "--dry-run"]).expect(4);
        project.run(&["up", "--to", "1"]).expect(0);
        project.run(&["migrate", "3"]).expect(4);

        // --no-lint skips the check: the database refuses the statement itself (a failed run, exit 1).
        let ran = project.run(&["up", "--no-lint"]);
        assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
        assert!(!ran.stderr.contains("lint found"), "{}", ran.stderr);
        assert!(!project.has_table("later"));
    };

    warnings_never_stop_up => |project: Project| {
        setup_tables(&project);
        // Destructive, outside contract, without CONCURRENTLY, no down: warnings, and it runs.
        project.write("002_cleanup.sql", "-- mongrate:up\nCREATE INDEX orders_user ON orders (user_id);\nDROP TABLE audit;\n");
        let report = project.run(&["lint", "--json"]).expect(0).json();
        assert!(report["warnings"].as_u64().unwrap() >= 2, "{report:#}");
        assert_eq!(report["errors"], json!(0));
        project.run(&["up"]).expect(0);
        assert!(!project.has_table("audit"));
        let nothing = project.run(&["lint"]).expect(0);
        assert!(nothing.stdout.contains("nothing to lint"), "{}", nothing.stdout);
        // --all reads applied migrations too, from their text.
        let all = project.run(&["lint", "--all", "--json"]).expect(0).json();
        assert_eq!(all["migrations"], json!(2));
        assert!(findings(&all).iter().any(|f| f.1 == "destructive-outside-contract" && f.0 == 3), "{all:#}");
    };

    a_contract_migration_may_drop => |project: Project| {
        setup_tables(&project);
        project.write(
            "002_drop.sql",
            "-- mongrate:phase contract\n-- mongrate:up\nALTER TABLE users DROP COLUMN legacy;\nDROP TABLE audit;\n\
             -- mongrate:down\nCREATE TABLE audit (id INTEGER);\n",
        );
        let report = project.run(&["lint", "--json"]).expect(0).json();
        assert!(!findings(&report).iter().any(|f| f.1 == "destructive-outside-contract"), "{report:#}");
    };

    an_unknown_rule_in_an_ignore_is_an_error_naming_file_and_line => |project: Project| {
        project.write("001_a.sql", "-- mongrate:up\n-- mongrate:lint-ignore destructive\nCREATE TABLE a (id INTEGER);\n");
        let run = project.run(&["lint"]).expect(4);
        assert!(run.stderr.contains("001_a.sql:2:") && run.stderr.contains("'destructive' is not a lint rule"), "{}", run.stderr);
        assert!(run.stderr.contains("destructive-outside-contract"), "the known rules are listed: {}", run.stderr);
    };
}

#[test]
fn a_lock_timeout_for_the_role_or_in_the_file_satisfies_no_lock_timeout() {
    let project = Project::new(Backend::Postgres);
    setup_tables(&project);
    project.write("002_index.sql", "-- mongrate:up\nALTER TABLE users ADD COLUMN note text;\n-- mongrate:down\nALTER TABLE users DROP COLUMN note;\n");
    let rules = |report: &Value| findings(report).into_iter().map(|f| f.1).collect::<BTreeSet<_>>();
    assert!(rules(&project.run(&["lint", "--json"]).expect(0).json()).contains("no-lock-timeout"));
    project.write(
        "002_index.sql",
        "-- mongrate:up\nSET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN note text;\n-- mongrate:down\nALTER TABLE users DROP COLUMN note;\n",
    );
    assert!(!rules(&project.run(&["lint", "--json"]).expect(0).json()).contains("no-lock-timeout"));
    project.write("002_index.sql", "-- mongrate:up\nALTER TABLE users ADD COLUMN note text;\n-- mongrate:down\nALTER TABLE users DROP COLUMN note;\n");
    let database = project.url.rsplit('/').next().unwrap().to_owned();
    project.sql(&format!("ALTER DATABASE {database} SET lock_timeout = '3s'"));
    assert!(!rules(&project.run(&["lint", "--json"]).expect(0).json()).contains("no-lock-timeout"));
}

#[test]
fn the_readme_documents_every_rule() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    for rule in mongrate::core::lint::Rule::ALL {
        assert!(readme.contains(&format!("`{}`", rule.id())), "README.md does not document {rule}");
    }
    assert!(readme.contains("mongrate lint") && readme.contains("--no-lint") && readme.contains("lintIgnore"));
}

// MongoDB: FerretDB, or the server of MONGRATE_TEST_MONGODB_URI.

fn mongo_project() -> Project {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "users",
        json!([
            { "_id": 1, "email": "a@example.com", "phone": "1" },
            { "_id": 2, "email": "a@example.com", "phone": "2" },
            { "_id": 3, "email": "b@example.com" },
            { "_id": 4, "email": "c@example.com" },
            { "_id": 5 },
            { "_id": 6 },
        ]),
    );
    project
}

const RISKY_MONGO: &str = "description: every MongoDB rule\n\
up:\n\
  - removeField: { collection: users, field: legacy }\n\
  - dropCollection: { collection: audit }\n\
  - dropIndex: { collection: users, name: age_1 }\n\
  - deleteMany: { collection: sessions, filter: {} }\n\
  - updateMany:\n      collection: users\n      update: { $set: { seen: true } }\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - renameCollection: { from: people, to: persons }\n\
  - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true } }\n\
  - deleteMany: { collection: sessions, filter: { expired: true } }\n";

#[test]
fn each_mongodb_rule_fires_at_its_line_and_is_silenced_by_lint_ignore() {
    let project = mongo_project();
    project.write("001_risky.yaml", RISKY_MONGO);
    let report = project.run(&["lint", "--json"]).expect(4).json();
    assert_eq!(
        findings(&report),
        [
            finding(1, "no-down", "warning"),
            finding(3, "destructive-outside-contract", "warning"),
            finding(4, "destructive-outside-contract", "warning"),
            finding(5, "destructive-outside-contract", "warning"),
            finding(6, "destructive-outside-contract", "warning"),
            finding(7, "destructive-outside-contract", "warning"),
            finding(10, "rename-in-expand", "warning"),
            finding(11, "rename-in-expand", "warning"),
            finding(12, "unique-index-duplicates", "error"),
        ],
        "{report:#}"
    );
    let unique = &report["findings"][8];
    let message = unique["message"].as_str().unwrap();
    // The two documents without an email collide in the index too.
    assert!(message.contains(r#"{"email":"a@example.com"} (2 documents)"#), "{message}");
    assert!(message.contains(r#"{"email":null} (2 documents)"#), "{message}");
    assert!(unique["fix"].as_str().unwrap().contains("removeDuplicates"), "{unique}");

    let text = project.run(&["lint"]).expect(4);
    assert!(text.stdout.contains("migrations/001_risky.yaml:12: error[unique-index-duplicates]: "), "{}", text.stdout);

    let silenced = format!(
        "lintIgnore: [no-down, destructive-outside-contract, rename-in-expand, unique-index-duplicates]\n{RISKY_MONGO}"
    );
    project.write("001_risky.yaml", &silenced);
    let report = project.run(&["lint", "--json"]).expect(0).json();
    assert_eq!(findings(&report), [], "{report:#}");
    assert_eq!(report["silenced"], json!(9));

    let typo = format!("lintIgnore: [unique-index]\n{RISKY_MONGO}");
    project.write("001_risky.yaml", &typo);
    let refused = project.run(&["lint"]).expect(4);
    assert!(refused.stderr.contains("001_risky.yaml:1: `lintIgnore`: 'unique-index'"), "{}", refused.stderr);
}

#[test]
fn phases_and_removed_duplicates_quiet_the_mongodb_rules() {
    let project = mongo_project();
    project.write(
        "001_contract.yaml",
        "phase: contract\nup:\n  - removeField: { collection: users, field: legacy }\n  - renameField: { collection: users, from: phone, to: tel }\n\
         down:\n  - renameField: { collection: users, from: tel, to: phone }\n",
    );
    project.write(
        "002_unique.json",
        r#"{"up": [{"removeDuplicates": {"collection": "users", "keys": ["email"]}},
                   {"createIndex": {"collection": "users", "keys": {"email": 1}, "options": {"unique": true, "sparse": true}}}],
            "down": [{"dropIndex": {"collection": "users", "name": "email_1"}}]}"#,
    );
    let report = project.run(&["lint", "--json"]).expect(0).json();
    assert_eq!(findings(&report), [], "{report:#}");
}

#[test]
fn a_sparse_or_partial_unique_index_counts_only_the_documents_it_holds() {
    let project = mongo_project();
    // Sparse: the documents without an email are not in the index; the two a@example.com are.
    project.write(
        "001_sparse.yaml",
        "up:\n  - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true, sparse: true } }\n",
    );
    let report = project.run(&["lint", "--json"]).expect(4).json();
    let message = report["findings"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("a@example.com") && !message.contains("null"), "{message}");
    // Partial: only the documents whose phone is "1": one document, no duplicates.
    project.write(
        "001_sparse.yaml",
        "up:\n  - createIndex:\n      collection: users\n      keys: { email: 1 }\n      options: { unique: true, partialFilterExpression: { phone: '1' }, name: email_phone }\n",
    );
    project.run(&["lint"]).expect(0);
}

#[test]
fn up_refuses_a_unique_index_over_duplicates_on_mongodb_and_no_lint_lets_the_server_refuse() {
    let project = mongo_project();
    project.write("001_first.yaml", "up:\n  - addField: { collection: users, field: seen, value: false }\n");
    project.write(
        "002_unique.yaml",
        "up:\n  - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true } }\n",
    );
    let refused = project.run(&["up"]).expect(4);
    assert!(refused.stderr.contains("002_unique.yaml:2: error[unique-index-duplicates]"), "{}", refused.stderr);
    let db = project.mongo();
    assert_eq!(count(&db, "users", doc! { "seen": false }), 0, "not even the first migration ran");
    let names = crate::support::block_on(db.list_collection_names()).expect("collections");
    assert!(names.iter().all(|name| !name.starts_with("mongrate")), "no changelog written: {names:?}");

    let ran = project.run(&["up", "--no-lint"]);
    assert_eq!(ran.code, 1, "the server refuses the index itself: {}\n{}", ran.stdout, ran.stderr);
    assert!(!ran.stderr.contains("lint found"), "{}", ran.stderr);
    assert_eq!(count(&db, "users", doc! { "seen": false }), 6, "the first migration ran");
}

#[test]
fn a_javascript_migration_without_down_is_flagged_unless_it_exports_lint_ignore() {
    let project = Project::new(Backend::Mongo);
    project.write(
        "001_up_only.js",
        "module.exports = { async up(db) { await db.collection('a').insertOne({ x: 1 }); } };\n",
    );
    let report = project.run(&["lint", "--json"]).expect(0).json();
    assert_eq!(findings(&report), [finding(1, "no-down", "warning")], "{report:#}");
    project.write(
        "001_up_only.js",
        "module.exports = { lintIgnore: ['no-down'], async up(db) { await db.collection('a').insertOne({ x: 1 }); } };\n",
    );
    let report = project.run(&["lint", "--json"]).expect(0).json();
    assert_eq!((findings(&report), report["silenced"].clone()), (vec![], json!(1)), "{report:#}");
    project.write("001_up_only.js", "export const lintIgnore = ['everything'];\nexport async function up(db) {}\n");
    let refused = project.run(&["lint"]).expect(4);
    assert!(
        refused.stderr.contains("001_up_only.js: `lintIgnore`: 'everything' is not a lint rule"),
        "{}",
        refused.stderr
    );
    // A reversible one is not flagged.
    project.write("001_up_only.js", "export async function up(db) {}\nexport async function down(db) {}\n");
    assert_eq!(findings(&project.run(&["lint", "--json"]).expect(0).json()), []);
}

#[test]
fn an_update_of_a_versioned_collection_has_a_filter() {
    let project = Project::new(Backend::Mongo);
    project.write(
        "001_v3.yaml",
        "documents: { collection: users, from: 2, to: 3 }\nup:\n  - updateMany: { collection: users, update: { $set: { tier: 1 } } }\n\
         down:\n  - updateMany: { collection: users, update: { $unset: { tier: '' } } }\n",
    );
    let report = project.run(&["lint", "--json"]).expect(0).json();
    assert_eq!(findings(&report), [], "{report:#}");
    project.write("001_v3.yaml", "up:\n  - updateMany: { collection: users, update: { $set: { tier: 1 } } }\n");
    let report = project.run(&["lint", "--json"]).expect(0).json();
    assert!(findings(&report).contains(&finding(2, "destructive-outside-contract", "warning")), "{report:#}");
}
