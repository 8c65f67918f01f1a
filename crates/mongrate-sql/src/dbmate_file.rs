//! dbmate's migration files: one `.sql` file with a `-- migrate:up` and a `-- migrate:down`
//! section, each of which may say `transaction:false` to run without a transaction.
//!
//! As in dbmate: both sections are required, up comes first, nothing but comments stands before
//! it, and an empty down section is a down that does nothing and succeeds.

use mongrate_core::{Error, MigrationFile, Result};

use crate::sql_file::SqlMigration;
use crate::statement_split::split_statements;
use crate::transaction_control::find_transaction_control;

/// One section: the line after its marker, its text, and whether it runs in a transaction.
struct Section {
    first_line: usize,
    text: String,
    transactional: bool,
}

/// Parses a dbmate file; errors name the file and line.
pub fn parse(file: &MigrationFile) -> Result<SqlMigration> {
    let name = file.path.display();
    let mut up: Option<Section> = None;
    let mut down: Option<Section> = None;
    for (index, line) in file.content.lines().enumerate() {
        let number = index + 1;
        if let Some((which, options)) = marker(line) {
            let transactional = transaction_option(options)
                .map_err(|why| Error::validation(format!("{name}:{number}: `-- migrate:{which}`: {why}")))?;
            let slot = match which {
                "up" if down.is_some() => {
                    return Err(Error::validation(format!(
                        "{name}:{number}: `-- migrate:up` after `-- migrate:down`; dbmate requires up first"
                    )));
                }
                "up" => &mut up,
                _ => &mut down,
            };
            if slot.is_some() {
                return Err(Error::validation(format!("{name}:{number}: a second `-- migrate:{which}` section")));
            }
            *slot = Some(Section { first_line: number + 1, text: String::new(), transactional });
            continue;
        }
        match (&mut down, &mut up) {
            (Some(section), _) | (None, Some(section)) => {
                section.text.push_str(line);
                section.text.push('\n');
            }
            (None, None) => {
                let trimmed = line.trim();
                if !trimmed.is_empty() && !trimmed.starts_with("--") {
                    return Err(Error::validation(format!(
                        "{name}:{number}: SQL before the `-- migrate:up` line; dbmate runs only what is under `-- migrate:up` and `-- migrate:down`"
                    )));
                }
            }
        }
    }
    let Some(up) = up else {
        return Err(Error::validation(format!(
            "{name}: no `-- migrate:up` line; a dbmate migration starts its statements with one"
        )));
    };
    let Some(down) = down else {
        return Err(Error::validation(format!(
            "{name}: no `-- migrate:down` line; dbmate requires a down section (it may be empty)"
        )));
    };
    let [up, down] = [up, down].map(|section| {
        let statements = split_statements(&section.text, section.first_line);
        // A section that begins or ends a transaction itself runs as written.
        let transactional = section.transactional && find_transaction_control(&statements).is_none();
        (statements, transactional)
    });
    Ok(SqlMigration {
        up: up.0,
        down: Some(down.0),
        up_transactional: up.1,
        down_transactional: down.1,
        description: None,
        backup: Vec::new(),
        phase: Default::default(),
        repeatable: false,
        lint_ignores: Default::default(),
    })
}

/// `-- migrate:up transaction:false` → (`up`, `transaction:false`).
fn marker(line: &str) -> Option<(&'static str, &str)> {
    let rest = line.strip_prefix("--")?.trim_start().strip_prefix("migrate:")?;
    let (which, options) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    match which {
        "up" => Some(("up", options.trim())),
        "down" => Some(("down", options.trim())),
        _ => None,
    }
}

/// Whether a section's options leave its transaction on.
fn transaction_option(options: &str) -> std::result::Result<bool, String> {
    let mut transactional = true;
    for option in options.split_whitespace() {
        match option.split_once(':') {
            Some(("transaction", "false")) => transactional = false,
            Some(("transaction", "true")) => transactional = true,
            _ => return Err(format!("unknown option `{option}`; dbmate knows transaction:false")),
        }
    }
    Ok(transactional)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongrate_core::plan::Direction;
    use mongrate_core::{Layout, Version};

    fn file(content: &str) -> MigrationFile {
        MigrationFile {
            version: Version::number(20240101000000),
            file_name: "20240101000000_users.sql".into(),
            slug: "users".into(),
            extension: "sql".into(),
            path: "db/migrations/20240101000000_users.sql".into(),
            content: content.into(),
            checksum: String::new(),
            layout: Layout::Dbmate,
            down: None,
            settings: None,
        }
    }

    #[test]
    fn sections_with_their_transactions() {
        let parsed = parse(&file(
            "-- a comment\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n-- migrate:down\nDROP INDEX i;\n",
        ))
        .unwrap();
        assert_eq!(parsed.up.len(), 1);
        assert_eq!(parsed.up[0].line, 3);
        assert!(!parsed.up_transactional);
        assert!(parsed.down_transactional);
        assert_eq!(parsed.down.as_ref().unwrap()[0].line, 6);
    }

    #[test]
    fn an_empty_down_section_does_nothing() {
        let parsed = parse(&file("-- migrate:up\nSELECT 1;\n-- migrate:down\n")).unwrap();
        assert_eq!(parsed.statements(Direction::Down), Some(&[][..]));
        assert!(parsed.meta(&file("")).reversible);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("SELECT 1;\n-- migrate:up\n-- migrate:down\n", "users.sql:1"),
            ("-- migrate:up\nSELECT 1;\n", "no `-- migrate:down`"),
            ("-- migrate:down\n-- migrate:up\n", "users.sql:2"),
            ("-- migrate:up transaction:maybe\n-- migrate:down\n", "users.sql:1"),
            ("-- nothing\n", "no `-- migrate:up`"),
        ];
        for (content, needle) in cases {
            let error = parse(&file(content)).unwrap_err();
            assert!(error.message.contains(needle), "{needle}: {}", error.message);
        }
    }
}
