//! `mongrate lint` for MongoDB migrations. Declarative (YAML/JSON) files are judged operation by
//! operation, at the line where each starts; a JavaScript migration is a program, so only what it
//! declares is judged (a missing `down`). The one rule that asks the server, a unique index over
//! duplicates, runs one aggregation per index and lists a few of the offending keys.

use bson::{Bson, Document, doc};
use futures_util::TryStreamExt;
use mongodb::Database;
use mongrate_core::lint::{Finding, Ignores, LintOptions, LintReport, Rule, parse_rules};
use mongrate_core::phase::Phase;
use mongrate_core::{Error, Migration, Result};
use serde_json::Value;

use crate::bson_value::to_document;
use crate::declarative::DeclarativeMigration;
use crate::errors::server;
use crate::operation::{CreateIndex, Operation};
use crate::script::ScriptEngine;
use crate::source_lines::SourceLines;

/// How many duplicate keys a finding lists.
const SHOWN_DUPLICATES: i64 = 3;

/// Lints MongoDB migrations, in version order, against `db`.
pub async fn lint(
    db: &Database,
    scripts: Option<&dyn ScriptEngine>,
    migrations: &[Migration],
    options: &LintOptions,
) -> Result<LintReport> {
    let mut report = LintReport { migrations: migrations.len(), ..LintReport::default() };
    for migration in migrations {
        let file = &migration.file;
        let (findings, ignores) = if matches!(file.extension.as_str(), "yaml" | "yml" | "json") {
            declarative(db, migration, options).await?
        } else if let Some(engine) = scripts.filter(|engine| engine.handles(&file.extension)) {
            script(engine, migration, options)?
        } else {
            continue;
        };
        report.add(findings, &ignores, options);
    }
    Ok(report)
}

fn finding(migration: &Migration, line: usize, rule: Rule, message: impl Into<String>) -> Finding {
    Finding::warning(&migration.file.path, migration.version(), line, rule, message)
}

/// A JavaScript (TypeScript) migration: its `down`, and its `lintIgnore` export.
fn script(engine: &dyn ScriptEngine, migration: &Migration, options: &LintOptions) -> Result<(Vec<Finding>, Ignores)> {
    let mut findings = Vec::new();
    // No rule of a program can find an error: `up`'s check has nothing to do here.
    if options.errors_only {
        return Ok((findings, Ignores::default()));
    }
    if !migration.meta.reversible && options.checks(Rule::NoDown) {
        let message = "exports no `down` function: this migration cannot be rolled back";
        findings.push(
            finding(migration, 1, Rule::NoDown, message)
                .with_fix("export `async down(db, client)` that undoes what `up` does"),
        );
    }
    let ids = engine.lint_ignore(&migration.file)?;
    let rules = parse_rules(&ids)
        .map_err(|why| Error::validation(format!("{}: `lintIgnore`: {why}", migration.file.path.display())))?;
    Ok((findings, Ignores::whole_file(rules)))
}

async fn declarative(db: &Database, migration: &Migration, options: &LintOptions) -> Result<(Vec<Finding>, Ignores)> {
    let parsed = DeclarativeMigration::parse(&migration.file)?;
    let lines = SourceLines::read(&migration.file.content);
    let phase = migration.meta.phase;
    let mut findings = Vec::new();
    if parsed.down.is_none() && options.checks(Rule::NoDown) {
        let lossy: Vec<&str> = parsed.up.iter().filter(|op| op.inverse().is_none()).map(Operation::name).collect();
        let message = format!(
            "no `down:` and {} no exact inverse: this migration cannot be rolled back",
            if lossy.len() == 1 { format!("{} has", lossy[0]) } else { format!("{} have", lossy.join(", ")) }
        );
        findings.push(
            finding(migration, 1, Rule::NoDown, message)
                .with_fix("write a `down:` list that undoes the up operations (e.g. addField for a removeField)"),
        );
    }
    for (index, operation) in parsed.up.iter().enumerate() {
        let line = lines.operation(index);
        // In a versioned migration (`documents:`) a data operation on a versioned collection
        // matches only the documents at `from`: it has a filter.
        let versioned =
            parsed.documents.iter().any(|d| operation.touched_collections() == Some(vec![d.collection.clone()]));
        if phase != Phase::Contract
            && options.checks(Rule::DestructiveOutsideContract)
            && let Some(what) = destructive(operation, versioned)
        {
            let message = format!(
                "{what} in a migration whose phase is {phase}: the code deployed now may still read what it removes"
            );
            findings.push(finding(migration, line, Rule::DestructiveOutsideContract, message));
        }
        if phase == Phase::Expand && options.checks(Rule::RenameInExpand) {
            let renamed = match operation {
                Operation::RenameCollection(op) => {
                    Some((format!("renameCollection {} → {}", op.from, op.to), &op.from))
                }
                Operation::RenameField(op) => {
                    Some((format!("renameField {}.{} → {}", op.collection, op.from, op.to), &op.from))
                }
                _ => None,
            };
            if let Some((what, old)) = renamed {
                let message = format!("{what} in an expand migration: the code running now still uses the name {old}");
                let fix = match operation {
                    Operation::RenameField(op) => format!(
                        "copyField {from} → {to} in expand, switch the code to {to}, removeField {from} in contract",
                        from = op.from,
                        to = op.to
                    ),
                    _ => Rule::RenameInExpand.doc().fix.to_owned(),
                };
                findings.push(finding(migration, line, Rule::RenameInExpand, message).with_fix(fix));
            }
        }
        if let Operation::CreateIndex(index_op) = operation
            && is_unique(index_op)
            && options.checks(Rule::UniqueIndexDuplicates)
            && options.asks_server(migration.version())
            && !deduplicated_before(&parsed.up[..index], &index_op.collection)
        {
            let found = duplicates(db, index_op).await?;
            if !found.is_empty() {
                let fields = field_names(index_op).join(", ");
                let message = format!(
                    "unique index on {} ({fields}): the collection holds duplicates now, so building it fails; e.g. {}",
                    index_op.collection,
                    found.join("; ")
                );
                let fix = format!(
                    "put `- removeDuplicates: {{ collection: {}, keys: [{fields}] }}` before it (it keeps the first \
                     document of each key), or mend the documents in an earlier migration",
                    index_op.collection
                );
                findings
                    .push(finding(migration, line, Rule::UniqueIndexDuplicates, message).with_fix(fix).into_error());
            }
        }
    }
    Ok((findings, Ignores::whole_file(parsed.lint_ignore.iter().copied())))
}

/// What a destructive operation removes, in words; `None` for the others.
fn destructive(operation: &Operation, versioned: bool) -> Option<String> {
    let unfiltered =
        |filter: Option<&Value>| !versioned && filter.is_none_or(|f| f.as_object().is_some_and(|o| o.is_empty()));
    Some(match operation {
        Operation::RemoveField(op) => format!("removeField {}.{}", op.collection, op.field),
        Operation::DropCollection(op) => format!("dropCollection {}", op.collection),
        Operation::DropIndex(op) => format!("dropIndex {} on {}", op.name, op.collection),
        Operation::DeleteMany(op) if unfiltered(Some(&op.filter)) => {
            format!("deleteMany on {} without a filter (every document)", op.collection)
        }
        Operation::UpdateMany(op) if unfiltered(op.filter.as_ref()) => {
            format!("updateMany on {} without a filter (every document)", op.collection)
        }
        _ => return None,
    })
}

fn is_unique(op: &CreateIndex) -> bool {
    op.options.as_ref().and_then(|o| o.get("unique")).and_then(Value::as_bool) == Some(true)
}

fn field_names(op: &CreateIndex) -> Vec<String> {
    op.keys.as_object().map(|keys| keys.keys().cloned().collect()).unwrap_or_default()
}

/// Whether an earlier operation of the migration removes the collection's duplicates (or drops
/// it): the index then meets a collection the server cannot show yet.
fn deduplicated_before(earlier: &[Operation], collection: &str) -> bool {
    earlier.iter().any(|op| match op {
        Operation::RemoveDuplicates(op) => op.collection == collection,
        Operation::DropCollection(op) => op.collection == collection,
        Operation::CreateCollection(op) => op.collection == collection,
        _ => false,
    })
}

/// Up to [`SHOWN_DUPLICATES`] keys that more than one document of the collection holds, as
/// `{"email": "a@x"} (2 documents)`, from one aggregation. A missing field is shown as null; a
/// sparse index skips documents without any of its fields, a partial one those its filter does
/// not match.
async fn duplicates(db: &Database, op: &CreateIndex) -> Result<Vec<String>> {
    let fields = field_names(op);
    let options = op.options.as_ref();
    let mut pipeline = Vec::new();
    if let Some(partial) = options.and_then(|o| o.get("partialFilterExpression")) {
        let filter = to_document(partial)
            .map_err(|why| Error::validation(format!("`partialFilterExpression` of the index: {why}")))?;
        pipeline.push(doc! { "$match": filter });
    }
    if options.and_then(|o| o.get("sparse")).and_then(Value::as_bool) == Some(true) {
        let any: Vec<Bson> = fields.iter().map(|f| Bson::Document(doc! { f.as_str(): { "$exists": true } })).collect();
        pipeline.push(doc! { "$match": { "$or": any } });
    }
    // Field paths may hold dots, which a $group key may not: number the keys. Plain paths, not
    // `$ifNull`, which FerretDB 1 lacks: a document without the field then groups apart from one
    // whose field is null (the index counts them together).
    let mut key = Document::new();
    for (index, field) in fields.iter().enumerate() {
        key.insert(format!("k{index}"), format!("${field}"));
    }
    pipeline.push(doc! { "$group": { "_id": key, "copies": { "$sum": 1 } } });
    pipeline.push(doc! { "$match": { "copies": { "$gt": 1 } } });
    pipeline.push(doc! { "$sort": { "copies": -1 } });
    pipeline.push(doc! { "$limit": SHOWN_DUPLICATES });
    let doing = format!("looking for duplicates of the unique index on {}", op.collection);
    let groups: Vec<Document> = db
        .collection::<Document>(&op.collection)
        .aggregate(pipeline)
        .await
        .map_err(|e| server(&doing, &e))?
        .try_collect()
        .await
        .map_err(|e| server(&doing, &e))?;
    Ok(groups
        .iter()
        .map(|group| {
            let mut shown = Document::new();
            let key = group.get_document("_id").cloned().unwrap_or_default();
            for (index, field) in fields.iter().enumerate() {
                shown.insert(field.clone(), key.get(format!("k{index}")).cloned().unwrap_or(Bson::Null));
            }
            let copies = match group.get("copies") {
                Some(Bson::Int32(n)) => i64::from(*n),
                Some(Bson::Int64(n)) => *n,
                Some(Bson::Double(n)) => *n as i64,
                _ => 0,
            };
            format!("{} ({copies} documents)", Bson::Document(shown).into_relaxed_extjson())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(json: &str) -> Operation {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn destructive_operations_are_those_that_remove_data() {
        let removed = [
            r#"{"removeField": {"collection": "users", "field": "legacy"}}"#,
            r#"{"dropCollection": {"collection": "users"}}"#,
            r#"{"dropIndex": {"collection": "users", "name": "email_1"}}"#,
            r#"{"deleteMany": {"collection": "users", "filter": {}}}"#,
            r#"{"updateMany": {"collection": "users", "update": {"$set": {"a": 1}}}}"#,
            r#"{"updateMany": {"collection": "users", "filter": {}, "update": {"$set": {"a": 1}}}}"#,
        ];
        for json in removed {
            assert!(destructive(&operation(json), false).is_some(), "{json}");
        }
        let kept = [
            r#"{"deleteMany": {"collection": "users", "filter": {"spam": true}}}"#,
            r#"{"updateMany": {"collection": "users", "filter": {"v": 1}, "update": {"$set": {"a": 1}}}}"#,
            r#"{"addField": {"collection": "users", "field": "a", "value": 1}}"#,
            r#"{"renameField": {"collection": "users", "from": "a", "to": "b"}}"#,
        ];
        for json in kept {
            assert!(destructive(&operation(json), false).is_none(), "{json}");
        }
        let everyone = operation(r#"{"updateMany": {"collection": "users", "update": {"$set": {"a": 1}}}}"#);
        assert!(destructive(&everyone, true).is_none(), "a versioned collection's operation has a filter");
    }

    #[test]
    fn a_unique_index_after_remove_duplicates_is_not_checked() {
        let Operation::CreateIndex(index) =
            operation(r#"{"createIndex": {"collection": "u", "keys": {"email": 1}, "options": {"unique": true}}}"#)
        else {
            unreachable!()
        };
        assert!(is_unique(&index));
        assert_eq!(field_names(&index), ["email"]);
        let dedupe = operation(r#"{"removeDuplicates": {"collection": "u", "keys": ["email"]}}"#);
        let other = operation(r#"{"removeDuplicates": {"collection": "v", "keys": ["email"]}}"#);
        assert!(deduplicated_before(&[dedupe], "u"));
        assert!(!deduplicated_before(&[other], "u"));
    }
}
