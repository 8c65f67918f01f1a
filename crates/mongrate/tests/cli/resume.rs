//! Resumable batch loops on the FerretDB test server (no transactions: a batch is named pending
//! with its documents' fingerprints before it is written): a run killed at random moments, one
//! that failed, one interrupted, one whose lease was taken away, each resumed by the next `up`
//! with every document processed exactly once; `up --restart`; progress in `status`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bson::doc;
use serde_json::json;

use crate::mongo_dump::{count, insert};
use crate::support::{Backend, Project};

/// `n` documents with ObjectId `_id`s (FerretDB finds those by index) and a counter at 0.
fn seed_items(project: &Project, n: usize) {
    let docs: Vec<serde_json::Value> =
        (1..=n).map(|i| json!({"_id": {"$oid": format!("{i:024x}")}, "n": i, "counter": 0})).collect();
    for chunk in docs.chunks(5000) {
        insert(&project.mongo(), "items", json!(chunk));
    }
    project.index_id_lookups("items");
}

/// A migration whose loop adds 1 to every document's counter, `batch` at a time, one update per
/// document.
fn counting_migration(batch: usize, extra: &str) -> String {
    format!(
        "const {{ eachBatch }} = require('mongrate');\n\
         module.exports = {{\n\
           async up(db) {{\n\
             await eachBatch(db.collection('items'), {{ batchSize: {batch} }}, async (docs) => {{\n\
               {extra}\n\
               return docs.map((d) => ({{ updateOne: {{ filter: {{ _id: d._id }}, update: {{ $inc: {{ counter: 1 }} }} }} }}));\n\
             }});\n\
           }},\n\
           async down(db) {{ await db.collection('items').updateMany({{}}, {{ $set: {{ counter: 0 }} }}); }},\n\
         }};\n"
    )
}

/// Every document's counter is exactly 1.
#[track_caller]
fn each_exactly_once(project: &Project, n: u64) {
    let db = project.mongo();
    let wrong = count(&db, "items", doc! { "counter": { "$ne": 1 } });
    let twice = count(&db, "items", doc! { "counter": { "$gt": 1 } });
    assert_eq!((wrong, twice), (0, 0), "documents not processed exactly once (of which processed twice: {twice})");
    assert_eq!(count(&db, "items", doc! { "counter": 1 }), n);
}

/// A small random number from the clock (the seed is printed, so a failure can be followed).
fn random_below(state: &mut u64, limit: u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state % limit
}

#[test]
fn a_loop_killed_at_random_moments_resumes_and_processes_each_document_exactly_once() {
    const DOCUMENTS: usize = 50_000;
    let project = Project::new(Backend::Mongo);
    seed_items(&project, DOCUMENTS);
    project.write("001_count.js", &counting_migration(1000, ""));
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(7, |d| d.as_nanos() as u64) | 1;
    println!("random seed {seed}");
    // A dead runner's lease expires after 2 s; the next run waits for it.
    let up = ["--lock-ttl", "2", "--lock-timeout", "30", "up"];
    let mut kills = 0;
    let mut settled = 0;
    let mut last = None;
    let lock = project.mongo().collection::<bson::Document>("mongrate_lock");
    let mut owner = None;
    for _ in 0..40 {
        let mut runner = project.spawn(&up);
        // A moment of this run's loop: once it has the lease, has claimed the checkpoint and is
        // writing its first batch (before, a kill would only cut the wait for the dead run's
        // lease or the server's sort of the collection, or leave a run that had not got to its
        // loop, which `up` refuses as any interrupted migration).
        owner = wait_for_claim(&lock, owner.as_deref(), &mut runner).or(owner);
        let wait = Duration::from_millis(random_below(&mut seed, 2500));
        let started = Instant::now();
        let mut runner = Some(runner);
        while started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(20));
            if runner.as_mut().is_some_and(|r| r.has_exited()) {
                break;
            }
        }
        let mut runner = runner.take().expect("the runner");
        if runner.has_exited() || kills >= 5 {
            last = Some(runner.finish_within(Duration::from_secs(300)));
            if last.as_ref().is_some_and(|run| run.code == 0) {
                break;
            }
            continue;
        }
        let killed = std::process::Command::new("kill").args(["-KILL", &runner.id().to_string()]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -9");
        settled += runner.finish().stderr.matches("resuming a batch the stopped run was writing").count();
        kills += 1;
    }
    let last = last.expect("a run ended on its own");
    settled += last.stderr.matches("resuming a batch the stopped run was writing").count();
    println!("{kills} kills, {settled} resumed runs settled a batch cut short");
    let status = project.run(&["status", "--json"]).expect(0).json();
    if status["server"]["transactions"] == false {
        assert!(settled >= 1, "no run resumed a batch cut short (seed {seed})");
    }
    assert_eq!(last.code, 0, "the last run: {}", last.stderr);
    assert!(kills >= 3, "only {kills} kills landed before the loop finished (seed {seed})");
    each_exactly_once(&project, DOCUMENTS as u64);
    assert_eq!(status["summary"]["applied"], 1, "{status}");
    // The checkpoint is gone with the finished run.
    assert_eq!(count(&project.mongo(), "mongrate_lock", doc! { "_id": "checkpoint:1" }), 0);
}

#[test]
fn a_failed_loop_is_resumed_after_the_fix_and_restart_starts_over() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 3000);
    // Fails on the document with n = 2100: two batches of 1000 are written by then.
    let failing = counting_migration(1000, "if (docs.some((d) => d.n === 2100)) throw new Error('bad document 2100');");
    project.write("001_count.js", &failing);
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("bad document 2100"), "{}", failed.stderr);
    let status = project.run(&["status", "--json"]).expect(0).json();
    let entry = &status["failed"][0];
    assert_eq!(entry["status"], "failed", "{status}");
    assert_eq!(entry["progress"]["processed"], 2000, "{status}");
    let text = project.run(&["status"]).expect(0).stdout;
    assert!(text.contains("66%, 2,000 of 3,000") || text.contains("66%, 2,000 of 3k"), "{text}");
    assert!(text.contains("mongrate up") && text.contains("--restart 1"), "the choices say how to resume: {text}");
    // The fixed file resumes after document 2000: nobody is counted twice.
    project.write("001_count.js", &counting_migration(1000, ""));
    project.run(&["up"]).expect(0);
    each_exactly_once(&project, 3000);

    // Started over on purpose: the loop runs from the first document again.
    project.run(&["down"]).expect(0);
    project.write("001_count.js", &failing);
    project.run(&["up"]).expect(1);
    project.write("001_count.js", &counting_migration(1000, ""));
    project.run(&["up", "--restart", "1"]).expect(0);
    let db = project.mongo();
    assert_eq!(count(&db, "items", doc! { "counter": 2, "n": { "$lte": 2000 } }), 2000, "restarted from zero");
    assert_eq!(count(&db, "items", doc! { "counter": 1, "n": { "$gt": 2000 } }), 1000);
    let refused = project.run(&["up", "--restart", "1"]).expect(2);
    assert!(refused.stderr.contains("no unfinished run"), "{}", refused.stderr);
}

#[test]
fn ctrl_c_stops_the_loop_and_the_next_up_resumes_it() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 4000);
    project.write("001_count.js", &counting_migration(200, "await new Promise((r) => setTimeout(r, 100));"));
    let runner = project.spawn(&["up"]);
    let lock = project.mongo().collection::<bson::Document>("mongrate_lock");
    wait_for_progress(&lock, 600);
    let status = std::process::Command::new("kill").args(["-INT", &runner.id().to_string()]).status().unwrap();
    assert!(status.success());
    let stopped = runner.finish_within(Duration::from_secs(30));
    assert_eq!(stopped.code, 1, "{}", stopped.stderr);
    assert!(stopped.stderr.contains("interrupted"), "{}", stopped.stderr);
    project.run(&["up"]).expect(0);
    each_exactly_once(&project, 4000);
}

#[test]
fn a_loop_whose_lease_is_taken_away_stops_and_the_next_up_resumes_it() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 4000);
    project.write("001_count.js", &counting_migration(200, "await new Promise((r) => setTimeout(r, 100));"));
    let runner = project.spawn(&["--lock-ttl", "3", "up"]);
    let lock = project.mongo().collection::<bson::Document>("mongrate_lock");
    wait_for_progress(&lock, 600);
    project.run(&["lock", "release", "--confirm"]).expect(0);
    let stopped = runner.finish_within(Duration::from_secs(30));
    assert_ne!(stopped.code, 0, "{}", stopped.stderr);
    assert!(stopped.stderr.contains("lock was lost"), "{}", stopped.stderr);
    project.run(&["up"]).expect(0);
    each_exactly_once(&project, 4000);
}

/// Waits until a run other than `previous` has claimed the checkpoint and is writing a batch;
/// returns the new owner (`None` when the run ended first).
fn wait_for_claim(
    lock: &mongodb::Collection<bson::Document>,
    previous: Option<&str>,
    runner: &mut crate::support::Runner,
) -> Option<String> {
    let started = Instant::now();
    loop {
        if runner.has_exited() {
            return None;
        }
        let found = crate::support::block_on({
            let lock = lock.clone();
            async move { lock.find_one(doc! { "_id": "checkpoint:1" }).await.expect("reading the lock collection") }
        });
        let owner = found.as_ref().and_then(|d| d.get_str("owner").ok()).map(str::to_owned);
        // Writing a batch: without transactions a batch is saved pending first; with them, the
        // first batch has committed.
        let looping = found
            .as_ref()
            .and_then(|d| d.get_document("loops").ok())
            .and_then(|l| l.get_document("0").ok())
            .is_some_and(|state| state.contains_key("pending") || state.contains_key("lastId"));
        if let Some(owner) = owner.filter(|o| looping && Some(o.as_str()) != previous) {
            return Some(owner);
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no run claimed the checkpoint: {found:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the running loop's checkpoint exists and counts at least `processed` documents.
fn wait_for_progress(lock: &mongodb::Collection<bson::Document>, processed: i64) {
    let started = Instant::now();
    loop {
        let found = crate::support::block_on({
            let lock = lock.clone();
            async move { lock.find_one(doc! { "_id": "checkpoint:1" }).await.expect("reading the lock collection") }
        });
        let state = found.as_ref().and_then(|d| d.get_document("loops").ok()).and_then(|l| l.get_document("0").ok());
        let done = state.and_then(|state| match state.get("processed") {
            Some(bson::Bson::Int32(n)) => Some(i64::from(*n)),
            Some(bson::Bson::Int64(n)) => Some(*n),
            Some(bson::Bson::Double(n)) => Some(*n as i64),
            _ => None,
        });
        if done.is_some_and(|done| done >= processed) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the loop made no progress: {found:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn each_batch_reports_one_json_progress_event_per_batch() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 300);
    project.write("001_count.js", &counting_migration(100, ""));
    let run = project.run(&["--log-format", "json", "up"]).expect(0);
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["event"] == "progress")
        .collect();
    let seen: Vec<(u64, bool)> =
        events.iter().map(|e| (e["processed"].as_u64().unwrap_or(0), e["done"].as_bool().unwrap_or(false))).collect();
    assert_eq!(seen, [(100, false), (200, false), (300, true)], "{}", run.stderr);
    let last = events.last().expect("an event");
    assert_eq!((last["total"].as_u64(), last["label"].as_str()), (Some(300), Some("eachBatch items")), "{last}");
    assert_eq!(last["migration"], "001_count.js");
    assert!(last["message"].as_str().is_some_and(|m| m.contains("100%, 300 of 300")), "{last}");
    each_exactly_once(&project, 300);
}

/// A declarative migration whose `updateMany` (not idempotent: `$inc`) runs in batches.
const BATCHED_YAML: &str = "up:\n\
  - addField: { collection: items, field: touched, value: true, batchSize: 2000 }\n\
  - updateMany: { collection: items, filter: {}, update: { $inc: { counter: 1 } }, batchSize: 250 }\n\
down:\n\
  - updateMany: { collection: items, filter: {}, update: { $set: { counter: 0 } } }\n\
  - removeField: { collection: items, field: touched }\n";

#[test]
fn a_batched_declarative_update_killed_at_random_moments_resumes_exactly_once() {
    const DOCUMENTS: usize = 8_000;
    let project = Project::new(Backend::Mongo);
    seed_items(&project, DOCUMENTS);
    project.write("001_count.yaml", BATCHED_YAML);
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(11, |d| d.as_nanos() as u64) | 1;
    println!("random seed {seed}");
    let lock = project.mongo().collection::<bson::Document>("mongrate_lock");
    let up = ["--lock-ttl", "2", "--lock-timeout", "30", "up"];
    let mut kills = 0;
    for _ in 0..3 {
        let mut runner = project.spawn(&up);
        wait_for_loop(&lock, "1");
        std::thread::sleep(Duration::from_millis(random_below(&mut seed, 1500)));
        if runner.has_exited() {
            break;
        }
        let killed = std::process::Command::new("kill").args(["-KILL", &runner.id().to_string()]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -9");
        runner.finish();
        kills += 1;
    }
    project.run_within(&up, Duration::from_secs(300)).expect(0);
    println!("{kills} kills");
    each_exactly_once(&project, DOCUMENTS as u64);
    assert_eq!(count(&project.mongo(), "items", doc! { "touched": true }), DOCUMENTS as u64);
    // The derived down of the whole file runs too.
    project.run(&["down"]).expect(0);
    assert_eq!(count(&project.mongo(), "items", doc! { "touched": { "$exists": true } }), 0);
}

#[test]
fn declarative_batches_hold_their_pace() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 300);
    // 200 documents a second in batches of 100: the third batch starts after 1 s, the loop
    // ends after that; a pause of 300 ms between the batches of the second operation.
    project.write(
        "001_paced.yaml",
        "up:\n\
           - addField: { collection: items, field: a, value: 1, batchSize: 100, maxPerSecond: 200 }\n\
           - addField: { collection: items, field: b, value: 1, batchSize: 100, pauseMs: 300 }\n\
         down:\n\
           - removeField: { collection: items, field: b }\n\
           - removeField: { collection: items, field: a }\n",
    );
    let started = Instant::now();
    project.run(&["up"]).expect(0);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1000 + 600), "the batches did not hold their pace: {took:?}");
    assert_eq!(count(&project.mongo(), "items", doc! { "a": 1, "b": 1 }), 300);
}

/// Waits until version `version`'s checkpoint exists (its loops started).
fn wait_for_loop(lock: &mongodb::Collection<bson::Document>, version: &str) {
    let started = Instant::now();
    let id = format!("checkpoint:{version}");
    loop {
        let found = crate::support::block_on({
            let (lock, id) = (lock.clone(), id.clone());
            async move { lock.find_one(doc! { "_id": id }).await.expect("reading the lock collection") }
        });
        if found.is_some() {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the migration never checkpointed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn restart_puts_back_the_backups_the_stopped_run_took_then_runs_from_the_start() {
    let project = Project::new(Backend::Mongo);
    seed_items(&project, 3000);
    let with_backup = |extra: &str| {
        counting_migration(1000, extra).replace("module.exports = {", "module.exports = {\n  backup: ['items'],")
    };
    project.write(
        "001_count.js",
        &with_backup("if (docs.some((d) => d.n === 2100)) throw new Error('bad document 2100');"),
    );
    let failed = project.run(&["up"]).expect(1);
    assert!(failed.stderr.contains("bad document 2100"), "{}", failed.stderr);
    let db = project.mongo();
    // Resumable, so not restored at the failure: 2,000 documents counted.
    assert_eq!(count(&db, "items", doc! { "counter": 1 }), 2000);
    project.write("001_count.js", &with_backup(""));
    project.run(&["up", "--restart", "1"]).expect(0);
    // The backup put the counters back to 0 first: each document once, not twice.
    each_exactly_once(&project, 3000);
    let history = project.run(&["history", "--json"]).expect(0).json();
    let actions: Vec<&str> =
        history.as_array().map_or(Vec::new(), |entries| entries.iter().filter_map(|e| e["action"].as_str()).collect());
    assert!(actions.contains(&"restore"), "the restore is in the history: {history}");
}

#[test]
fn a_loop_with_batches_in_flight_resumes_after_kill_9_with_each_document_once() {
    const DOCUMENTS: u64 = 12_000;
    let project = Project::new(Backend::Mongo);
    seed_items(&project, DOCUMENTS as usize);
    // Three batches of 1000 in flight, 20 commands each, side by side on the server: with 50
    // statements a command, FerretDB (one connection per statement until the command ends, and
    // one more to commit, of 100 a database) once ran out of connections and everything on the
    // database waited for ever; now each batch sends commands of a third of that.
    let migration = counting_migration(1000, "").replace("{ batchSize: 1000 }", "{ batchSize: 1000, concurrency: 3 }");
    assert!(migration.contains("concurrency: 3"), "{migration}");
    project.write("001_count.js", &migration);
    let up = ["--lock-ttl", "2", "--lock-timeout", "30", "up"];
    let lock = project.mongo().collection::<bson::Document>("mongrate_lock");
    // The second kill can land while the resumed run writes what the first left (a settled
    // batch): its record must still name what the first run wrote.
    for (kill, at) in [3000, 8000].into_iter().enumerate() {
        let runner = project.spawn(&up);
        let checkpoint = checkpoint_at(&lock, at, runner.id());
        let killed = std::process::Command::new("kill").args(["-KILL", &runner.id().to_string()]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -9");
        let run = runner.finish();
        if kill > 0 {
            assert!(run.stderr.contains("resuming a batch the stopped run was writing"), "{}", run.stderr);
        }
        // The pending record names every batch in flight: three once the first run is under way
        // (a resumed run starts again with the documents it settled, then one batch, two, …).
        let pending =
            checkpoint.get_document("loops").and_then(|l| l.get_document("0")).and_then(|s| s.get_document("pending"));
        let named = pending
            .map(|p| (p.get_array("ids").map_or(0, |a| a.len()), p.get_array("fingerprints").map_or(0, |a| a.len())))
            .unwrap_or_default();
        let in_flight = if kill == 0 { 3000..=3000 } else { 1..=3000 };
        assert!(named.0 == named.1 && in_flight.contains(&named.0), "{named:?}: {checkpoint:?}");
    }
    let last = project.run_within(
        &["--lock-ttl", "2", "--lock-timeout", "30", "--log-format", "json", "up"],
        Duration::from_secs(120),
    );
    assert_eq!(last.code, 0, "{}", last.stderr);
    assert!(last.stderr.contains("resuming a batch the stopped run was writing"), "{}", last.stderr);
    let done: Vec<serde_json::Value> = last
        .stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["event"] == "progress" && event["done"] == true)
        .collect();
    assert_eq!(done.len(), 1, "{}", last.stderr);
    // The totals carried over the kills count every document once too.
    assert_eq!(done[0]["processed"].as_u64(), Some(DOCUMENTS), "{}", done[0]);
    each_exactly_once(&project, DOCUMENTS);

    /// The running loop's checkpoint once it counts at least `processed` documents. A server that
    /// stops answering (or a loop that stops) kills the run `pid` and fails the test.
    fn checkpoint_at(lock: &mongodb::Collection<bson::Document>, processed: i64, pid: u32) -> bson::Document {
        let started = Instant::now();
        let fail = |why: String| -> ! {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            panic!("{why}");
        };
        loop {
            let lock = lock.clone();
            let read = crate::support::block_on(async move {
                tokio::time::timeout(Duration::from_secs(30), lock.find_one(doc! { "_id": "checkpoint:1" })).await
            });
            let found = match read {
                Ok(found) => found.expect("reading the lock collection"),
                Err(_) => fail("the server did not answer within 30 s: it is stuck".into()),
            };
            let state =
                found.as_ref().and_then(|d| d.get_document("loops").ok()).and_then(|l| l.get_document("0").ok());
            let done = state.and_then(|state| match state.get("processed") {
                Some(bson::Bson::Int32(n)) => Some(i64::from(*n)),
                Some(bson::Bson::Int64(n)) => Some(*n),
                Some(bson::Bson::Double(n)) => Some(*n as i64),
                _ => None,
            });
            if let Some(found) = found.filter(|_| done.is_some_and(|done| done >= processed)) {
                return found;
            }
            if started.elapsed() > Duration::from_secs(60) {
                fail(format!("the loop made no progress: {done:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
