//! Flyway's placeholders: `${name}` in a Flyway project's SQL files, replaced before the file is
//! run, from `[placeholders]` in `mongrate.toml` or `flyway.placeholders.<name>` in the project's
//! `flyway.conf`, and Flyway's built-ins (`${flyway:defaultSchema}`, `${flyway:user}`,
//! `${flyway:database}`, `${flyway:timestamp}`, `${flyway:filename}`, `${flyway:table}`).
//!
//! As in Flyway, a placeholder without a value is an error (naming the file, the line and where
//! to give one), and `flyway.placeholderReplacement=false` leaves the text as written. Checksums
//! are taken of the files as written, so a changed value does not make a file drift.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Flyway's own table, which `${flyway:table}` names unless `flyway.table` says otherwise.
pub const FLYWAY_TABLE: &str = "flyway_schema_history";

/// The placeholders of a Flyway project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholders {
    /// `name` → value, from `mongrate.toml` and `flyway.conf` (`mongrate.toml` wins).
    pub values: BTreeMap<String, String>,
    /// `flyway.placeholderReplacement`: `false` runs files with `${…}` left as written.
    pub replace: bool,
    /// `${flyway:table}`.
    pub table: String,
    /// `flyway.defaultSchema` (else the first of `flyway.schemas`): `${flyway:defaultSchema}`;
    /// `None` takes the connection's schema.
    pub default_schema: Option<String>,
}

impl Default for Placeholders {
    fn default() -> Self {
        Placeholders { values: BTreeMap::new(), replace: true, table: FLYWAY_TABLE.to_owned(), default_schema: None }
    }
}

/// What the database says for the built-ins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    pub user: String,
    pub database: String,
    pub schema: String,
}

/// A placeholder without a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub line: usize,
    pub name: String,
}

impl Placeholders {
    /// The value of `name` for the file `file_name`, `now` being `${flyway:timestamp}`.
    fn value(&self, name: &str, file_name: &str, connection: &Connection, now: &str) -> Option<String> {
        if let Some(builtin) = name.strip_prefix("flyway:") {
            return match builtin {
                "defaultSchema" => Some(self.default_schema.clone().unwrap_or_else(|| connection.schema.clone())),
                "user" => Some(connection.user.clone()),
                "database" => Some(connection.database.clone()),
                "timestamp" => Some(now.to_owned()),
                "filename" => Some(file_name.to_owned()),
                "table" => Some(self.table.clone()),
                _ => None,
            };
        }
        // Flyway reads placeholder names without regard to case.
        self.values
            .get(name)
            .or_else(|| self.values.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v))
            .cloned()
    }

    /// `text` with every `${name}` replaced; the first one without a value is the error.
    pub fn apply(&self, text: &str, file_name: &str, connection: &Connection, now: &str) -> Result<String, Missing> {
        if !self.replace || !text.contains("${") {
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let name = &after[..end];
            match self.value(name, file_name, connection, now) {
                Some(value) => out.push_str(&value),
                None => {
                    let line = text[..text.len() - rest.len() + start].matches('\n').count() + 1;
                    return Err(Missing { line, name: name.to_owned() });
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// What a `flyway.conf` says that mongrate uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlywayConf {
    pub placeholders: BTreeMap<String, String>,
    pub replace: Option<bool>,
    pub table: Option<String>,
    pub default_schema: Option<String>,
}

/// Reads a `flyway.conf` (Java properties: `key=value` or `key: value`, `#` and `!` comments).
pub fn read_flyway_conf(text: &str) -> Result<FlywayConf, String> {
    let mut conf = FlywayConf::default();
    let mut schemas = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(split) = line.find(['=', ':']) else { continue };
        let (key, value) = (line[..split].trim(), line[split + 1..].trim().to_owned());
        if let Some(name) = key.strip_prefix("flyway.placeholders.") {
            conf.placeholders.insert(name.to_owned(), value);
            continue;
        }
        match key {
            "flyway.placeholderReplacement" => {
                conf.replace = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(format!(
                            "line {}: flyway.placeholderReplacement={other}: write true or false",
                            index + 1
                        ));
                    }
                })
            }
            "flyway.table" => conf.table = Some(value),
            "flyway.defaultSchema" => conf.default_schema = Some(value),
            "flyway.schemas" => schemas = value.split(',').next().map(|s| s.trim().to_owned()),
            _ => {}
        }
    }
    conf.default_schema = conf.default_schema.or(schemas).filter(|s| !s.is_empty());
    Ok(conf)
}

/// Where a project keeps its `flyway.conf`: beside `mongrate.toml` (or in the working directory),
/// or in `conf/` there, as Flyway looks for it.
pub fn find_flyway_conf(base_dir: &Path) -> Option<PathBuf> {
    [base_dir.join("flyway.conf"), base_dir.join("conf").join("flyway.conf")].into_iter().find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> Connection {
        Connection { user: "app".into(), database: "shop".into(), schema: "public".into() }
    }

    fn placeholders(values: &[(&str, &str)]) -> Placeholders {
        Placeholders {
            values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Placeholders::default()
        }
    }

    #[test]
    fn values_and_builtins_are_replaced() {
        let text = "CREATE TABLE ${prefix}users (id int);\n\
                    -- ${flyway:filename} by ${flyway:user} in ${flyway:database}.${flyway:defaultSchema} at ${flyway:timestamp}\n\
                    SELECT * FROM ${flyway:table};\n";
        let done =
            placeholders(&[("Prefix", "app_")]).apply(text, "V1__x.sql", &connection(), "2026-12-02 10:00:00").unwrap();
        assert_eq!(
            done,
            "CREATE TABLE app_users (id int);\n-- V1__x.sql by app in shop.public at 2026-12-02 10:00:00\nSELECT * FROM flyway_schema_history;\n"
        );
        // Dollar quotes and an unclosed `${` are left alone.
        let body = "DO $$ BEGIN PERFORM 1; END $$;\nSELECT '${';";
        assert_eq!(placeholders(&[]).apply(body, "V1__x.sql", &connection(), "").unwrap(), body);
    }

    #[test]
    fn a_placeholder_without_a_value_is_named_with_its_line() {
        let error =
            placeholders(&[]).apply("SELECT 1;\nSELECT ${missing};\n", "V1__x.sql", &connection(), "").unwrap_err();
        assert_eq!(error, Missing { line: 2, name: "missing".into() });
        let error = placeholders(&[]).apply("${flyway:nope}", "V1__x.sql", &connection(), "").unwrap_err();
        assert_eq!(error.name, "flyway:nope");
        let off = Placeholders { replace: false, ..Placeholders::default() };
        assert_eq!(off.apply("SELECT '${missing}';", "V1__x.sql", &connection(), "").unwrap(), "SELECT '${missing}';");
    }

    #[test]
    fn flyway_conf_gives_placeholders_and_settings() {
        let conf = read_flyway_conf(
            "# project\nflyway.url=jdbc:postgresql://localhost/shop\nflyway.placeholders.prefix=app_\n\
             flyway.placeholders.owner : admin\n! other comment\nflyway.schemas=sales, public\nflyway.table=schema_history\n",
        )
        .unwrap();
        assert_eq!(conf.placeholders.get("prefix").map(String::as_str), Some("app_"));
        assert_eq!(conf.placeholders.get("owner").map(String::as_str), Some("admin"));
        assert_eq!(conf.default_schema.as_deref(), Some("sales"));
        assert_eq!(conf.table.as_deref(), Some("schema_history"));
        let error = read_flyway_conf("flyway.placeholderReplacement=maybe\n").unwrap_err();
        assert!(error.contains("line 1"), "{error}");
        assert_eq!(read_flyway_conf("flyway.placeholderReplacement=false").unwrap().replace, Some(false));
    }
}
