//! The declarative migration format: `.yaml`, `.yml` and `.json` files of operations.

use mongrate_core::lint::Rule;
use mongrate_core::phase::Phase;
use mongrate_core::{Error, MigrationFile, MigrationMeta, Result};
use serde::Deserialize;

use crate::bson_value::{to_bson, to_document, to_filter};
use crate::document_versions::{DEFAULT_FIELD, DocumentVersions, Refusal, compile};
use crate::operation::{OPERATION_NAMES, Operation};
use mongrate_core::plan::Direction;

/// A file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    author: Option<String>,
    /// `false` opts out of running in a transaction where the server has them.
    #[serde(default)]
    transaction: Option<bool>,
    /// Collections to back up before the migration runs: `backup: [users, orders]` or `backup: users`.
    #[serde(default)]
    backup: Option<BackupList>,
    /// `expand` (the default), `migrate` or `contract`.
    #[serde(default)]
    phase: Option<String>,
    /// Applied again whenever the file changes, after the versioned migrations.
    #[serde(default)]
    repeatable: bool,
    /// Lint rules silenced for this migration: `lintIgnore: [destructive-outside-contract]`.
    #[serde(default, rename = "lintIgnore")]
    lint_ignore: Vec<String>,
    /// `{ collection, from, to, field? }` (or a list): the data operations on that collection
    /// move each document from one version to the next in one write (`document_versions`).
    #[serde(default)]
    documents: Option<serde_json::Value>,
    up: Vec<Operation>,
    #[serde(default)]
    down: Option<Vec<Operation>>,
}

/// `backup: users` or `backup: [users, orders]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum BackupList {
    One(String),
    Many(Vec<String>),
}

/// A parsed declarative migration.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclarativeMigration {
    pub name: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub transaction: bool,
    /// Collections to back up before it runs.
    pub backup: Vec<String>,
    pub phase: Phase,
    pub repeatable: bool,
    /// `lintIgnore`: the lint rules silenced for this migration.
    pub lint_ignore: Vec<Rule>,
    pub up: Vec<Operation>,
    /// The explicit `down`, else the inverses of `up` in reverse order; `None`: irreversible.
    pub down: Option<Vec<Operation>>,
    /// Whether `down` was derived rather than written.
    pub derived_down: bool,
    /// The versioned collections of `documents:`.
    pub documents: Vec<DocumentVersions>,
    /// What runs: `up` and `down` with each versioned collection's data operations as one step.
    run_up: Vec<Operation>,
    run_down: Option<Vec<Operation>>,
}

impl DeclarativeMigration {
    /// Parses and checks a file; errors name the file, and the line and column where the parser
    /// has them. A `documents:` entry without a `field` uses `schema_version`.
    pub fn parse(file: &MigrationFile) -> Result<DeclarativeMigration> {
        Self::parse_with_field(file, DEFAULT_FIELD)
    }

    /// [`parse`](Self::parse), with `default_field` (`[schema] field`) for `documents:` entries
    /// that name no field.
    pub fn parse_with_field(file: &MigrationFile, default_field: &str) -> Result<DeclarativeMigration> {
        let path = file.path.display();
        let spec: FileSpec = match file.extension.as_str() {
            "json" => serde_json::from_str(&file.content).map_err(|e| explain(&path.to_string(), &e.to_string()))?,
            // Operations are written as one-key maps (`- createIndex: {…}`), not YAML tags.
            _ => serde_yaml_ng::with::singleton_map_recursive::deserialize(serde_yaml_ng::Deserializer::from_str(
                &file.content,
            ))
            .map_err(|e| explain(&path.to_string(), &e.to_string()))?,
        };
        let backup = match spec.backup {
            None => Vec::new(),
            Some(BackupList::One(name)) => vec![name],
            Some(BackupList::Many(names)) => names,
        };
        let backup: Vec<String> = backup.into_iter().map(|name| name.trim().to_owned()).collect();
        mongrate_core::backup::check_backup_list(&backup).map_err(|why| Error::validation(format!("{path}: {why}")))?;
        let phase = match spec.phase.as_deref() {
            None => Phase::default(),
            Some(text) => text.parse().map_err(|why| Error::validation(format!("{path}: `phase`: {why}")))?,
        };
        let lint_ignore = mongrate_core::lint::parse_rules(&spec.lint_ignore).map_err(|why| {
            let line = crate::source_lines::SourceLines::read(&file.content).key("lintIgnore");
            Error::validation(format!("{path}:{line}: `lintIgnore`: {why}"))
        })?;
        if spec.up.is_empty() {
            return Err(Error::validation(format!("{path}: `up` has no operations")));
        }
        for (section, operations) in [("up", Some(&spec.up)), ("down", spec.down.as_ref())] {
            for (index, operation) in operations.into_iter().flatten().enumerate() {
                check(operation).map_err(|why| {
                    Error::validation(format!("{path}: {section}[{index}] ({}): {why}", operation.name()))
                })?;
            }
        }
        let (down, derived_down) = match spec.down {
            Some(down) => (Some(down), false),
            None => (spec.up.iter().rev().map(Operation::inverse).collect::<Option<Vec<_>>>(), true),
        };
        let documents = match &spec.documents {
            None => Vec::new(),
            Some(value) => crate::document_versions::read_documents(value, default_field)
                .map_err(|why| Error::validation(format!("{path}: `documents`: {why}")))?,
        };
        let refused = |section: &str, operations: &[Operation], refusal: Refusal| {
            Error::validation(match refusal.index.and_then(|i| operations.get(i).map(|op| (i, op))) {
                Some((index, operation)) => {
                    format!("{path}: {section}[{index}] ({}): {}", operation.name(), refusal.why)
                }
                None => format!("{path}: `documents`: {}", refusal.why),
            })
        };
        let (run_up, run_down) = if documents.is_empty() {
            (spec.up.clone(), down.clone())
        } else {
            let run_up = compile(&spec.up, &documents, Direction::Up).map_err(|r| refused("up", &spec.up, r))?;
            let run_down = match &down {
                None => None,
                // A derived down is named by the up operation it inverts.
                Some(operations) => Some(compile(operations, &documents, Direction::Down).map_err(|r| {
                    let section = if derived_down { "down (derived)" } else { "down" };
                    refused(section, operations, r)
                })?),
            };
            (run_up, run_down)
        };
        Ok(DeclarativeMigration {
            name: spec.name,
            description: spec.description,
            author: spec.author,
            transaction: spec.transaction.unwrap_or(true),
            backup,
            phase,
            repeatable: spec.repeatable,
            lint_ignore,
            up: spec.up,
            down,
            derived_down,
            documents,
            run_up,
            run_down,
        })
    }

    /// The operations that run in `direction` (`None`: a down that cannot be derived). Without
    /// `documents:` they are `up` and `down` as they are.
    pub fn operations(&self, direction: Direction) -> Option<&[Operation]> {
        match direction {
            Direction::Up => Some(&self.run_up),
            Direction::Down => self.run_down.as_deref(),
        }
    }

    pub fn meta(&self, file: &MigrationFile) -> MigrationMeta {
        MigrationMeta {
            name: self.name.clone().unwrap_or_else(|| file.slug.clone()),
            description: self.description.clone(),
            reversible: self.down.is_some(),
            // Collection and index definitions cannot share a transaction with data changes.
            transactional: self.transaction && self.up.iter().all(|op| !op.is_ddl()),
            backup: self.backup.clone(),
            phase: self.phase,
            repeatable: self.repeatable,
        }
    }
}

fn explain(path: &str, message: &str) -> Error {
    let mut text = format!("{path}: {message}");
    if message.contains("unknown variant") {
        text.push_str(&format!("\nValid operations: {}", OPERATION_NAMES.join(", ")));
    }
    Error::validation(text)
}

/// Checks what serde cannot: names are not empty, values are valid BSON of the right shape.
fn check(operation: &Operation) -> std::result::Result<(), String> {
    let named = |what: &str, name: &str| {
        if name.trim().is_empty() { Err(format!("`{what}` must not be empty")) } else { Ok(()) }
    };
    let document =
        |what: &str, value: &serde_json::Value| to_document(value).map(|_| ()).map_err(|e| format!("`{what}`: {e}"));
    let filter = |value: Option<&serde_json::Value>| to_filter(value).map(|_| ()).map_err(|e| format!("`filter`: {e}"));
    match operation {
        Operation::CreateCollection(op) => {
            named("collection", &op.collection)?;
            op.options.as_ref().map_or(Ok(()), |o| document("options", o))
        }
        Operation::DropCollection(op) => named("collection", &op.collection),
        Operation::RenameCollection(op) => named("from", &op.from).and(named("to", &op.to)),
        Operation::CreateIndex(op) => {
            named("collection", &op.collection)?;
            document("keys", &op.keys)?;
            if op.keys.as_object().is_none_or(|k| k.is_empty()) {
                return Err("`keys` needs at least one field, e.g. { email: 1 }".into());
            }
            op.options.as_ref().map_or(Ok(()), |o| document("options", o))
        }
        Operation::DropIndex(op) => named("collection", &op.collection).and(named("name", &op.name)),
        Operation::AddField(op) => {
            named("collection", &op.collection)?;
            named("field", &op.field)?;
            to_bson(&op.value).map_err(|e| format!("`value`: {e}"))?;
            filter(op.filter.as_ref())
        }
        Operation::RemoveField(op) => {
            named("collection", &op.collection)?;
            named("field", &op.field)?;
            filter(op.filter.as_ref())
        }
        Operation::RenameField(op) | Operation::CopyField(op) => {
            named("collection", &op.collection)?;
            named("from", &op.from)?;
            named("to", &op.to)?;
            filter(op.filter.as_ref())
        }
        Operation::UpdateMany(op) => {
            named("collection", &op.collection)?;
            filter(op.filter.as_ref())?;
            match &op.update {
                serde_json::Value::Array(stages) => stages.iter().try_for_each(|stage| document("update", stage)),
                other => document("update", other),
            }
        }
        Operation::InsertMany(op) => {
            named("collection", &op.collection)?;
            op.documents.iter().try_for_each(|d| document("documents", d))
        }
        Operation::DeleteMany(op) => named("collection", &op.collection).and(filter(Some(&op.filter))),
        Operation::Archive(op) => {
            named("collection", &op.collection)?;
            named("to", &op.to)?;
            filter(Some(&op.filter))
        }
        Operation::RemoveDuplicates(op) => {
            named("collection", &op.collection)?;
            if op.keys.is_empty() {
                return Err("`keys` needs at least one field".into());
            }
            Ok(())
        }
        Operation::SetSchemaVersion(op) => {
            named("collection", &op.collection)?;
            named("field", &op.field)?;
            to_bson(&op.from).map_err(|e| format!("`from`: {e}"))?;
            to_bson(&op.to).map(|_| ()).map_err(|e| format!("`to`: {e}"))
        }
        Operation::SetValidator(op) => named("collection", &op.collection).and(document("validator", &op.validator)),
        Operation::Command(op) => document("command", &op.command),
        // Never in a file: made from the operations of a versioned migration.
        Operation::VersionStep(_) => Ok(()),
    }
}

/// The file `mongrate create --format yaml` writes.
pub fn template(name: &str) -> String {
    format!(
        "# {name}\n\
         # Declarative MongoDB migration. Operations run in order; `down` is derived for operations\n\
         # with an exact inverse (createIndex, renameField, addField, …). Write `down:` yourself for\n\
         # the others (updateMany, removeField, deleteMany, …) or the migration is irreversible.\n\
         # Values accept extended JSON: {{ $oid: \"…\" }}, {{ $date: \"2026-01-01T00:00:00Z\" }}.\n\
         description: {name}\n\
         up:\n\
         \x20 - createIndex: {{ collection: users, keys: {{ email: 1 }}, options: {{ unique: true }} }}\n\
         # down:\n\
         #   - dropIndex: {{ collection: users, name: email_1 }}\n"
    )
}

/// The file `mongrate create --format json` writes.
pub fn json_template(name: &str) -> String {
    let template = serde_json::json!({
        "description": name,
        "up": [{ "createIndex": { "collection": "users", "keys": { "email": 1 }, "options": { "unique": true } } }],
    });
    format!("{}\n", serde_json::to_string_pretty(&template).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongrate_core::Version;

    fn file(name: &str, content: &str) -> MigrationFile {
        MigrationFile {
            version: Version::number(1),
            file_name: name.into(),
            slug: "m".into(),
            extension: name.rsplit('.').next().unwrap().into(),
            path: format!("migrations/{name}").into(),
            content: content.into(),
            checksum: String::new(),
            layout: Default::default(),
            down: None,
            settings: None,
        }
    }

    const SEED: &str = "description: Users get a unique email index and a preferences object\n\
up:\n\
  - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true } }\n\
  - renameField: { collection: users, from: phone, to: phoneNumber }\n\
  - addField:    { collection: users, field: preferences, value: { theme: light }, filter: { schema_version: 1 } }\n\
  - setSchemaVersion: { collection: users, from: 1, to: 2 }\n";

    #[test]
    fn the_design_example_parses_with_a_derived_down() {
        let parsed = DeclarativeMigration::parse(&file("1_m.yaml", SEED)).unwrap();
        assert_eq!(parsed.up.len(), 4);
        let down = parsed.down.as_ref().unwrap();
        let names: Vec<_> = down.iter().map(Operation::name).collect();
        assert_eq!(names, ["setSchemaVersion", "removeField", "renameField", "dropIndex"]);
        assert!(parsed.derived_down);
        let meta = parsed.meta(&file("1_m.yaml", SEED));
        assert!(meta.reversible);
        assert!(!meta.transactional, "createIndex cannot share a transaction with data changes");
        assert_eq!(meta.description.as_deref(), Some("Users get a unique email index and a preferences object"));
    }

    #[test]
    fn a_lossy_operation_without_down_is_irreversible_and_explicit_down_wins() {
        let lossy = "up:\n  - removeField: { collection: users, field: legacy }\n";
        let parsed = DeclarativeMigration::parse(&file("1_m.yml", lossy)).unwrap();
        assert!(parsed.down.is_none());
        assert!(parsed.meta(&file("1_m.yml", lossy)).transactional);
        let explicit = format!("{lossy}down:\n  - addField: {{ collection: users, field: legacy, value: null }}\n");
        let parsed = DeclarativeMigration::parse(&file("1_m.yml", &explicit)).unwrap();
        assert!(parsed.down.is_some() && !parsed.derived_down);
    }

    #[test]
    fn a_backup_key_names_one_or_several_collections() {
        let several = "backup: [users, orders]\nup:\n  - removeField: { collection: users, field: legacy }\n";
        let parsed = DeclarativeMigration::parse(&file("1_m.yaml", several)).unwrap();
        assert_eq!(parsed.meta(&file("1_m.yaml", several)).backup, ["users", "orders"]);
        let one = "backup: users\nup:\n  - removeField: { collection: users, field: legacy }\n";
        assert_eq!(DeclarativeMigration::parse(&file("1_m.yaml", one)).unwrap().backup, ["users"]);
        let own = "backup: [mongrate_history]\nup:\n  - removeField: { collection: users, field: legacy }\n";
        let error = DeclarativeMigration::parse(&file("1_m.yaml", own)).unwrap_err();
        assert!(error.message.contains("mongrate_history"), "{}", error.message);
    }

    #[test]
    fn json_files_and_extended_json() {
        let json = r#"{"up": [{"insertMany": {"collection": "t", "documents": [{"_id": {"$oid": "507f1f77bcf86cd799439011"}, "at": {"$date": "2026-01-01T00:00:00Z"}}]}}]}"#;
        let parsed = DeclarativeMigration::parse(&file("1_m.json", json)).unwrap();
        assert!(parsed.down.is_some());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let bad_yaml = "up:\n  - createIndex: { collection: users, keys: { email: 1 }\n";
        let error = DeclarativeMigration::parse(&file("1_m.yaml", bad_yaml)).unwrap_err();
        assert!(error.message.contains("migrations/1_m.yaml") && error.message.contains("line"), "{}", error.message);

        let unknown = "up:\n  - renameFeild: { collection: users, from: a, to: b }\n";
        let error = DeclarativeMigration::parse(&file("1_m.yaml", unknown)).unwrap_err();
        assert!(
            error.message.contains("renameFeild") && error.message.contains("Valid operations"),
            "{}",
            error.message
        );
        assert!(error.message.contains("line 2"), "{}", error.message);

        let wrong_type = "up:\n  - addField: { collection: users, field: [1, 2], value: 1 }\n";
        let error = DeclarativeMigration::parse(&file("1_m.yaml", wrong_type)).unwrap_err();
        assert!(error.message.contains("line 2"), "{}", error.message);

        let bad_value = "up:\n  - deleteMany: { collection: users, filter: [1] }\n";
        let error = DeclarativeMigration::parse(&file("1_m.yaml", bad_value)).unwrap_err();
        assert!(error.message.contains("up[0] (deleteMany): `filter`"), "{}", error.message);

        let unknown_field = "up:\n  - dropCollection: { collection: users, force: true }\n";
        assert!(DeclarativeMigration::parse(&file("1_m.yaml", unknown_field)).is_err());
        assert!(DeclarativeMigration::parse(&file("1_m.yaml", "up: []\n")).is_err());
    }

    #[test]
    fn lint_ignore_names_known_rules() {
        let text = "lintIgnore: [destructive-outside-contract, no-down]\nup:\n  - removeField: { collection: users, field: legacy }\n";
        let parsed = DeclarativeMigration::parse(&file("1_m.yaml", text)).unwrap();
        assert_eq!(parsed.lint_ignore, [Rule::DestructiveOutsideContract, Rule::NoDown]);
        let typo = "up:\n  - removeField: { collection: users, field: legacy }\nlintIgnore: [destructive]\n";
        let error = DeclarativeMigration::parse(&file("1_m.yaml", typo)).unwrap_err();
        assert!(error.message.contains("migrations/1_m.yaml:3: `lintIgnore`: 'destructive'"), "{}", error.message);
    }

    #[test]
    fn the_json_template_parses() {
        let parsed = DeclarativeMigration::parse(&file("1_m.json", &json_template("x"))).unwrap();
        assert!(parsed.down.is_some());
    }

    #[test]
    fn the_template_parses() {
        let text = template("add email index");
        let parsed = DeclarativeMigration::parse(&file("1_m.yaml", &text)).unwrap();
        assert_eq!(parsed.up.len(), 1);
        assert!(parsed.down.is_some());
    }
}
