//! Values from YAML/JSON files to BSON: extended JSON (`{"$oid": …}`, `{"$date": …}`) is accepted
//! wherever a value goes.

use bson::{Bson, Document};
use serde_json::Value;

use crate::errors::describe_bson;

/// A value, with extended JSON read as the BSON types it names.
pub fn to_bson(value: &Value) -> Result<Bson, String> {
    Bson::try_from(value.clone()).map_err(|e| format!("not a valid value (extended JSON): {}", describe_bson(&e)))
}

/// A value that must be a document (a filter, an update, keys, options).
pub fn to_document(value: &Value) -> Result<Document, String> {
    match to_bson(value)? {
        Bson::Document(document) => Ok(document),
        other => Err(format!("expected a document ({{ … }}), found {}", type_name(&other))),
    }
}

/// An optional filter; absent means every document.
pub fn to_filter(value: Option<&Value>) -> Result<Document, String> {
    value.map(to_document).transpose().map(Option::unwrap_or_default)
}

fn type_name(value: &Bson) -> &'static str {
    match value {
        Bson::Array(_) => "a list",
        Bson::String(_) => "a string",
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => "a number",
        Bson::Boolean(_) => "a boolean",
        Bson::Null => "null",
        _ => "another value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extended_json_becomes_bson_types() {
        let document = to_document(&json!({
            "_id": { "$oid": "507f1f77bcf86cd799439011" },
            "at": { "$date": "2026-01-15T10:00:00Z" },
            "n": 3,
        }))
        .unwrap();
        assert!(matches!(document.get("_id"), Some(Bson::ObjectId(_))));
        assert!(matches!(document.get("at"), Some(Bson::DateTime(_))));
        assert!(to_document(&json!([1])).unwrap_err().contains("a list"));
        assert!(to_document(&json!({ "$oid": "nope" })).is_err());
        assert_eq!(to_filter(None).unwrap(), Document::new());
    }
}
