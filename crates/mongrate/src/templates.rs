//! The example migrations `mongrate create --template NAME` starts from: each a working,
//! idempotent MongoDB migration with a down, in JavaScript and (where the declarative format can
//! say it) YAML. The texts live in `templates/` and are embedded in the binary.

use crate::new_migration::FileFormat;
use mongrate_core::{Error, Result};

/// One template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// What `--template` takes, e.g. `add-field`.
    pub name: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    js: &'static str,
    yaml: Option<&'static str>,
}

/// Every template, in the order `--list-templates` shows them.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "add-field",
        summary: "give every document a new field with a default value",
        js: include_str!("templates/add-field.js"),
        yaml: Some(include_str!("templates/add-field.yaml")),
    },
    Template {
        name: "remove-field",
        summary: "remove a field; the JavaScript form keeps the values aside so down restores them",
        js: include_str!("templates/remove-field.js"),
        yaml: Some(include_str!("templates/remove-field.yaml")),
    },
    Template {
        name: "rename-field",
        summary: "rename a field in every document that has it",
        js: include_str!("templates/rename-field.js"),
        yaml: Some(include_str!("templates/rename-field.yaml")),
    },
    Template {
        name: "transform",
        summary: "rewrite documents in JavaScript, a batch at a time, resumable (eachBatch)",
        js: include_str!("templates/transform.js"),
        yaml: None,
    },
    Template {
        name: "schema-change",
        summary: "move documents from schema_version 1 to 2: rename, add, bump the version",
        js: include_str!("templates/schema-change.js"),
        yaml: Some(include_str!("templates/schema-change.yaml")),
    },
    Template {
        name: "seed-data",
        summary: "insert fixed documents (by _id), again harmlessly; down deletes them",
        js: include_str!("templates/seed-data.js"),
        yaml: Some(include_str!("templates/seed-data.yaml")),
    },
    Template {
        name: "index",
        summary: "create an index (skipped when it exists); down drops it",
        js: include_str!("templates/index.js"),
        yaml: Some(include_str!("templates/index.yaml")),
    },
    Template {
        name: "backfill",
        summary: "fill a new field from existing ones, a batch at a time, resumable",
        js: include_str!("templates/backfill.js"),
        yaml: Some(include_str!("templates/backfill.yaml")),
    },
];

impl Template {
    /// The formats it comes in: js, and yaml where the declarative format can say it.
    pub fn formats(&self) -> Vec<FileFormat> {
        let mut formats = Vec::new();
        if self.yaml.is_some() {
            formats.push(FileFormat::Yaml);
        }
        formats.push(FileFormat::Js);
        formats
    }

    /// [`Template::formats`] as written after `--format`.
    pub fn format_names(&self) -> Vec<&'static str> {
        self.formats().into_iter().map(format_name).collect()
    }

    /// The file's extension and text for a migration called `name`; `None` picks YAML where
    /// there is a YAML form, else JavaScript.
    pub fn render(&self, format: Option<FileFormat>, name: &str) -> Result<(&'static str, String)> {
        let (extension, text) = match (format, self.yaml) {
            (None | Some(FileFormat::Yaml), Some(yaml)) => ("yaml", yaml),
            (None | Some(FileFormat::Js), _) => ("js", self.js),
            (Some(FileFormat::Yaml), None) => {
                return Err(Error::config(format!(
                    "the {} template has no YAML form (a declarative file cannot run code on each document); \
                     use --format js",
                    self.name
                )));
            }
            (Some(other), _) => {
                return Err(Error::config(format!(
                    "templates are MongoDB migrations in js or yaml, not {}; use --format {}",
                    format_name(other),
                    self.format_names().join(" or ")
                )));
            }
        };
        // One line for the heading comment; a JSON string is a valid YAML and JavaScript string.
        let title = name.replace(['\n', '\r'], " ");
        let quoted = serde_json::to_string(&title).unwrap_or_else(|_| "\"\"".to_owned());
        Ok((extension, text.replace("{{name}}", &title).replace("{{description}}", &quoted)))
    }
}

fn format_name(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Sql => "sql",
        FileFormat::Yaml => "yaml",
        FileFormat::Json => "json",
        FileFormat::Js => "js",
        FileFormat::Ts => "ts",
    }
}

/// The template called `name`, or an error (exit 2) listing the names there are.
pub fn find(name: &str) -> Result<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        Error::config(format!(
            "there is no template called {name:?}; the templates are: {}",
            TEMPLATES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_with_the_name_and_no_placeholder_left() {
        for template in TEMPLATES {
            for format in template.formats() {
                let (_, text) = template.render(Some(format), "split \"names\"\nnow").unwrap();
                assert!(!text.contains("{{"), "{} {format:?} keeps a placeholder", template.name);
                assert!(text.contains("split \"names\" now"), "{} {format:?}: no heading", template.name);
                assert!(text.contains(r#""split \"names\" now""#), "{} {format:?}: no description", template.name);
            }
        }
    }

    #[test]
    fn the_default_is_yaml_where_there_is_one_and_other_formats_are_refused_in_words() {
        assert_eq!(find("index").unwrap().render(None, "x").unwrap().0, "yaml");
        assert_eq!(find("transform").unwrap().render(None, "x").unwrap().0, "js");
        let error = find("transform").unwrap().render(Some(FileFormat::Yaml), "x").unwrap_err();
        assert!(error.message.contains("no YAML form"), "{}", error.message);
        let error = find("index").unwrap().render(Some(FileFormat::Sql), "x").unwrap_err();
        assert!(error.message.contains("use --format yaml or js"), "{}", error.message);
        let error = find("nope").unwrap_err();
        assert!(error.message.contains("add-field") && error.message.contains("backfill"), "{}", error.message);
        assert_eq!(error.kind.exit_code(), 2);
    }

    #[test]
    fn every_yaml_template_parses_and_has_a_down() {
        for template in TEMPLATES.iter().filter(|t| t.yaml.is_some()) {
            let (_, content) = template.render(Some(FileFormat::Yaml), "example: a # name").unwrap();
            let file = mongrate_core::MigrationFile {
                version: mongrate_core::Version::number(1),
                file_name: "1_example.yaml".into(),
                slug: "example".into(),
                extension: "yaml".into(),
                path: "migrations/1_example.yaml".into(),
                content,
                checksum: String::new(),
                layout: Default::default(),
                down: None,
                settings: None,
            };
            let parsed = mongrate_mongo::declarative::DeclarativeMigration::parse(&file)
                .unwrap_or_else(|e| panic!("{}: {}", template.name, e.message));
            assert!(parsed.down.is_some(), "{} has no down", template.name);
            assert_eq!(parsed.description.as_deref(), Some("example: a # name"), "{}", template.name);
        }
    }
}
