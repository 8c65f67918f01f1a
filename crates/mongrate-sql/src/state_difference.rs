//! Where two states of a SQL database first differ, in words: a schema object that is gone, new
//! or defined otherwise (`column public.users.email: before text NOT NULL, after absent`), or a
//! row by its primary key and the first column that differs
//! (`public.users id=3 column phone: before '555-1234' (text), after NULL (text)`).
//!
//! A value is its text as the database writes it; on SQLite, where every value has its own type,
//! the type comes first: `integer:3`, `text:abc`, `real:1.5`, `blob:00FF`.

use std::collections::BTreeMap;

use mongrate_core::scratch::{ABSENT, Difference, shorten};

use crate::dialect::Dialect;

/// One cell: the value's text, `None` for NULL.
pub type Value = Option<String>;

/// A table's columns and which of them identify a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    /// `public.users` (PostgreSQL) or `users` (SQLite), as shown.
    pub name: String,
    /// Name and declared type of each column, in the order rows hold their values.
    pub columns: Vec<(String, String)>,
    /// Positions of the primary key's columns; empty when the table has none (every column
    /// then identifies a row).
    pub key: Vec<usize>,
}

impl TableShape {
    /// The positions that identify a row.
    pub fn key_positions(&self) -> Vec<usize> {
        if self.key.is_empty() { (0..self.columns.len()).collect() } else { self.key.clone() }
    }

    /// Whether two rows are the same row (the same key).
    pub fn same_key(&self, a: &[Value], b: &[Value]) -> bool {
        self.key_positions().iter().all(|&i| a.get(i) == b.get(i))
    }

    /// `public.users id=3`, or for a table without a primary key `t row (a=1, b='x')`.
    pub fn row_location(&self, dialect: Dialect, row: &[Value]) -> String {
        let pairs: Vec<String> = self
            .key_positions()
            .iter()
            .map(|&i| {
                let (name, kind) = &self.columns[i];
                format!("{name}={}", literal(dialect, kind, row.get(i).cloned().flatten().as_deref()))
            })
            .collect();
        if self.key.is_empty() {
            format!("{} row ({})", self.name, pairs.join(", "))
        } else {
            format!("{} {}", self.name, pairs.join(" "))
        }
    }

    /// A whole row, `(id=3, phone='555-1234')`.
    pub fn shown_row(&self, dialect: Dialect, row: &[Value]) -> String {
        let pairs: Vec<String> = self
            .columns
            .iter()
            .zip(row)
            .map(|((name, kind), value)| format!("{name}={}", literal(dialect, kind, value.as_deref())))
            .collect();
        shorten(&format!("({})", pairs.join(", ")))
    }
}

/// The first schema object (by its key, `column public.users.email`) that is gone, new or
/// defined otherwise.
pub fn schema_difference(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Option<Difference> {
    let changed = before.iter().find_map(|(key, old)| match after.get(key) {
        None => Some(Difference::new(key, shorten(old), ABSENT)),
        Some(new) if new != old => Some(Difference::new(key, shorten(old), shorten(new))),
        Some(_) => None,
    });
    changed.or_else(|| {
        after
            .iter()
            .find(|(key, _)| !before.contains_key(*key))
            .map(|(key, new)| Difference::new(key, ABSENT, shorten(new)))
    })
}

/// The first column that differs between two versions of the same row.
pub fn row_difference(shape: &TableShape, dialect: Dialect, before: &[Value], after: &[Value]) -> Option<Difference> {
    let position = (0..shape.columns.len()).find(|&i| before.get(i) != after.get(i))?;
    let (name, kind) = &shape.columns[position];
    let cell = |row: &[Value]| shown_value(dialect, kind, row.get(position).cloned().flatten().as_deref());
    Some(Difference::new(format!("{} column {name}", shape.row_location(dialect, before)), cell(before), cell(after)))
}

/// A row that was there before and is gone.
pub fn missing_row(shape: &TableShape, dialect: Dialect, before: &[Value]) -> Difference {
    Difference::new(shape.row_location(dialect, before), shape.shown_row(dialect, before), ABSENT)
}

/// A row that was not there before.
pub fn added_row(shape: &TableShape, dialect: Dialect, after: &[Value]) -> Difference {
    Difference::new(shape.row_location(dialect, after), ABSENT, shape.shown_row(dialect, after))
}

/// A value with its type: `'555-1234' (text)`, `3 (integer)`, `NULL (text)`.
pub fn shown_value(dialect: Dialect, kind: &str, value: Option<&str>) -> String {
    let kind = match (dialect, value) {
        (Dialect::Sqlite, Some(value)) => value.split_once(':').map_or("", |(kind, _)| kind),
        (Dialect::Sqlite, None) => "null",
        (Dialect::Postgres, _) => kind,
    };
    format!("{} ({kind})", literal(dialect, kind, value))
}

/// A value as SQL writes it: numbers and booleans bare, the rest quoted, NULL.
fn literal(dialect: Dialect, kind: &str, value: Option<&str>) -> String {
    let Some(value) = value else { return "NULL".to_owned() };
    let (kind, text) = match dialect {
        Dialect::Sqlite => value.split_once(':').unwrap_or(("text", value)),
        Dialect::Postgres => (kind, value),
    };
    let bare = matches!(kind, "integer" | "real" | "smallint" | "bigint" | "double precision" | "boolean" | "oid")
        || kind.starts_with("numeric");
    let text = shorten(text);
    match kind {
        _ if bare => text,
        "blob" => format!("X'{text}'"),
        _ => format!("'{}'", text.replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> TableShape {
        TableShape {
            name: "public.users".into(),
            columns: vec![("id".into(), "integer".into()), ("phone".into(), "text".into())],
            key: vec![0],
        }
    }

    fn row(values: &[Option<&str>]) -> Vec<Value> {
        values.iter().map(|v| v.map(str::to_owned)).collect()
    }

    #[test]
    fn a_changed_cell_names_the_row_and_column() {
        let before = row(&[Some("3"), Some("555-1234")]);
        let after = row(&[Some("3"), Some("+1555-1234")]);
        let difference = row_difference(&users(), Dialect::Postgres, &before, &after).unwrap();
        assert_eq!(
            difference.to_string(),
            "public.users id=3 column phone: before '555-1234' (text), after '+1555-1234' (text)"
        );
        assert_eq!(row_difference(&users(), Dialect::Postgres, &before, &before), None);
        let nulled = row(&[Some("3"), None]);
        assert_eq!(row_difference(&users(), Dialect::Postgres, &before, &nulled).unwrap().after, "NULL (text)");
    }

    #[test]
    fn sqlite_values_carry_their_own_type() {
        let shape = TableShape {
            name: "t".into(),
            columns: vec![("id".into(), "INTEGER".into()), ("n".into(), "".into())],
            key: vec![0],
        };
        let before = row(&[Some("integer:1"), Some("integer:10")]);
        let after = row(&[Some("integer:1"), Some("text:10")]);
        let difference = row_difference(&shape, Dialect::Sqlite, &before, &after).unwrap();
        assert_eq!(difference.to_string(), "t id=1 column n: before 10 (integer), after '10' (text)");
        let blob = row(&[Some("integer:1"), Some("blob:00FF")]);
        assert_eq!(row_difference(&shape, Dialect::Sqlite, &before, &blob).unwrap().after, "X'00FF' (blob)");
        let null = row(&[Some("integer:1"), None]);
        assert_eq!(row_difference(&shape, Dialect::Sqlite, &before, &null).unwrap().after, "NULL (null)");
    }

    #[test]
    fn rows_without_a_primary_key_are_identified_by_every_column() {
        let shape = TableShape { key: Vec::new(), ..users() };
        let a = row(&[Some("1"), Some("x")]);
        let b = row(&[Some("1"), Some("y")]);
        assert!(!shape.same_key(&a, &b));
        assert!(users().same_key(&a, &b));
        assert_eq!(missing_row(&shape, Dialect::Postgres, &a).location, "public.users row (id=1, phone='x')");
        let added = added_row(&users(), Dialect::Postgres, &b);
        assert_eq!(added.to_string(), "public.users id=1: before absent, after (id=1, phone='y')");
    }

    #[test]
    fn schema_objects_gone_new_or_changed() {
        let map = |items: &[(&str, &str)]| -> BTreeMap<String, String> {
            items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let before = map(&[("column public.users.email", "text NOT NULL"), ("table public.users", "a table")]);
        assert_eq!(schema_difference(&before, &before), None);
        let gone = schema_difference(&before, &map(&[("table public.users", "a table")])).unwrap();
        assert_eq!(gone.to_string(), "column public.users.email: before text NOT NULL, after absent");
        let changed = schema_difference(
            &before,
            &map(&[("column public.users.email", "text"), ("table public.users", "a table")]),
        );
        assert_eq!(changed.unwrap().after, "text");
        let mut more = before.clone();
        more.insert("index public.users_email_idx".into(), "CREATE INDEX …".into());
        assert_eq!(schema_difference(&before, &more).unwrap().before, "absent");
    }

    #[test]
    fn quotes_in_values_are_doubled() {
        assert_eq!(shown_value(Dialect::Postgres, "text", Some("O'Brien")), "'O''Brien' (text)");
        assert_eq!(shown_value(Dialect::Postgres, "numeric(10,2)", Some("1.50")), "1.50 (numeric(10,2))");
        assert_eq!(shown_value(Dialect::Postgres, "boolean", Some("t")), "t (boolean)");
    }
}
