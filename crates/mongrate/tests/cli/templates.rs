//! `mongrate create --template NAME`: every template in every format, created by the CLI and run
//! as generated on the MongoDB-wire test server: its effect, a second run of its up changing
//! nothing (idempotent), and its down giving back the database as it was. Also
//! `--list-templates` and the refusals.

use bson::{Bson, Document, doc};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::mongo_dump::{count, dump, insert};
use crate::support::{Backend, Project, block_on};

/// Every template, with the formats it comes in.
const TEMPLATES: &[(&str, &[&str])] = &[
    ("add-field", &["yaml", "js"]),
    ("remove-field", &["yaml", "js"]),
    ("rename-field", &["yaml", "js"]),
    ("transform", &["js"]),
    ("schema-change", &["yaml", "js"]),
    ("seed-data", &["yaml", "js"]),
    ("index", &["yaml", "js"]),
    ("backfill", &["yaml", "js"]),
];

fn documents(project: &Project, collection: &str) -> Vec<Document> {
    let db = project.mongo();
    block_on(async {
        let cursor = db.collection::<Document>(collection).find(doc! {}).sort(doc! {"_id": 1}).await.expect("find");
        cursor.try_collect::<Vec<_>>().await.expect("documents")
    })
}

fn index_names(project: &Project, collection: &str) -> Vec<String> {
    let db = project.mongo();
    block_on(async { db.collection::<Document>(collection).list_index_names().await }).expect("index names")
}

/// Creates a migration from `template` in `format` with the CLI; returns its version.
fn create(project: &Project, template: &str, format: &str) -> String {
    let name = format!("{template} example");
    let run = project.run(&["create", &name, "--template", template, "--format", format, "--json"]).expect(0);
    let file = run.json()["name"].as_str().expect("the file's name").to_owned();
    assert!(file.ends_with(&format!("-{template}-example.{format}")), "{file}");
    let text = std::fs::read_to_string(project.migrations().join(&file)).expect("the new file");
    assert!(text.contains(&format!("\"{name}\"")) && !text.contains("{{"), "{text}");
    file.split('-').next().expect("a version").to_owned()
}

/// Runs the template's up, `check`s it, runs the up a second time (as after a crash, via `mark
/// --pending`) and expects the same database, then runs the down and expects the database as it
/// was before, unless `exact_down` is false.
fn round_trip(project: &Project, template: &str, format: &str, exact_down: bool, check: impl Fn(&Project)) {
    let before = dump(&project.mongo());
    let version = create(project, template, format);
    project.run(&["up"]).expect(0);
    check(project);
    let after = dump(&project.mongo());
    project.run(&["mark", &version, "--pending"]).expect(0);
    project.run(&["up"]).expect(0);
    assert_eq!(dump(&project.mongo()), after, "{template} {format}: a second up changed the database");
    check(project);
    project.run(&["down"]).expect(0);
    if exact_down {
        assert_eq!(dump(&project.mongo()), before, "{template} {format}: the down did not undo the up");
    }
}

/// A fresh database with `users` as the templates expect them.
fn users_project() -> Project {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "users",
        json!([
            { "_id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 1", "fax": "+44 9", "schema_version": 1 },
            { "_id": 2, "name": "Grace Brewster Hopper", "email": "grace@example.com", "fax": { "$numberLong": "5550100" }, "schema_version": 1 },
            { "_id": 3, "name": "Plato", "phone": "+30 3", "schema_version": 1, "joined": { "$date": "2024-01-15T10:30:00Z" } },
            { "_id": { "$oid": "507f1f77bcf86cd799439011" }, "email": "nobody@example.com" },
        ]),
    );
    project
}

fn all_have(project: &Project, collection: &str, field: &str) -> bool {
    documents(project, collection).iter().all(|d| d.contains_key(field))
}

#[test]
fn add_field() {
    for format in ["yaml", "js"] {
        let project = users_project();
        let set_dark = || {
            let users = project.mongo().collection::<Document>("users");
            block_on(users.update_one(doc! { "_id": 3 }, doc! { "$set": { "preferences": { "theme": "dark" } } }))
                .expect("update");
        };
        set_dark();
        let before = dump(&project.mongo());
        // The down removes the field everywhere (the template says to use it for a new field).
        round_trip(&project, "add-field", format, false, |project| {
            let users = documents(project, "users");
            assert!(all_have(project, "users", "preferences"), "{users:?}");
            assert_eq!(
                users[2].get_document("preferences").unwrap(),
                &doc! { "theme": "dark" },
                "kept the existing value"
            );
            assert_eq!(
                users[0].get_document("preferences").unwrap(),
                &doc! { "theme": "light", "notifications": true }
            );
        });
        assert_eq!(count(&project.mongo(), "users", doc! { "preferences": { "$exists": true } }), 0);
        set_dark();
        assert_eq!(dump(&project.mongo()), before, "{format}: the down changed more than the field");
    }
}

#[test]
fn remove_field() {
    let project = users_project();
    let before = documents(&project, "users");
    round_trip(&project, "remove-field", "js", true, |project| {
        assert_eq!(count(&project.mongo(), "users", doc! { "fax": { "$exists": true } }), 0);
        let kept = documents(project, "users_removed_fax");
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept[1].get("fax"), Some(&Bson::Int64(5550100)), "the values are kept with their types");
    });

    // YAML cannot keep the values: its down gives the field back empty, its backup has them.
    let project = users_project();
    round_trip(&project, "remove-field", "yaml", false, |project| {
        assert_eq!(count(&project.mongo(), "users", doc! { "fax": { "$exists": true } }), 0);
    });
    let after_down = documents(&project, "users");
    assert!(after_down.iter().all(|d| d.get("fax") == Some(&Bson::Null)), "{after_down:?}");
    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    let name = backups[0]["name"].as_str().unwrap_or_else(|| panic!("no backup listed: {backups}")).to_owned();
    project.run(&["backup", "restore", &name]).expect(0);
    assert_eq!(documents(&project, "users"), before, "the backup holds the removed values");
}

#[test]
fn rename_field() {
    for format in ["yaml", "js"] {
        let project = users_project();
        round_trip(&project, "rename-field", format, true, |project| {
            let users = documents(project, "users");
            assert!(users.iter().all(|d| !d.contains_key("phone")), "{users:?}");
            assert_eq!(users[0].get_str("phoneNumber").unwrap(), "+44 1");
            assert_eq!(count(&project.mongo(), "users", doc! { "phoneNumber": { "$exists": true } }), 2);
        });
    }
}

#[test]
fn transform() {
    let project = users_project();
    round_trip(&project, "transform", "js", true, |project| {
        let users = documents(project, "users");
        let names: Vec<(Option<&str>, Option<&Bson>)> =
            users.iter().map(|d| (d.get_str("firstName").ok(), d.get("lastName"))).collect();
        assert_eq!(
            names,
            [
                (Some("Ada"), Some(&Bson::String("Lovelace".into()))),
                (Some("Grace"), Some(&Bson::String("Brewster Hopper".into()))),
                (Some("Plato"), Some(&Bson::Null)),
                (None, None),
            ]
        );
        assert!(users.iter().all(|d| !d.contains_key("name")));
    });

    // Resumable: a run stopped half way left some documents transformed; the next run does the
    // rest and leaves those alone, and the down restores them all.
    let project = users_project();
    let users = project.mongo().collection::<Document>("users");
    let before = dump(&project.mongo());
    let half_done = doc! { "$set": { "firstName": "Ada", "lastName": "Lovelace" }, "$unset": { "name": "" } };
    block_on(users.update_one(doc! { "_id": 1 }, half_done)).expect("update");
    create(&project, "transform", "js");
    project.run(&["up"]).expect(0);
    assert_eq!(
        count(&project.mongo(), "users", doc! { "firstName": { "$type": "string" }, "name": { "$exists": false } }),
        3
    );
    assert_eq!(count(&project.mongo(), "users", doc! { "lastName": "Lovelace" }), 1);
    project.run(&["down"]).expect(0);
    assert_eq!(dump(&project.mongo()), before, "the down restored every document, the ones done before too");

    let refused = project.run(&["create", "x", "--template", "transform", "--format", "yaml"]).expect(2);
    assert!(refused.stderr.contains("no YAML form") && refused.stderr.contains("--format js"), "{}", refused.stderr);
}

#[test]
fn schema_change() {
    for format in ["yaml", "js"] {
        let project = users_project();
        round_trip(&project, "schema-change", format, true, |project| {
            let users = documents(project, "users");
            assert_eq!(count(&project.mongo(), "users", doc! { "schema_version": 2 }), 3, "{users:?}");
            assert_eq!(users[0].get_str("phoneNumber").unwrap(), "+44 1");
            assert_eq!(users[2].get_str("phoneNumber").unwrap(), "+30 3");
            assert!(users[..3].iter().all(|u| u.get_document("preferences").is_ok() && !u.contains_key("phone")));
            assert_eq!(users[3].len(), 2, "a document without a version is left alone: {:?}", users[3]);
        });
    }
}

#[test]
fn seed_data() {
    for format in ["yaml", "js"] {
        // A treatment of the user's own stays; on an empty database the JS form leaves nothing.
        let project = Project::new(Backend::Mongo);
        insert(&project.mongo(), "treatments", json!([{ "_id": "massage", "name": "Massage", "price": 90 }]));
        round_trip(&project, "seed-data", format, true, |project| {
            let ids: Vec<String> = documents(project, "treatments")
                .iter()
                .map(|d| d.get_str("_id").expect("string _id").to_owned())
                .collect();
            assert_eq!(ids, ["follow-up", "initial-consultation", "massage"]);
        });
    }
    let project = Project::new(Backend::Mongo);
    round_trip(&project, "seed-data", "js", true, |project| {
        assert_eq!(count(&project.mongo(), "treatments", doc! {}), 2);
    });
}

#[test]
fn index() {
    for format in ["yaml", "js"] {
        let project = users_project();
        round_trip(&project, "index", format, true, |project| {
            assert!(index_names(project, "users").contains(&"users_email".to_owned()));
        });
    }
}

#[test]
fn backfill() {
    for format in ["yaml", "js"] {
        let project = users_project();
        block_on(
            project
                .mongo()
                .collection::<Document>("users")
                .update_one(doc! { "_id": 2 }, doc! { "$set": { "name": "  Grace   Hopper " } }),
        )
        .expect("update");
        round_trip(&project, "backfill", format, true, |project| {
            let users = documents(project, "users");
            let names: Vec<Option<&str>> = users.iter().map(|d| d.get_str("displayName").ok()).collect();
            let grace = if format == "js" { "Grace Hopper" } else { "  Grace   Hopper " };
            assert_eq!(names, [Some("Ada Lovelace"), Some(grace), Some("Plato"), None]);
        });
    }
}

/// Every template as generated, on a database without the collections it names: up, up again,
/// down, and nothing is left but (at most) empty collections.
#[test]
fn every_template_runs_on_an_empty_database() {
    for format in ["yaml", "js"] {
        let project = Project::new(Backend::Mongo);
        let versions: Vec<String> = TEMPLATES
            .iter()
            .filter(|(_, formats)| formats.contains(&format))
            .map(|(template, _)| create(&project, template, format))
            .collect();
        project.run(&["up"]).expect(0);
        let after = dump(&project.mongo());
        for version in &versions {
            project.run(&["mark", version, "--pending"]).expect(0);
        }
        project.run(&["up"]).expect(0);
        assert_eq!(dump(&project.mongo()), after, "{format}: a second up changed the database");
        project.run(&["down", "--all"]).expect(0);
        let left = dump(&project.mongo());
        assert!(
            left.lines().all(|line| line.starts_with("collection ") || line.starts_with("  index _id_ ")),
            "{format}: the downs left data or indexes behind:\n{left}"
        );
    }
}

#[test]
fn list_templates_and_refusals() {
    let project = Project::new(Backend::Mongo);
    let list = project.run(&["create", "--list-templates"]).expect(0);
    for (template, formats) in TEMPLATES {
        let line =
            list.stdout.lines().find(|line| line.starts_with(template)).unwrap_or_else(|| panic!("{}", list.stdout));
        assert!(line.contains(&formats.join(", ")), "{line}");
    }
    let json = project.run(&["create", "--list-templates", "--json"]).expect(0).json();
    assert_eq!(json["templates"].as_array().map(Vec::len), Some(TEMPLATES.len()));
    assert_eq!(
        json["templates"][3],
        json!({ "name": "transform", "formats": ["js"], "summary": json["templates"][3]["summary"] })
    );

    let unknown = project.run(&["create", "x", "--template", "add-feild"]).expect(2);
    assert!(
        unknown.stderr.contains("\"add-feild\"") && unknown.stderr.contains("add-field, remove-field"),
        "{}",
        unknown.stderr
    );
    let sql = project.run(&["create", "x", "--template", "index", "--format", "sql"]).expect(2);
    assert!(sql.stderr.contains("use --format yaml or js"), "{}", sql.stderr);
    project.run(&["create", "--template", "index"]).expect(2);
    assert_eq!(std::fs::read_dir(project.migrations()).unwrap().count(), 0, "a refusal writes no file");

    // The default: YAML where there is one, else JavaScript.
    let yaml = project.run(&["create", "y", "--template", "index", "--json"]).expect(0).json();
    assert!(yaml["name"].as_str().unwrap().ends_with(".yaml"), "{yaml}");
    let js = project.run(&["create", "t", "--template", "transform", "--json"]).expect(0).json();
    assert!(js["name"].as_str().unwrap().ends_with(".js"), "{js}");

    let sqlite = Project::new(Backend::Sqlite);
    let refused = sqlite.run(&["create", "x", "--template", "index"]).expect(2);
    assert!(refused.stderr.contains("is not MongoDB"), "{}", refused.stderr);
}
