//! Expand → migrate → contract: `up --phase expand` before a deploy, plain `up` after it, with
//! seed 004's email rename on FerretDB; the phase declared in every format; bad phases refused.

use bson::Document;
use serde_json::json;

use crate::mongo_dump::{in_id_order, insert};
use crate::support::{Backend, Project, block_on};

const EXPAND: &str = "20260101000000-add-email-address.yaml";
const MIGRATE: &str = "20260101000100-copy-email.yaml";
const CONTRACT: &str = "20260101000200-remove-email.yaml";
const LATER: &str = "20260101000300-add-flag.js";

/// Seed 004's rename of `email` to `email_address`, as three migrations and one that follows.
fn email_rename(project: &Project) {
    project.write(
        EXPAND,
        "description: Index the new email_address field\nphase: expand\nup:\n  - createIndex: { collection: users, keys: { email_address: 1 }, options: { sparse: true, name: by_email_address } }\n",
    );
    project.write(
        MIGRATE,
        "description: Copy email into email_address\nphase: migrate\nup:\n  - copyField: { collection: users, from: email, to: email_address, batchSize: 2 }\n",
    );
    project.write(
        CONTRACT,
        "description: Remove the old email field\nphase: contract\nbackup: users\nup:\n  - removeField: { collection: users, field: email }\n",
    );
    // No phase: expand by default, and still after the contract migration in version order.
    project.write(
        LATER,
        "module.exports = {\n  async up(db) { await db.collection('users').updateMany({}, { $set: { flag: true } }); },\n  async down(db) { await db.collection('users').updateMany({}, { $unset: { flag: '' } }); },\n};\n",
    );
}

fn users(project: &Project) -> Vec<Document> {
    block_on(in_id_order(&project.mongo().collection::<Document>("users")))
}

#[test]
fn an_expand_run_stops_before_the_contract_migration_and_a_plain_up_finishes_after_the_deploy() {
    let project = Project::new(Backend::Mongo);
    let db = project.mongo();
    let people: Vec<serde_json::Value> = (1..=5)
        .map(|n| json!({ "_id": { "$numberInt": n.to_string() }, "email": format!("user{n}@example.com") }))
        .collect();
    insert(&db, "users", json!(people));
    email_rename(&project);

    let before = project.run(&["status"]).expect(0);
    assert!(before.stdout.contains("PHASE"), "status shows the phase column:\n{}", before.stdout);
    assert!(
        before.stdout.contains("phase: expand migrations pending: run `mongrate up --phase expand`"),
        "{}",
        before.stdout
    );

    let expand = project.run(&["up", "--phase", "expand"]).expect(0);
    let said = format!("{}{}", expand.stdout, expand.stderr);
    assert!(said.contains("held back until after the deploy: 20260101000200"), "{said}");
    for user in users(&project) {
        // Old and new code both work: both fields are there and agree.
        assert_eq!(user.get_str("email").ok(), user.get_str("email_address").ok(), "{user}");
        assert!(user.get("flag").is_none(), "the migration after the contract one waits too: {user}");
    }

    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["phase"]["state"], "contract-pending", "{status}");
    assert_eq!(status["phase"]["pendingContract"], json!(["20260101000200"]));
    let advice = status["phase"]["advice"].as_str().unwrap();
    assert!(advice.contains("20260101000200 remove-email (Remove the old email field)"), "{advice}");
    assert!(advice.contains("deploy the code that no longer reads"), "{advice}");
    let pending: Vec<(&str, &str)> = status["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["version"].as_str().unwrap(), p["phase"].as_str().unwrap()))
        .collect();
    assert_eq!(pending, [("20260101000200", "contract"), ("20260101000300", "expand")]);
    let applied: Vec<&str> =
        status["applied"].as_array().unwrap().iter().map(|a| a["phase"].as_str().unwrap()).collect();
    assert_eq!(applied, ["expand", "migrate"]);

    // Running the expand phase again changes nothing: the gate is where it was.
    let again = project.run(&["up", "--phase", "migrate", "--json"]).expect(0).json();
    assert_eq!(again["steps"], json!([]), "{again}");

    // After the deploy: plain `up` applies the rest.
    project.run(&["up"]).expect(0);
    for user in users(&project) {
        assert!(user.get("email").is_none(), "contract removed the old field: {user}");
        assert!(user.get_str("email_address").is_ok_and(|e| e.ends_with("@example.com")), "{user}");
        assert_eq!(user.get_bool("flag").ok(), Some(true), "{user}");
    }
    let done = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(done["phase"]["state"], "complete", "{done}");
    let text = project.run(&["status"]).expect(0);
    assert!(text.stdout.contains("phase: every phase applied"), "{}", text.stdout);
}

#[test]
fn up_phase_contract_applies_everything_like_plain_up() {
    let project = Project::new(Backend::Mongo);
    insert(&project.mongo(), "users", json!([{ "_id": 1, "email": "a@example.com" }]));
    email_rename(&project);
    let run = project.run(&["up", "--phase", "contract", "--json"]).expect(0).json();
    assert_eq!(run["steps"].as_array().map(Vec::len), Some(4), "{run}");
    assert!(users(&project).iter().all(|u| u.get("email").is_none() && u.get_bool("flag").ok() == Some(true)));
}

#[test]
fn sql_and_javascript_migrations_declare_their_phase_and_bad_phases_are_refused() {
    let project = Project::new(Backend::Sqlite);
    project.write("1_add_column.sql", "-- mongrate:up\nCREATE TABLE people (name TEXT, full_name TEXT);\n");
    project.write(
        "2_drop_column.sql",
        "-- Drop the old name column\n-- mongrate:phase contract\n-- mongrate:up\nALTER TABLE people DROP COLUMN name;\n",
    );
    let expand = project.run(&["up", "--phase", "expand"]).expect(0);
    assert!(format!("{}{}", expand.stdout, expand.stderr).contains("held back until after the deploy: 2"));
    assert!(project.sql("SELECT group_concat(name) FROM pragma_table_info('people')").contains("name,full_name"));
    let status = project.run(&["status"]).expect(0);
    let line = status.stdout.lines().find(|l| l.starts_with("2 ")).unwrap_or_default();
    assert!(line.contains("contract") && line.contains("pending"), "{}", status.stdout);

    // A bad phase names the file and line (SQL) or the file and key (YAML, JavaScript).
    project.write("3_bad.sql", "-- mongrate:phase cleanup\n-- mongrate:up\nSELECT 1;\n");
    let bad = project.run(&["validate"]).expect(4);
    assert!(bad.stderr.contains("3_bad.sql:1") && bad.stderr.contains("'cleanup' is not a phase"), "{}", bad.stderr);
    project.remove("3_bad.sql");

    let mongo = Project::new(Backend::Mongo);
    mongo.write("1_js.js", "module.exports = { phase: 'Contract', async up() {}, async down() {} };\n");
    mongo.write("2_yaml.yaml", "phase: sideways\nup:\n  - createCollection: { collection: things }\n");
    let bad = mongo.run(&["validate"]).expect(4);
    assert!(bad.stderr.contains("2_yaml.yaml: `phase`: 'sideways' is not a phase"), "{}", bad.stderr);
    mongo.remove("2_yaml.yaml");
    let status = mongo.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["pending"][0]["phase"], "contract", "{status}");
    let bad = mongo.run(&["up", "--phase", "later"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("'later' is not a phase"), "{}", bad.stderr);
}
