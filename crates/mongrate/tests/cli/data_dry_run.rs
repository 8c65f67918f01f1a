//! Dry-runs of long data migrations on the MongoDB-wire test server: each batch loop (`eachBatch`
//! and the `MigrationHelper` functions) makes one line saying what it is and how many documents it
//! would process, found by a count rather than a walk; `transformData` shows two documents before
//! and after; nothing is written.

use serde_json::{Value, json};

use crate::mongo_dump::{dump, in_id_order, insert};
use crate::support::{Backend, Project, block_on};

/// Every collection of the project's database (mongrate's own too) and their documents.
fn everything(project: &Project) -> (Vec<String>, String) {
    let mut names = block_on(project.mongo().list_collection_names()).expect("list collections");
    names.sort();
    (names, dump(&project.mongo()))
}

/// `n` documents `{_id: i, n: i}` in `items`.
fn seed_items(project: &Project, n: i64) {
    let docs: Vec<Value> = (1..=n).map(|i| json!({"_id": i, "n": i})).collect();
    for chunk in docs.chunks(1000) {
        insert(&project.mongo(), "items", json!(chunk));
    }
}

/// The one step's plan lines of a `--dry-run --json`.
fn lines(preview: &Value) -> &Vec<Value> {
    preview["preview"][0]["operations"].as_array().unwrap_or_else(|| panic!("no plan lines: {preview}"))
}

#[test]
fn an_each_batch_loop_is_one_counted_line_and_its_callback_sees_one_batch() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 700);
    project.write(
        "001_loop.js",
        "const { eachBatch } = require('mongrate');\n\
         module.exports = {\n\
           async up(db) {\n\
             let calls = 0;\n\
             const totals = await eachBatch('items', { filter: { n: { $gt: 200 } }, batchSize: 200 }, async (docs) => {\n\
               calls += 1;\n\
               return docs.filter((d) => d.n % 2 === 0).map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { even: true } } } }));\n\
             });\n\
             console.log('callback calls: ' + calls + ', processed: ' + totals.processed + ', batches: ' + totals.batches);\n\
           },\n\
           async down() {},\n\
         };\n",
    );
    let before = everything(&project);
    let run = project.run(&["up", "--dry-run", "--json"]).expect(0);
    let preview = run.json();
    let lines = lines(&preview);
    assert_eq!(lines.len(), 1, "one line for the loop, none for its writes: {preview}");
    assert_eq!(lines[0]["summary"], "eachBatch items", "{preview}");
    assert_eq!(lines[0]["line"], 5, "the line of the eachBatch call: {preview}");
    assert_eq!(lines[0]["affected"], 500, "the documents its filter matches: {preview}");
    let note = lines[0]["note"].as_str().expect("a note");
    assert!(note.starts_with("3 batches of 200; "), "{note}");
    assert!(note.contains("the first 200 documents only") && note.contains("100 writes"), "{note}");
    assert!(lines[0].get("samples").is_none(), "eachBatch has no samples: {preview}");
    // The callback ran once (not once per batch), and the loop answered with what it would process.
    assert!(run.stderr.contains("callback calls: 1, processed: 500, batches: 3"), "{}", run.stderr);
    assert_eq!(everything(&project), before, "a dry-run writes nothing");

    let text = project.run(&["up", "--dry-run"]).expect(0);
    let line =
        "line 5    eachBatch items  [500 documents, 3 batches of 200; the callback ran on the first 200 documents only";
    assert!(text.stdout.contains(line), "{}", text.stdout);
    assert_eq!(everything(&project), before);
}

#[test]
fn transform_data_shows_two_documents_before_and_after_and_writes_nothing() {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "users",
        json!([
            { "_id": 1, "name": "ADA", "team": 7 },
            { "_id": 2, "name": "ALAN", "team": 7 },
            { "_id": 3, "name": "grace", "team": 8 },
            { "_id": 4, "name": "edsger", "team": 7, "old": true },
            { "_id": 5, "name": "barbara", "team": 7 },
            { "_id": 6, "name": "donald", "team": 7 },
        ]),
    );
    // Batches of two: the first batch changes nothing, so the dry-run reads on for samples.
    project.write(
        "001_upper.js",
        r#"const { MigrationHelper } = require('mongrate');
module.exports = {
  async up() {
    const result = await MigrationHelper.transformData('users', { team: 7 }, (u) => {
      if (u.name === u.name.toUpperCase()) return null;
      u.name = u.name.toUpperCase();
      delete u.old;
      return u;
    }, { batchSize: 2 });
    console.log('matched: ' + result.matched);
  },
  async down() {},
};
"#,
    );
    let before = everything(&project);
    let run = project.run(&["up", "--dry-run", "--json"]).expect(0);
    let preview = run.json();
    let lines = lines(&preview);
    assert_eq!(lines.len(), 1, "{preview}");
    assert_eq!(lines[0]["summary"], "transformData users");
    assert_eq!(lines[0]["line"], 4);
    assert_eq!(lines[0]["affected"], 5, "the documents of team 7: {preview}");
    let note = lines[0]["note"].as_str().expect("a note");
    assert!(note.contains("the transform ran on the first 4 documents: it changes 2 of them"), "{note}");
    assert_eq!(
        lines[0]["samples"],
        json!([
            { "before": { "_id": 4, "name": "edsger", "team": 7, "old": true }, "after": { "_id": 4, "name": "EDSGER", "team": 7 } },
            { "before": { "_id": 5, "name": "barbara", "team": 7 }, "after": { "_id": 5, "name": "BARBARA", "team": 7 } },
        ]),
        "{preview}"
    );
    assert!(run.stderr.contains("matched: 5"), "{}", run.stderr);
    assert_eq!(everything(&project), before, "a dry-run writes nothing");

    let text = project.run(&["up", "--dry-run"]).expect(0).stdout;
    assert!(text.contains("transformData users  [5 documents"), "{text}");
    assert!(text.contains(r#"sample 1: {"_id":4,"name":"edsger","team":7,"old":true}"#), "{text}");
    assert!(text.contains(r#"becomes: {"_id":4,"name":"EDSGER","team":7}"#), "{text}");
    assert!(text.contains(r#"sample 2: {"_id":5,"name":"barbara","team":7}"#), "{text}");
    assert_eq!(everything(&project), before);

    // The same migration run for real changes what the samples said.
    project.run(&["up"]).expect(0);
    let users = block_on(in_id_order(&project.mongo().collection::<bson::Document>("users")));
    let names: Vec<String> = users.iter().map(|u| u.get_str("name").unwrap().to_owned()).collect();
    assert_eq!(names, ["ADA", "ALAN", "grace", "EDSGER", "BARBARA", "DONALD"]);
}

#[test]
fn every_helper_loop_is_one_line_with_its_count_and_nothing_is_written() {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "contacts",
        json!([
            { "_id": 1, "email": "a@x.org", "org": 1, "name": " Ada  L ", "phone": "1", "at": { "$date": "2019-01-01T00:00:00Z" } },
            { "_id": 2, "email": "a@x.org", "org": 1, "name": "Alan", "phone": "2", "at": { "$date": "2024-01-01T00:00:00Z" } },
            { "_id": 3, "email": "a@x.org", "org": 2, "name": "Grace", "at": { "$date": "2018-01-01T00:00:00Z" } },
            { "_id": 4, "email": "b@x.org", "org": 1, "name": "Edsger", "at": { "$date": "2024-02-01T00:00:00Z" } },
            { "_id": 5, "email": "b@x.org", "org": 1, "name": "Barbara", "avatar": "b.png", "at": { "$date": "2024-03-01T00:00:00Z" } },
        ]),
    );
    project.write(
        "001_helpers.js",
        r#"const { MigrationHelper: H } = require('mongrate');
module.exports = {
  async up() {
    await H.addField('contacts', 'avatar', null);
    await H.removeField('contacts', 'phone');
    await H.renameField('contacts', 'name', 'fullName');
    await H.copyField('contacts', 'email', 'contact');
    await H.sanitizeStringFields('contacts', ['name']);
    await H.updateReferences('contacts', 'org', 1, 10);
    await H.migrateCollection('contacts', 'contacts_copy', (c) => (c.org === 2 ? null : c));
    await H.archiveOldDocuments('contacts', 'contacts_archive', new Date('2020-01-01'), 'at');
    const dupes = await H.removeDuplicates('contacts', ['email', 'org']);
    console.log('duplicates: ' + JSON.stringify(dupes));
  },
  async down() {},
};
"#,
    );
    let before = everything(&project);
    let run = project.run(&["up", "--dry-run", "--json"]).expect(0);
    let preview = run.json();
    let found: Vec<(u64, String, u64)> = lines(&preview)
        .iter()
        .map(|l| {
            let number = |key: &str| l[key].as_u64().unwrap_or_else(|| panic!("no {key} in {l}: {preview}"));
            (number("line"), l["summary"].as_str().unwrap_or_default().to_owned(), number("affected"))
        })
        .collect();
    let want = [
        (4, "addField contacts", 4),
        (5, "removeField contacts", 2),
        (6, "renameField contacts", 5),
        (7, "copyField contacts", 5),
        (8, "sanitizeStringFields contacts", 5),
        (9, "updateReferences contacts", 4),
        (10, "migrateCollection contacts", 5),
        (11, "archiveOldDocuments contacts", 2),
        (12, "removeDuplicates contacts", 2),
    ]
    .map(|(line, summary, affected)| (line, summary.to_owned(), affected));
    assert_eq!(found, want, "one line per helper, none for their writes: {preview}");
    let note = |i: usize| lines(&preview)[i]["note"].as_str().unwrap().to_owned();
    assert_eq!(note(0), r#"update {"$set":{"avatar":null}}, one _id range at a time"#);
    assert!(note(6).contains("copies them into contacts_copy: 4 of the first 5"), "{}", note(6));
    assert!(note(8).contains("2 groups of documents sharing email, org: would delete 2 documents"), "{}", note(8));
    assert!(run.stderr.contains(r#"duplicates: {"groups":2,"removed":2}"#), "{}", run.stderr);
    assert_eq!(everything(&project), before, "a dry-run writes nothing, and creates no collection");
}
