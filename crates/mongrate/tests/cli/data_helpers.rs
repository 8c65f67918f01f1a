//! `require('mongrate')` on the MongoDB-wire test server: `eachBatch`, seed 003's
//! `MigrationHelper` functions with their counts and downs, and the `MigrationBase` class form.

use std::time::{Duration, Instant};

use bson::{Document, doc};
use serde_json::json;

use crate::mongo_dump::{count, dump, in_id_order, insert};
use crate::support::{Backend, Project, block_on};

fn documents(project: &Project, collection: &str) -> Vec<Document> {
    block_on(in_id_order(&project.mongo().collection::<Document>(collection)))
}

/// `n` documents `{_id: ObjectId, n: i, counter: 0}` in `items`, in `n` order. ObjectIds because
/// FerretDB finds a document by `_id` without a scan only for ObjectIds and strings.
fn seed_items(project: &Project, n: i64) {
    let docs: Vec<serde_json::Value> =
        (1..=n).map(|i| json!({"_id": {"$oid": format!("{i:024x}")}, "n": i, "counter": 0})).collect();
    for chunk in docs.chunks(1000) {
        insert(&project.mongo(), "items", json!(chunk));
    }
}

#[test]
fn each_batch_visits_every_document_once_in_id_order() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 600);
    project.write(
        "001_count.js",
        "const { eachBatch } = require('mongrate');\n\
         module.exports = {\n\
           async up(db) {\n\
             const seen = [];\n\
             const totals = await eachBatch(db.collection('items'), { filter: { n: { $gt: 0 } }, batchSize: 250, projection: { n: 1 } }, async (docs) => {\n\
               seen.push(docs.length);\n\
               if (docs.some((d) => d.counter !== undefined)) throw new Error('the projection was not applied');\n\
               return docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $inc: { counter: 1 } } } }));\n\
             });\n\
             if (JSON.stringify(seen) !== '[250,250,100]') throw new Error('batches: ' + JSON.stringify(seen));\n\
             if (totals.processed !== 600 || totals.modified !== 600 || totals.batches !== 3) throw new Error('totals: ' + JSON.stringify(totals));\n\
           },\n\
           async down(db) { await db.collection('items').updateMany({}, { $set: { counter: 0 } }); },\n\
         };\n",
    );
    project.run(&["up"]).expect(0);
    let db = project.mongo();
    assert_eq!(count(&db, "items", doc! {"counter": 1}), 600, "every document exactly once");
    project.run(&["down"]).expect(0);
    assert_eq!(count(&db, "items", doc! {"counter": 0}), 600);
}

#[test]
fn each_batch_refuses_bad_options_naming_them() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 3);
    project.write(
        "001_bad.js",
        "const { eachBatch } = require('mongrate');\n\
         module.exports = { async up(db) { await eachBatch('items', { batchSize: 0 }, async () => []); }, async down() {} };\n",
    );
    let run = project.run(&["up"]).expect(1);
    assert!(run.stderr.contains("batchSize must be a positive whole number, got 0"), "{}", run.stderr);
}

#[test]
fn migration_helpers_change_what_they_say_and_their_downs_undo_it() {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "users",
        json!([
            { "_id": 1, "name": "  Ada   Lovelace ", "phone": "1", "email": "a@x.org", "team": 7, "joined": { "$date": "2020-01-01T00:00:00Z" } },
            { "_id": 2, "name": "Alan Turing", "phone": "2", "email": "a@x.org", "team": 7, "joined": { "$date": "2024-01-01T00:00:00Z" } },
            { "_id": 3, "name": "Grace\tHopper", "email": "g@x.org", "team": 8, "joined": { "$date": "2024-06-01T00:00:00Z" } },
        ]),
    );
    let before = dump(&project.mongo());
    project.write(
        "001_helpers.js",
        r#"const { MigrationHelper: H } = require('mongrate');
const expect = (what, got, want) => { if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(what + ': ' + JSON.stringify(got)); };
module.exports = {
  async up(db) {
    expect('addField', await H.addField('users', 'avatar', null, { batchSize: 2 }), { matched: 3, modified: 3 });
    expect('addField again', await H.addField(db.collection('users'), 'avatar', 'x'), { matched: 0, modified: 0 });
    expect('renameField', await H.renameField({ collection: db.collection('users') }, 'phone', 'phoneNumber'), { matched: 2, modified: 2 });
    expect('copyField', await H.copyField('users', 'email', 'contact'), { matched: 3, modified: 3 });
    expect('transformData', await H.transformData('users', { team: 7 }, (u) => { u.teamName = 'seven'; delete u.contact; return u; }), { matched: 2, modified: 2 });
    expect('sanitize', await H.sanitizeStringFields('users', ['name']), { matched: 3, modified: 2 });
    expect('updateReferences', await H.updateReferences('users', 'team', 8, 9), { matched: 1, modified: 1 });
    let refused = null;
    try { await H.createUniqueConstraint('users', { email: 1 }); } catch (e) { refused = e.message; }
    if (!refused || !refused.includes('"a@x.org"') || !refused.includes('_id 1, 2')) throw new Error('createUniqueConstraint: ' + refused);
    expect('collectionExists', [await H.collectionExists('users'), await H.collectionExists('nope')], [true, false]);
    const stats = await H.getCollectionStats('users');
    expect('stats', [stats.name, stats.count], ['users', 3]);
  },
  async down(db) {
    await H.updateReferences('users', 'team', 9, 8);
    await H.transformData('users', { team: 7 }, (u) => { delete u.teamName; u.contact = u.email; return u; });
    await H.removeField('users', 'contact');
    await H.renameField('users', 'phoneNumber', 'phone');
    await H.removeField('users', 'avatar');
    await db.collection('users').updateOne({ _id: 1 }, { $set: { name: '  Ada   Lovelace ' } });
    await db.collection('users').updateOne({ _id: 3 }, { $set: { name: 'Grace\tHopper' } });
  },
};
"#,
    );
    project.run(&["up"]).expect(0);
    let users = documents(&project, "users");
    assert_eq!(users[0].get_str("name").unwrap(), "Ada Lovelace");
    assert_eq!(users[2].get_str("name").unwrap(), "Grace Hopper");
    assert_eq!(users[0].get_str("teamName").unwrap(), "seven");
    assert!(users[0].get("contact").is_none() && users[2].get_str("contact").unwrap() == "g@x.org");
    assert_eq!(users[2].get_i32("team").or_else(|_| users[2].get_i64("team").map(|v| v as i32)).unwrap(), 9);
    assert!(users.iter().all(|u| u.contains_key("avatar") && !u.contains_key("phone")));
    project.run(&["down"]).expect(0);
    assert_eq!(dump(&project.mongo()), before, "the down did not undo the helpers");
}

#[test]
fn duplicates_archives_and_collection_copies() {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "contacts",
        json!([
            { "_id": 1, "email": "a@x.org", "org": 1, "at": { "$date": "2019-01-01T00:00:00Z" } },
            { "_id": 2, "email": "a@x.org", "org": 1, "at": { "$date": "2024-01-01T00:00:00Z" } },
            { "_id": 3, "email": "a@x.org", "org": 2, "at": { "$date": "2018-01-01T00:00:00Z" } },
            { "_id": 4, "email": "b@x.org", "org": 1, "at": { "$date": "2024-02-01T00:00:00Z" } },
            { "_id": 5, "email": "b@x.org", "org": 1, "at": { "$date": "2024-03-01T00:00:00Z" } },
        ]),
    );
    project.write(
        "001_dedupe.js",
        r#"const { MigrationHelper: H } = require('mongrate');
const expect = (what, got, want) => { if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(what + ': ' + JSON.stringify(got)); };
module.exports = {
  async up(db) {
    expect('copy', await H.migrateCollection('contacts', 'contacts_copy', (c) => (c.org === 2 ? null : { ...c, copied: true })), { processed: 5, inserted: 4 });
    expect('dedupe', await H.removeDuplicates('contacts', ['email', 'org'], { keep: 'last' }), { groups: 2, removed: 2 });
    expect('archive', await H.archiveOldDocuments('contacts', 'contacts_archive', new Date('2020-01-01'), 'at'), { archived: 1 });
    await H.createUniqueConstraint('contacts', { email: 1, org: 1 });
  },
  async down() {},
};
"#,
    );
    project.run(&["up"]).expect(0);
    let ids = |collection: &str| -> Vec<i32> {
        documents(&project, collection).iter().map(|d| d.get_i32("_id").expect("int _id")).collect()
    };
    assert_eq!(ids("contacts"), [2, 5], "kept the last of each (email, org), archived the old one");
    assert_eq!(ids("contacts_archive"), [3]);
    assert_eq!(ids("contacts_copy"), [1, 2, 4, 5]);
    assert!(documents(&project, "contacts_copy").iter().all(|d| d.get_bool("copied").is_ok_and(|copied| copied)));
}

#[test]
fn seed_003_class_form_runs_with_models_and_base_methods() {
    let project = Project::new(Backend::Mongo);
    insert(&project.mongo(), "users", json!([{ "_id": 1, "name": "Ada" }, { "_id": 2, "name": "Alan" }]));
    insert(&project.mongo(), "categories", json!([{ "_id": 1 }]));
    project.write(
        "20250101000000-add-user-avatar-field.js",
        r#"const { MigrationBase, MigrationHelper } = require('mongrate');

class AddUserAvatarField extends MigrationBase {
  constructor(mongoose) {
    super(mongoose);
    this.version = '1.0.0';
    this.description = 'Add avatar field to User model';
    this.author = 'Your Name';
  }

  async up() {
    const User = this.models.User;
    const result = await MigrationHelper.addField(User, 'avatar', null);
    if (result.modified !== 2) throw new Error('addField: ' + JSON.stringify(result));
    const everyone = await User.find({});
    const seen = [];
    const batch = await this.executeBatch(everyone, async (user) => { seen.push(user._id); return user._id; }, 1);
    if (batch.processed !== 2 || seen.length !== 2) throw new Error('executeBatch: ' + JSON.stringify(batch));
    if (!(await this.collectionExists('users')) || (await this.getCollectionStats('users')).count !== 2) throw new Error('base methods');
    if ((await this.models.Category.countDocuments({})) !== 1) throw new Error('Category is not categories');
    if (this.db.databaseName === undefined || !this.client) throw new Error('this.db / this.client');
    this.log('avatars added', 'success');
    return result;
  }

  async down() {
    return MigrationHelper.removeField(this.models.User, 'avatar');
  }
}

module.exports = AddUserAvatarField;
"#,
    );
    let status = project.run(&["status", "--json"]).expect(0).json();
    assert_eq!(status["pending"][0]["description"], "Add avatar field to User model", "{status}");
    assert_eq!(status["pending"][0]["reversible"], true);
    let run = project.run(&["up"]).expect(0);
    assert!(run.stderr.contains("avatars added"), "{}", run.stderr);
    assert_eq!(count(&project.mongo(), "users", doc! {"avatar": null}), 2);
    project.run(&["down"]).expect(0);
    assert_eq!(count(&project.mongo(), "users", doc! {"avatar": {"$exists": true}}), 0);
}

/// Seed 003's backup methods on `MigrationBase`, through mongrate's own backups: a dry-run says
/// what they would do and takes none; the run backs up, restores over a change, and drops.
#[test]
fn seed_003_base_methods_back_up_restore_and_drop_through_mongrates_backups() {
    let project = Project::new(Backend::Mongo);
    insert(&project.mongo(), "users", json!([{ "_id": 1, "name": "Ada" }, { "_id": 2, "name": "Alan" }]));
    let original = dump(&project.mongo());
    project.write(
        "20250101000000-backed-up.js",
        r#"const { MigrationBase } = require('mongrate');

class BackedUp extends MigrationBase {
  async up() {
    const User = this.models.User;
    const backup = await this.backupCollection('users');
    if (`${backup}` !== backup.name || backup.collection !== 'users' || backup.documents !== 2) throw new Error('backup: ' + JSON.stringify(backup));
    await User.updateMany({}, { $set: { name: 'changed' } });
    await User.insertOne({ _id: 3, name: 'new' });
    const restored = await this.restoreFromBackup('users', backup);
    if (restored.collection !== 'users' || restored.documents !== 2) throw new Error('restore: ' + JSON.stringify(restored));
    if ((await User.countDocuments({})) !== 2) throw new Error('the restore left ' + (await User.countDocuments({})));
    const kept = await this.backupCollection(User);
    await User.deleteMany({});
    const latest = await this.restoreFromBackup('users');
    if (latest.backup !== kept.name || latest.documents !== 2) throw new Error('latest: ' + JSON.stringify(latest));
    const dropped = await this.dropBackup(backup);
    if (dropped.name !== backup.name) throw new Error('drop: ' + JSON.stringify(dropped));
    this.log('dropped ' + dropped.name + ', kept ' + kept.name);
  }

  async down() {}
}

module.exports = BackedUp;
"#,
    );
    let preview = project.run(&["up", "--dry-run", "--json"]).expect(0).json();
    let summaries: Vec<&str> = preview["preview"][0]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries.len(), 8, "{preview}");
    assert!(summaries[0].starts_with("backup users (2 documents"), "{preview}");
    assert!(summaries[3].starts_with("restore backup mongrate_backup_users_"), "{preview}");
    assert!(summaries[3].ends_with(" into users"), "{preview}");
    assert_eq!(preview["preview"][0]["operations"][3]["affected"], 2, "{preview}");
    assert!(summaries[4].starts_with("backup users (2 documents"), "{preview}");
    assert!(summaries[7].starts_with("drop backup mongrate_backup_users_"), "{preview}");
    assert_eq!(preview["preview"][0]["operations"][0]["line"], 6, "{preview}");
    assert_eq!(dump(&project.mongo()), original, "a dry-run writes nothing");
    assert_eq!(project.run(&["backup", "list", "--json"]).expect(0).json(), json!([]), "a dry-run takes no backup");

    let run = project.run(&["up"]).expect(0);
    assert_eq!(dump(&project.mongo()), original, "restored over the changes");
    let backups = project.run(&["backup", "list", "--json"]).expect(0).json();
    let listed = backups.as_array().unwrap();
    assert_eq!(listed.len(), 1, "the dropped backup is gone, the other stays: {backups}");
    let kept = listed[0]["name"].as_str().unwrap();
    assert!(run.stderr.contains(&format!(", kept {kept}")), "{}", run.stderr);
    let dropped = run.stderr.split("dropped ").nth(1).and_then(|rest| rest.split(',').next()).unwrap();
    assert_ne!(dropped, kept);
    assert!(!project.has_table(dropped), "the dropped backup's collection is gone");
    assert_eq!(
        (&listed[0]["collection"], &listed[0]["version"], &listed[0]["migration"], &listed[0]["documents"]),
        (&json!("users"), &json!("20250101000000"), &json!("backed-up"), &json!(2)),
        "{backups}"
    );
    assert!(listed[0]["restoredAt"].is_string(), "{backups}");
    // The kept backup is mongrate's own: `mongrate backup restore` puts it back.
    insert(&project.mongo(), "users", json!([{ "_id": 9 }]));
    project.run(&["backup", "restore", kept]).expect(0);
    assert_eq!(dump(&project.mongo()), original);
}

#[test]
fn copied_and_transformed_numbers_keep_their_bson_types() {
    let project = Project::new(Backend::Mongo);
    insert(
        &project.mongo(),
        "accounts",
        json!([{ "_id": 1, "balance": { "$numberLong": "5" }, "rate": 2.0, "limits": { "daily": { "$numberLong": "7" } } }]),
    );
    project.write(
        "001_types.js",
        r#"const { MigrationHelper: H } = require('mongrate');
module.exports = {
  async up() {
    await H.copyField('accounts', 'balance', 'balanceCopy');
    await H.copyField('accounts', 'rate', 'rateCopy');
    await H.transformData('accounts', {}, (a) => { a.limits.weekly = 1; a.note = 'x'; return a; });
  },
  async down() {},
};
"#,
    );
    project.run(&["up"]).expect(0);
    let account = &documents(&project, "accounts")[0];
    assert_eq!(account.get("balanceCopy"), Some(&bson::Bson::Int64(5)), "{account}");
    assert_eq!(account.get("rateCopy"), Some(&bson::Bson::Double(2.0)), "{account}");
    let limits = account.get_document("limits").expect("limits");
    assert_eq!(
        limits.get("daily"),
        Some(&bson::Bson::Int64(7)),
        "an untouched Int64 in a changed subdocument: {account}"
    );
}

/// A loop that writes nothing over 300 documents, 100 a batch, timed inside the migration (so
/// only the loop counts): `OPTIONS` are eachBatch's, `AT_LEAST` the milliseconds the throttle
/// must take; a loop that reads three batches and writes nothing takes a few milliseconds.
const PACED_LOOP: &str = "const { eachBatch } = require('mongrate');\n\
module.exports = { async up(db) {\n\
  const started = Date.now();\n\
  const totals = await eachBatch('items', OPTIONS, async () => []);\n\
  const took = Date.now() - started;\n\
  if (totals.processed !== 300) throw new Error('processed ' + totals.processed);\n\
  if (took < AT_LEAST) throw new Error('the loop took ' + took + ' ms, less than AT_LEAST ms: the throttle did not hold');\n\
}, async down() {} };\n";

fn paced_loop(options: &str, at_least_ms: u32) -> String {
    PACED_LOOP.replace("OPTIONS", options).replace("AT_LEAST", &at_least_ms.to_string())
}

#[test]
fn max_per_second_and_pause_hold_and_the_run_wide_cap_wins() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 300);
    // 200 a second: each batch of 100 starts no sooner than 0.5 s per batch before it allow,
    // so the three batches end after 1.5 s at the earliest.
    project.write("001_rate.js", &paced_loop("{ batchSize: 100, maxPerSecond: 200 }", 1400));
    // 300 ms between each of the three batches.
    project.write("002_pause.js", &paced_loop("{ batchSize: 100, pauseMs: 300 }", 580));
    project.run(&["up"]).expect(0);
    // No limit in the file: `--max-per-second 200` caps it all the same.
    project.write("003_uncapped.js", &paced_loop("{ batchSize: 100 }", 1400));
    let started = Instant::now();
    project.run(&["up", "--max-per-second", "200"]).expect(0);
    assert!(started.elapsed() >= Duration::from_millis(1400));
    // A file asking for more than the run allows gets the run's cap.
    project.write("004_asks_more.js", &paced_loop("{ batchSize: 100, maxPerSecond: 100000 }", 1400));
    project.run(&["up", "--max-per-second", "200"]).expect(0);
    let refused = project.run(&["up", "--max-per-second", "0"]).expect(2);
    assert!(refused.stderr.contains("--max-per-second"), "{}", refused.stderr);
}

#[test]
#[ignore = "needs a MongoDB replica set in MONGRATE_TEST_MONGODB_URI (FerretDB has no transactions)"]
fn each_batch_is_refused_inside_the_migrations_transaction() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 3);
    project.write(
        "001_in_transaction.js",
        "const { eachBatch } = require('mongrate');\n\
         module.exports = { transaction: true, async up(db) { await eachBatch('items', {}, async () => []); }, async down() {} };\n",
    );
    let run = project.run(&["up"]).expect(1);
    assert!(run.stderr.contains("eachBatch cannot run inside the migration's transaction"), "{}", run.stderr);
    assert!(run.stderr.contains("remove `transaction: true`"), "{}", run.stderr);
}
