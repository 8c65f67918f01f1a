//! Where two BSON values first differ, types included: `1` (int) and `1` (long) differ, as do
//! `1` and `1.0`, and `"1"` and `1`. Fields are matched by name, not by position: `$rename`
//! moves a field to the end of its document, and a renameField there and back again leaves the
//! same document.

use bson::{Bson, Document};
use mongrate_core::scratch::{ABSENT, shorten};

/// One field that differs: its dotted path (`phone`, `address.city`, `tags.2`) and its values,
/// `None` where it is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDifference {
    pub path: String,
    pub before: Option<Bson>,
    pub after: Option<Bson>,
}

/// The first field of `before` (in its order) that `after` lacks or holds another value or type
/// of, else the first field only `after` has; `None` when they are the same.
pub fn first_field_difference(before: &Document, after: &Document) -> Option<FieldDifference> {
    document_difference("", before, after)
}

fn document_difference(prefix: &str, before: &Document, after: &Document) -> Option<FieldDifference> {
    for (key, old) in before {
        let path = join(prefix, key);
        match after.get(key) {
            None => return Some(FieldDifference { path, before: Some(old.clone()), after: None }),
            Some(new) => {
                if let Some(difference) = value_difference(&path, old, new) {
                    return Some(difference);
                }
            }
        }
    }
    after.iter().find(|(key, _)| !before.contains_key(key.as_str())).map(|(key, new)| FieldDifference {
        path: join(prefix, key),
        before: None,
        after: Some(new.clone()),
    })
}

fn value_difference(path: &str, before: &Bson, after: &Bson) -> Option<FieldDifference> {
    match (before, after) {
        (Bson::Document(old), Bson::Document(new)) => document_difference(path, old, new),
        (Bson::Array(old), Bson::Array(new)) => {
            for index in 0..old.len().max(new.len()) {
                let at = join(path, &index.to_string());
                match (old.get(index), new.get(index)) {
                    (Some(o), Some(n)) => {
                        if let Some(difference) = value_difference(&at, o, n) {
                            return Some(difference);
                        }
                    }
                    (o, n) => return Some(FieldDifference { path: at, before: o.cloned(), after: n.cloned() }),
                }
            }
            None
        }
        (old, new) if same_scalar(old, new) => None,
        (old, new) => {
            Some(FieldDifference { path: path.to_owned(), before: Some(old.clone()), after: Some(new.clone()) })
        }
    }
}

/// Equal value and type. Doubles compare by their bits, so that NaN equals itself and `-0.0`
/// differs from `0.0` (a revert must give back the same bytes).
fn same_scalar(before: &Bson, after: &Bson) -> bool {
    match (before, after) {
        (Bson::Double(a), Bson::Double(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
        (a, b) => a.element_type() == b.element_type() && a == b,
    }
}

/// Whether two documents are the same, fields matched by name and values by type.
pub fn same_document(before: &Document, after: &Document) -> bool {
    first_field_difference(before, after).is_none()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

/// MongoDB's name of a value's type, as `$type` takes it.
pub fn type_name(value: &Bson) -> &'static str {
    match value {
        Bson::Double(_) => "double",
        Bson::String(_) => "string",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binData",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "objectId",
        Bson::Boolean(_) => "bool",
        Bson::DateTime(_) => "date",
        Bson::Null => "null",
        Bson::RegularExpression(_) => "regex",
        Bson::DbPointer(_) => "dbPointer",
        Bson::JavaScriptCode(_) => "javascript",
        Bson::Symbol(_) => "symbol",
        Bson::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        Bson::Int32(_) => "int",
        Bson::Timestamp(_) => "timestamp",
        Bson::Int64(_) => "long",
        Bson::Decimal128(_) => "decimal",
        Bson::MinKey => "minKey",
        Bson::MaxKey => "maxKey",
    }
}

/// A value as the shell writes it, cut to a readable length: `"555-1234"`, `42`,
/// `ObjectId("…")`, `{"city": "Nairobi"}`.
pub fn shown(value: &Bson) -> String {
    let text = match value {
        Bson::String(text) => serde_json::Value::String(text.clone()).to_string(),
        Bson::ObjectId(id) => format!("ObjectId(\"{id}\")"),
        Bson::Double(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.1}"),
        Bson::Double(n) => n.to_string(),
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => n.to_string(),
        Bson::Boolean(b) => b.to_string(),
        Bson::Null => "null".to_owned(),
        other => other.clone().into_relaxed_extjson().to_string(),
    };
    shorten(&text)
}

/// A value and its type, `"555-1234" (string)`; "absent" for none.
pub fn shown_with_type(value: Option<&Bson>) -> String {
    match value {
        Some(value) => format!("{} ({})", shown(value), type_name(value)),
        None => ABSENT.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use bson::{doc, oid::ObjectId};

    use super::*;

    fn difference(before: Document, after: Document) -> Option<(String, String, String)> {
        first_field_difference(&before, &after)
            .map(|d| (d.path, shown_with_type(d.before.as_ref()), shown_with_type(d.after.as_ref())))
    }

    #[test]
    fn the_same_fields_in_another_order_are_the_same_document() {
        assert_eq!(
            difference(
                doc! { "_id": 1, "a": 1, "b": { "x": 1, "y": 2 } },
                doc! { "b": { "y": 2, "x": 1 }, "a": 1, "_id": 1 }
            ),
            None
        );
    }

    #[test]
    fn a_changed_value_is_named_with_its_path_and_types() {
        assert_eq!(
            difference(doc! { "_id": 1, "phone": "555-1234" }, doc! { "_id": 1, "phone": "+1555-1234" }),
            Some(("phone".into(), "\"555-1234\" (string)".into(), "\"+1555-1234\" (string)".into()))
        );
        assert_eq!(
            difference(doc! { "a": { "b": [1, 2, { "c": true }] } }, doc! { "a": { "b": [1, 2, { "c": false }] } }),
            Some(("a.b.2.c".into(), "true (bool)".into(), "false (bool)".into()))
        );
    }

    #[test]
    fn the_same_number_of_another_type_differs() {
        assert_eq!(
            difference(doc! { "n": 1_i32 }, doc! { "n": 1_i64 }),
            Some(("n".into(), "1 (int)".into(), "1 (long)".into()))
        );
        assert_eq!(
            difference(doc! { "n": 1_i32 }, doc! { "n": 1.0 }),
            Some(("n".into(), "1 (int)".into(), "1.0 (double)".into()))
        );
        assert_eq!(
            difference(doc! { "n": "1" }, doc! { "n": 1 }),
            Some(("n".into(), "\"1\" (string)".into(), "1 (int)".into()))
        );
    }

    #[test]
    fn missing_and_new_fields_are_absent_on_one_side() {
        assert_eq!(
            difference(doc! { "_id": 1, "phone": "555" }, doc! { "_id": 1 }),
            Some(("phone".into(), "\"555\" (string)".into(), "absent".into()))
        );
        assert_eq!(
            difference(doc! { "_id": 1 }, doc! { "_id": 1, "phone": { "country": "+254" } }),
            Some(("phone".into(), "absent".into(), "{\"country\":\"+254\"} (object)".into()))
        );
        assert_eq!(
            difference(doc! { "tags": ["a"] }, doc! { "tags": ["a", "b"] }),
            Some(("tags.1".into(), "absent".into(), "\"b\" (string)".into()))
        );
        // A field that became null is not absent.
        assert_eq!(difference(doc! { "x": null }, doc! {}), Some(("x".into(), "null (null)".into(), "absent".into())));
    }

    #[test]
    fn doubles_compare_by_their_bits() {
        assert_eq!(difference(doc! { "n": f64::NAN }, doc! { "n": f64::NAN }), None);
        assert!(difference(doc! { "n": 0.0 }, doc! { "n": -0.0 }).is_some());
        assert!(same_document(&doc! { "n": 0.5 }, &doc! { "n": 0.5 }));
    }

    #[test]
    fn values_are_shown_as_the_shell_writes_them() {
        let id = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        assert_eq!(shown(&Bson::ObjectId(id)), "ObjectId(\"65a1b2c3d4e5f60718293a4b\")");
        assert_eq!(shown(&Bson::String("say \"hi\"".into())), "\"say \\\"hi\\\"\"");
        assert_eq!(
            shown_with_type(Some(&Bson::DateTime(bson::DateTime::from_millis(0)))),
            "{\"$date\":\"1970-01-01T00:00:00Z\"} (date)"
        );
        let long = Bson::String("x".repeat(500));
        assert!(shown(&long).chars().count() <= mongrate_core::scratch::LONGEST_SHOWN + 1);
    }
}
