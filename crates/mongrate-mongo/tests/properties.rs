//! Property tests of the MongoDB parsers: declarative migrations in YAML and JSON, the extended
//! JSON their values are written in, and MongoDB URLs.
//!
//! Each is fed random and mutated input and must not panic: it gives a value, or an error that
//! names the input (the file, with the line or the operation and field).

use bson::Bson;
use mongrate_core::{ErrorKind, MigrationFile, Version};
use mongrate_mongo::bson_value::{to_bson, to_document};
use mongrate_mongo::connection::{is_mongodb_url, parse_url, redact};
use mongrate_mongo::declarative::DeclarativeMigration;
use mongrate_mongo::operation::Operation;
use mongrate_testkit::{mutated, noise};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A real migration using most operations, with extended JSON values and a written `down`.
const YAML: &str = r#"# Users: unique emails, a preferences object, archived inactive accounts.
description: Users get a unique email index and preferences
author: ops
transaction: true
up:
  - createCollection: { collection: audit, options: { capped: true, size: 1048576 } }
  - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true, name: email_1 } }
  - renameField: { collection: users, from: phone, to: phoneNumber }
  - addField: { collection: users, field: preferences, value: { theme: light }, filter: { schema_version: 1 } }
  - updateMany:
      collection: users
      filter: { lastLogin: { $lt: { $date: "2024-01-01T00:00:00Z" } } }
      update: [ { $set: { inactive: true } } ]
  - insertMany:
      collection: roles
      documents:
        - { _id: { $oid: "507f1f77bcf86cd799439011" }, name: admin, since: { $date: { $numberLong: "1700000000000" } } }
        - { _id: { $oid: "507f1f77bcf86cd799439012" }, name: user, weight: { $numberDecimal: "1.5" } }
  - archive: { collection: users, to: users_archive, filter: { inactive: true } }
  - removeDuplicates: { collection: users, keys: [email], keep: last }
  - setSchemaVersion: { collection: users, from: 1, to: { $numberLong: "2" } }
  - setValidator: { collection: users, validator: { $jsonSchema: { required: [email] } }, validationLevel: moderate }
  - command: { command: { collMod: users }, database: admin }
down:
  - dropIndex: { collection: users, name: email_1 }
  - dropCollection: { collection: audit }
"#;

/// The same kind of file as JSON.
const JSON: &str = r#"{
  "description": "Roles",
  "up": [
    { "createIndex": { "collection": "roles", "keys": { "name": 1, "since": -1 } } },
    { "insertMany": { "collection": "roles", "documents": [
      { "_id": { "$oid": "507f1f77bcf86cd799439011" }, "at": { "$date": "2026-01-01T00:00:00Z" },
        "n": { "$numberLong": "-9223372036854775808" }, "bin": { "$binary": { "base64": "AQID", "subType": "00" } } }
    ] } },
    { "deleteMany": { "collection": "roles", "filter": { "name": { "$regex": "^x", "$options": "i" } } } }
  ]
}
"#;

#[rustfmt::skip]
const YAML_TOKENS: &[&str] = &[
    "up:", "down:", "\n  - ", "- ", ": ", "{ ", " }", "[", "]", ",", "collection: ", "&a ", "*a", "!!str ", "<<: ",
    "'", "\"", "#", "$oid", "$date", "$numberLong", "{ $numberLong: \"9223372036854775808\" }", "\n", "  ", "\t",
    "createIndex", "renameFeild", "~", "null", "1e999", "-0",
];

#[rustfmt::skip]
const JSON_TOKENS: &[&str] = &[
    "{", "}", "[", "]", ",", ":", "\"", "\"$oid\"", "\"$date\"", "\"$numberLong\"", "\"$binary\"", "\"$uuid\"",
    "\"up\"", "\"down\"", "null", "true", "1e999", "-", "\\u0000", "\\ud800",
];

/// The keys of extended JSON, and a few that only look like them.
#[rustfmt::skip]
const EXTENDED_KEYS: &[&str] = &[
    "$oid", "$date", "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal", "$binary", "base64", "subType",
    "$uuid", "$regularExpression", "pattern", "options", "$regex", "$options", "$timestamp", "t", "i", "$symbol",
    "$code", "$scope", "$minKey", "$maxKey", "$undefined", "$dbPointer", "$ref", "$id", "$type", "$set", "_id",
];

/// Strings extended JSON reads as something: dates, ids, numbers at and beyond their limits.
#[rustfmt::skip]
const EXTENDED_STRINGS: &[&str] = &[
    "2026-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00.001Z",
    "507f1f77bcf86cd799439011", "507f1f77bcf86cd79943901", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "2147483648", "1e400", "NaN", "-Infinity", "Infinity", "AQID", "=", "00", "80", "ff",
    "0123456789abcdef0123456789abcdef", "01234567-89ab-cdef-0123-456789abcdef", "", "ix", "(",
];

fn file(name: &str, content: String) -> MigrationFile {
    MigrationFile {
        version: Version::number(3),
        file_name: name.into(),
        slug: "users".into(),
        extension: name.rsplit_once('.').map(|(_, e)| e.to_owned()).unwrap_or_default(),
        path: format!("migrations/{name}").into(),
        content,
        checksum: String::new(),
        layout: Default::default(),
        down: None,
        settings: None,
    }
}

/// Any JSON value, built from extended JSON's keys and strings as often as from noise.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        proptest::sample::select(EXTENDED_STRINGS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    let key = prop_oneof![3 => proptest::sample::select(EXTENDED_KEYS).prop_map(str::to_owned), 1 => "[a-z$._]{0,6}"];
    leaf.prop_recursive(4, 48, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A parsed migration is whole: operations, a down that is written or derived, its inverses.
fn check_parsed(parsed: &DeclarativeMigration, file: &MigrationFile) -> Result<(), TestCaseError> {
    prop_assert!(!parsed.up.is_empty());
    let meta = parsed.meta(file);
    prop_assert_eq!(meta.reversible, parsed.down.is_some());
    for operation in parsed.up.iter().chain(parsed.down.iter().flatten()) {
        let _ = (operation.inverse(), operation.is_ddl(), operation.name());
    }
    if parsed.derived_down {
        let inverses: Option<Vec<Operation>> = parsed.up.iter().rev().map(Operation::inverse).collect();
        prop_assert_eq!(&inverses, &parsed.down);
    }
    Ok(())
}

/// Parses `content` as the file `name`: a parsed migration must be whole, a refusal must name
/// the file. Returns the refusal's message.
fn parse_checked(name: &str, content: String) -> Result<Option<String>, TestCaseError> {
    let file = file(name, content);
    match DeclarativeMigration::parse(&file) {
        Ok(parsed) => {
            check_parsed(&parsed, &file)?;
            Ok(None)
        }
        Err(error) => {
            prop_assert_eq!(error.kind, ErrorKind::Validation);
            prop_assert!(error.message.starts_with(&format!("migrations/{name}: ")), "{}", error.message);
            Ok(Some(error.message))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn a_yaml_migration_parses_or_is_refused_by_file(
        content in prop_oneof![4 => mutated(YAML, YAML_TOKENS), 1 => noise(YAML_TOKENS)],
    ) {
        parse_checked("003_users.yaml", content)?;
    }

    #[test]
    fn a_json_migration_parses_or_is_refused_by_file(
        content in prop_oneof![4 => mutated(JSON, JSON_TOKENS), 1 => noise(JSON_TOKENS)],
    ) {
        parse_checked("003_users.json", content)?;
    }

    #[test]
    fn an_extended_json_value_is_bson_or_refused_by_operation_and_field(value in json_value()) {
        let _ = (to_bson(&value), to_document(&value));
        let document = serde_json::json!({ "up": [{ "insertMany": { "collection": "t", "documents": [value] } }] });
        if let Some(message) = parse_checked("003_users.json", document.to_string())? {
            prop_assert!(message.contains("up[0] (insertMany): `documents`"), "{message}");
        }
    }

    #[test]
    fn bson_written_as_extended_json_reads_back(value in json_value()) {
        // Whatever reads as BSON is written as canonical extended JSON and reads as the same BSON.
        if let Ok(bson) = to_bson(&value) {
            let written = bson.clone().into_canonical_extjson();
            let again = to_bson(&written);
            prop_assert!(again.is_ok(), "{written} does not read back: {again:?}");
            let again = again.unwrap_or(Bson::Null);
            // NaN is not equal to itself; its canonical form is compared instead.
            prop_assert_eq!(again.into_canonical_extjson(), written);
        }
    }

    #[test]
    fn a_mongodb_url_is_read_or_refused_without_its_password(
        url in prop_oneof![
            mutated("mongodb://app:secret@db1:27017,db2:27018/app?replicaSet=rs0&authSource=admin", &[
                "@", ":", "/", "?", "&", "=", ",", "[", "]", "::1", "%", "%40", "27017", "65536", "0", "tls=true",
                "authMechanism=SCRAM-SHA-256", "directConnection=true", "mongodb://", "mongodb+srv://",
            ]),
            noise(&["mongodb://", "@", ":", "/", "?", "=", "&", ","]).prop_map(|tail| format!("mongodb://{tail}")),
        ],
    ) {
        let shown = redact(&url);
        prop_assert!(!shown.contains(":secret@"), "{shown}");
        // Only plain mongodb:// URLs: an SRV URL would look its hosts up in the DNS.
        if is_mongodb_url(&url) && !url.starts_with("mongodb+srv://") {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            if let Err(error) = runtime.block_on(parse_url(&url)) {
                prop_assert_eq!(error.kind, ErrorKind::Config);
                prop_assert!(error.message.contains(&shown), "{} names {shown}", error.message);
                // Unless a mutation copied it elsewhere, the password is not quoted by the driver either.
                let once = url.matches("secret").count() == 1;
                prop_assert!(!once || shown.contains("secret") || !error.message.contains("secret"), "{}", error.message);
            }
        }
    }
}

#[test]
fn the_examples_parse_as_written() {
    let yaml = DeclarativeMigration::parse(&file("003_users.yaml", YAML.to_owned())).expect("the YAML example parses");
    assert_eq!(yaml.up.len(), 11);
    assert!(!yaml.derived_down);
    let json = DeclarativeMigration::parse(&file("003_users.json", JSON.to_owned())).expect("the JSON example parses");
    assert_eq!(json.up.len(), 3);
    assert!(json.down.is_none(), "deleteMany has no inverse");
}
