//! The same migrate-mongo corpus (tests/fixtures/js-corpus) through the real migrate-mongo (Node)
//! on one database and through mongrate on another of the same server: the collections, their
//! documents (field order and BSON types included) and indexes must be identical after `up` and
//! after each `down`.

use std::path::{Path, PathBuf};

use crate::migrate_mongo::MigrateMongo;
use crate::mongo_dump::dump_in_order;
use crate::support::copy_dir;
use crate::support::{Backend, Project, repo_root};

/// migrate-mongo's own collections, and mongrate's, are not part of the comparison.
fn is_data(name: &str) -> bool {
    !name.starts_with("mongrate_") && name != "changelog" && name != "changelog_lock"
}

fn run_mongrate(project: &Project, args: &[&str]) {
    project
        .command(args)
        .env_remove("MONGRATE_CORPUS_GREETING")
        .env_remove("MONGRATE_CORPUS_BATCH_SIZE")
        .run()
        .expect(0);
}

/// Runs `corpus` through both tools and compares after `up` and after each `down`.
fn compare(corpus: &Path) {
    let files =
        std::fs::read_dir(corpus).expect("corpus").filter(|e| e.as_ref().is_ok_and(|e| e.path().is_file())).count();
    assert!(files >= 7, "the corpus at {} is missing", corpus.display());
    let ours = Project::new(Backend::Mongo);
    std::fs::remove_dir(ours.migrations()).expect("empty migrations dir");
    copy_dir(corpus, &ours.migrations());
    let theirs = MigrateMongo::with_corpus(&Project::new(Backend::Mongo).url, corpus);
    let their_db = &theirs.database;

    theirs.run(&["up"]);
    run_mongrate(&ours, &["up"]);
    let after_up = dump_in_order(their_db, is_data);
    assert!(after_up.contains("collection"), "migrate-mongo wrote nothing: {after_up}");
    assert_same(&dump_in_order(&ours.mongo(), is_data), &after_up, "after up");

    for step in 1..=files {
        theirs.run(&["down"]);
        run_mongrate(&ours, &["down"]);
        assert_same(
            &dump_in_order(&ours.mongo(), is_data),
            &dump_in_order(their_db, is_data),
            &format!("after down number {step} of {files}"),
        );
    }
}

/// Fails with the lines that differ (the dumps are long).
fn assert_same(ours: &str, theirs: &str, when: &str) {
    if ours == theirs {
        return;
    }
    let only_ours: Vec<&str> = ours.lines().filter(|line| !theirs.lines().any(|t| t == *line)).collect();
    let only_theirs: Vec<&str> = theirs.lines().filter(|line| !ours.lines().any(|o| o == *line)).collect();
    panic!(
        "{when}: mongrate and migrate-mongo differ\nonly mongrate:\n{}\nonly migrate-mongo:\n{}",
        only_ours.join("\n"),
        only_theirs.join("\n")
    );
}

fn corpus(name: &str) -> PathBuf {
    repo_root().join("crates/mongrate/tests/fixtures/js-corpus").join(name)
}

#[test]
fn the_corpus_gives_what_migrate_mongo_gives() {
    compare(&corpus("ferretdb"));
}

/// Transactions, update pipelines and Decimal128 need a real MongoDB replica set:
/// `MONGRATE_TEST_MONGODB_URI=mongodb://…/?replicaSet=… cargo test -- --include-ignored`.
#[test]
#[ignore = "needs a MongoDB replica set in MONGRATE_TEST_MONGODB_URI (FerretDB has no transactions, pipelines or Decimal128)"]
fn the_replica_set_corpus_gives_what_migrate_mongo_gives() {
    assert!(
        std::env::var("MONGRATE_TEST_MONGODB_URI").is_ok(),
        "set MONGRATE_TEST_MONGODB_URI to a MongoDB replica set to run this test"
    );
    compare(&corpus("replica-set"));
}
