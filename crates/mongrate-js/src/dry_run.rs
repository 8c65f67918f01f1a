//! Dry-run of a JavaScript migration: reads run, each write command becomes a plan line with the
//! documents it would match, and the migration gets a reply as if it had been applied.

use std::cell::RefCell;
use std::path::PathBuf;

use bson::{Bson, Document, doc};
use mongodb::Database;
use mongrate_core::execution::{DocumentSample, OperationReport};
use mongrate_mongo::reply_count::reply_count;

/// Commands that only read: they run in a dry-run.
const READS: &[&str] = &[
    "find",
    "getMore",
    "killCursors",
    "count",
    "distinct",
    "listCollections",
    "listIndexes",
    "listDatabases",
    "ping",
    "hello",
    "isMaster",
    "ismaster",
    "buildInfo",
    "buildinfo",
    "serverStatus",
    "dbStats",
    "collStats",
    "explain",
    "connectionStatus",
    "hostInfo",
    "getParameter",
    "validate",
    "dataSize",
];

/// The plan lines of one migration, by call site.
pub struct DryRunLog {
    path: PathBuf,
    entries: RefCell<Vec<OperationReport>>,
}

/// What a dry-run does with a command.
pub enum Preview {
    /// Run it: it only reads.
    Run,
    /// Do not run it; answer the migration with this reply.
    Reply(Document),
}

fn name_of(command: &Document) -> &str {
    command.keys().next().map(String::as_str).unwrap_or("")
}

fn writes_output(command: &Document) -> bool {
    command.get_array("pipeline").is_ok_and(|stages| {
        stages
            .iter()
            .any(|stage| matches!(stage, Bson::Document(s) if s.contains_key("$out") || s.contains_key("$merge")))
    })
}

impl DryRunLog {
    pub fn new(path: PathBuf) -> Self {
        DryRunLog { path, entries: RefCell::new(Vec::new()) }
    }

    /// The plan lines so far, leaving the log empty.
    pub fn take_reports(&self) -> Vec<OperationReport> {
        self.entries.take()
    }

    /// The line of the migration file in a stack trace (the innermost frame in that file).
    fn line_in(&self, stack: &str) -> usize {
        let path = self.path.to_string_lossy();
        stack
            .lines()
            .filter_map(|frame| {
                let start = frame.find(path.as_ref())? + path.len();
                let rest = frame[start..].strip_prefix(':')?;
                rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok()
            })
            .next()
            .unwrap_or(0)
    }

    /// Adds to the plan line of this call site (a loop's many calls make one line).
    fn record(&self, stack: &str, summary: String, affected: Option<u64>, note: Option<String>) {
        let line = self.line_in(stack);
        let mut entries = self.entries.borrow_mut();
        if let Some(entry) = entries.iter_mut().find(|e| e.line == line && e.summary == summary) {
            entry.affected = match (entry.affected, affected) {
                (Some(a), Some(b)) => Some(a.saturating_add(b)),
                (a, b) => a.or(b),
            };
            return;
        }
        entries.push(OperationReport { line, summary, affected, note, samples: None });
    }

    /// A line of its own for what the migration called at `stack` (a whole batch loop, a
    /// backup), which the code behind it does not send as writes.
    pub fn add(
        &self,
        stack: &str,
        summary: String,
        affected: Option<u64>,
        note: Option<String>,
        samples: Option<Vec<DocumentSample>>,
    ) {
        let line = self.line_in(stack);
        self.entries.borrow_mut().push(OperationReport { line, summary, affected, note, samples });
    }

    /// Decides what to do with `command`; for a write, counts what it would match.
    pub async fn preview(
        &self,
        database: &Database,
        command: &Document,
        label: &str,
        stack: &str,
    ) -> Result<Preview, mongodb::error::Error> {
        let name = name_of(command);
        if READS.contains(&name) || (name == "aggregate" && !writes_output(command)) {
            return Ok(Preview::Run);
        }
        let summary = if label.is_empty() { name.to_owned() } else { label.to_owned() };
        let collection = command.get_str(name).unwrap_or_default().to_owned();
        let reply = match name {
            "insert" => {
                let n = command.get_array("documents").map_or(0, Vec::len) as u64;
                self.record(stack, summary, Some(n), None);
                doc! { "n": n as i64, "ok": 1 }
            }
            "update" => {
                let mut matched = 0u64;
                let mut upserted = Vec::new();
                for (index, statement) in command.get_array("updates").into_iter().flatten().enumerate() {
                    let Bson::Document(statement) = statement else { continue };
                    let filter = statement.get_document("q").cloned().unwrap_or_default();
                    let multi = statement.get_bool("multi").unwrap_or(false);
                    let n = count(database, &collection, filter, !multi).await?;
                    if n == 0 && statement.get_bool("upsert").unwrap_or(false) {
                        upserted.push(doc! { "index": index as i32, "_id": Bson::Null });
                    }
                    matched = matched.saturating_add(n);
                }
                let would = matched.saturating_add(upserted.len() as u64);
                self.record(stack, summary, Some(would), None);
                doc! { "n": reply_n(would), "nModified": reply_n(matched), "upserted": upserted, "ok": 1 }
            }
            "delete" => {
                let mut matched = 0u64;
                for statement in command.get_array("deletes").into_iter().flatten() {
                    let Bson::Document(statement) = statement else { continue };
                    let filter = statement.get_document("q").cloned().unwrap_or_default();
                    let single =
                        statement.get_i32("limit").unwrap_or(0) == 1 || statement.get_i64("limit").unwrap_or(0) == 1;
                    matched = matched.saturating_add(count(database, &collection, filter, single).await?);
                }
                self.record(stack, summary, Some(matched), None);
                doc! { "n": reply_n(matched), "ok": 1 }
            }
            "findAndModify" | "findandmodify" => {
                let filter = command.get_document("query").cloned().unwrap_or_default();
                let mut find = doc! { "find": &collection, "filter": filter, "limit": 1, "singleBatch": true };
                if let Ok(sort) = command.get_document("sort") {
                    find.insert("sort", sort.clone());
                }
                let found = database.run_command(find).await?;
                let value = found
                    .get_document("cursor")
                    .ok()
                    .and_then(|c| c.get_array("firstBatch").ok())
                    .and_then(|batch| batch.first().cloned())
                    .unwrap_or(Bson::Null);
                let n = if value == Bson::Null { 0 } else { 1 };
                self.record(stack, summary, Some(n), None);
                doc! { "lastErrorObject": { "n": n as i32, "updatedExisting": n == 1 }, "value": value, "ok": 1 }
            }
            _ => {
                let note = format!("{name} is not run in a dry-run");
                self.record(stack, summary, None, Some(note));
                doc! { "ok": 1, "n": 0, "nModified": 0 }
            }
        };
        Ok(Preview::Reply(reply))
    }
}

/// Documents `filter` matches in `collection` (at most one when `single`).
async fn count(
    database: &Database,
    collection: &str,
    filter: Document,
    single: bool,
) -> Result<u64, mongodb::error::Error> {
    let mut command = doc! { "count": collection, "query": filter };
    if single {
        command.insert("limit", 1);
    }
    let reply = database.run_command(command).await?;
    Ok(reply_count(&reply, "n"))
}

/// A count as the `n` of a reply (BSON has no unsigned 64-bit integer).
fn reply_n(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
