//! SQL migrations: mongrate's `.sql` format — `-- mongrate:up` and `-- mongrate:down` sections
//! (`-- mongrate:down no-op` for a down that does nothing), and the `-- mongrate:no-transaction`,
//! `-- mongrate:backup`, `-- mongrate:phase`, `-- mongrate:repeatable` and
//! `-- mongrate:lint-ignore` directives — and, by the file's layout, the files of other tools
//! ([`crate::dbmate_file`], [`crate::as_written`]).

use mongrate_core::lint::{Ignores, Rule, parse_rule_list};
use mongrate_core::phase::Phase;
use mongrate_core::plan::Direction;
use mongrate_core::{Error, Layout, MigrationFile, MigrationMeta, Result};

use crate::as_written::Substitution;
use crate::statement_split::{Statement, split_statements};
use crate::transaction_control::find_transaction_control;

/// The directives a file may contain.
const DIRECTIVES: &[&str] = &["up", "down", "no-transaction", "backup", "phase", "repeatable", "lint-ignore"];

/// A parsed SQL migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlMigration {
    pub up: Vec<Statement>,
    /// `None`: no down, the migration is irreversible (a mongrate file without statements under
    /// `-- mongrate:down`). `Some` and empty: a down that does nothing and succeeds (another
    /// tool's empty down, `-- mongrate:down no-op`).
    pub down: Option<Vec<Statement>>,
    /// Whether the up runs in a transaction together with its changelog update.
    pub up_transactional: bool,
    /// The same for the down (dbmate and the tools with a down file decide it apart).
    pub down_transactional: bool,
    /// The comment lines before `-- mongrate:up`.
    pub description: Option<String>,
    /// Tables to back up before it runs (`-- mongrate:backup users, orders`).
    pub backup: Vec<String>,
    /// `-- mongrate:phase contract`; expand without one.
    pub phase: Phase,
    /// `-- mongrate:repeatable` (or a Flyway `R__` file): applied again whenever it changes.
    pub repeatable: bool,
    /// `-- mongrate:lint-ignore rule`: before `-- mongrate:up` for the whole file, inside the up
    /// section for the statement that follows it.
    pub lint_ignores: Ignores,
}

/// A `-- mongrate:lint-ignore` line: its line, the section it is in (`None`: before the first),
/// and the rules it silences.
type LintIgnoreLine = (usize, Option<&'static str>, Vec<Rule>);

/// A file cut into its sections, before any statement is split.
struct Sections {
    /// The first line of the section and its text.
    up: (usize, String),
    down: Option<(usize, String)>,
    /// `-- mongrate:down no-op`: the down does nothing, on purpose.
    down_noop: bool,
    transactional: bool,
    description: Option<String>,
    backup: Vec<String>,
    phase: Phase,
    repeatable: bool,
    lint_ignores: Vec<LintIgnoreLine>,
}

impl Sections {
    /// Reads the directives; errors name the file and line.
    fn read(file: &MigrationFile) -> Result<Sections> {
        let name = file.path.display();
        let mut up: Option<(usize, String)> = None;
        let mut down: Option<(usize, String)> = None;
        let mut down_noop = false;
        let mut transactional = true;
        let mut description = Vec::new();
        let mut backup: Vec<String> = Vec::new();
        let mut phase: Option<Phase> = None;
        let mut repeatable = false;
        let mut lint_ignores = Vec::new();
        let mut section: Option<&'static str> = None;
        for (index, line) in file.content.lines().enumerate() {
            let number = index + 1;
            let trimmed = line.trim();
            if let Some(directive) = directive(trimmed) {
                match directive {
                    "up" | "down" => {
                        let slot = if directive == "up" { &mut up } else { &mut down };
                        if slot.is_some() {
                            return Err(Error::validation(format!(
                                "{name}:{number}: a second `-- mongrate:{directive}` section; a file has one up and at most one down section"
                            )));
                        }
                        *slot = Some((number + 1, String::new()));
                        section = Some(if directive == "up" { "up" } else { "down" });
                        match (directive, directive_options(trimmed)) {
                            (_, "") => {}
                            ("down", "no-op") => down_noop = true,
                            (_, other) => {
                                let allowed = if directive == "down" { " but `no-op`" } else { "" };
                                return Err(Error::validation(format!(
                                    "{name}:{number}: `-- mongrate:{directive} {other}`: `-- mongrate:{directive}` takes nothing after it{allowed}"
                                )));
                            }
                        }
                    }
                    "backup" => {
                        let list = trimmed.split_once("mongrate:backup").map_or("", |(_, rest)| rest);
                        let names: Vec<String> =
                            list.split([',', ' ', '\t']).filter(|name| !name.is_empty()).map(str::to_owned).collect();
                        let valid = names.iter().all(|name| {
                            name.split('.').all(|part| {
                                part.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                            })
                        });
                        if names.is_empty() || !valid {
                            return Err(Error::validation(format!(
                                "{name}:{number}: `-- mongrate:backup` takes table names separated by commas, e.g. `-- mongrate:backup users, orders`"
                            )));
                        }
                        mongrate_core::backup::check_backup_list(&names)
                            .map_err(|why| Error::validation(format!("{name}:{number}: {why}")))?;
                        backup.extend(names);
                        match section {
                            Some("up") => push_line(&mut up, ""),
                            Some(_) => push_line(&mut down, ""),
                            None => {}
                        }
                    }
                    "phase" => {
                        let value = trimmed.split_once("mongrate:phase").map_or("", |(_, rest)| rest);
                        if phase.is_some() {
                            return Err(Error::validation(format!(
                                "{name}:{number}: a second `-- mongrate:phase` line; a migration has one phase"
                            )));
                        }
                        phase = Some(value.parse().map_err(|why| {
                            Error::validation(format!("{name}:{number}: `-- mongrate:phase`: {why}"))
                        })?);
                        match section {
                            Some("up") => push_line(&mut up, ""),
                            Some(_) => push_line(&mut down, ""),
                            None => {}
                        }
                    }
                    "repeatable" => {
                        repeatable = true;
                        match section {
                            Some("up") => push_line(&mut up, ""),
                            Some(_) => push_line(&mut down, ""),
                            None => {}
                        }
                    }
                    "lint-ignore" => {
                        let list = trimmed.split_once("mongrate:lint-ignore").map_or("", |(_, rest)| rest);
                        let rules = parse_rule_list(list).map_err(|why| {
                            Error::validation(format!("{name}:{number}: `-- mongrate:lint-ignore` {why}"))
                        })?;
                        lint_ignores.push((number, section, rules));
                        match section {
                            Some("up") => push_line(&mut up, ""),
                            Some(_) => push_line(&mut down, ""),
                            None => {}
                        }
                    }
                    "no-transaction" => {
                        transactional = false;
                        // Keep the line inside a section, so later statements keep their line numbers.
                        match section {
                            Some("up") => push_line(&mut up, ""),
                            Some(_) => push_line(&mut down, ""),
                            None => {}
                        }
                    }
                    unknown => {
                        return Err(Error::validation(format!(
                            "{name}:{number}: unknown directive `-- mongrate:{unknown}`; known: {}",
                            DIRECTIVES.iter().map(|d| format!("-- mongrate:{d}")).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
                continue;
            }
            match section {
                Some("up") => push_line(&mut up, line),
                Some(_) => push_line(&mut down, line),
                None if trimmed.is_empty() => {}
                None if trimmed.starts_with("--") => {
                    description.push(trimmed.trim_start_matches('-').trim().to_owned());
                }
                None => {
                    return Err(Error::validation(format!(
                        "{name}:{number}: SQL before the `-- mongrate:up` line; put the statements of the migration under `-- mongrate:up`"
                    )));
                }
            }
        }
        let Some(up) = up else {
            return Err(Error::validation(format!(
                "{name}: no `-- mongrate:up` section; a migration file starts its statements with a `-- mongrate:up` line (and may end with a `-- mongrate:down` section)"
            )));
        };
        let description = description.into_iter().filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
        Ok(Sections {
            up,
            down,
            down_noop,
            transactional,
            description: (!description.is_empty()).then_some(description),
            backup,
            phase: phase.unwrap_or_default(),
            repeatable,
            lint_ignores,
        })
    }

    /// Whether the sections can be judged without splitting them into statements: no block
    /// comments (which may hide or be all of a section's text) and, in a transactional file, no
    /// word that may begin a transaction-control statement.
    fn judged_by_lines(&self) -> bool {
        std::iter::once(&self.up)
            .chain(&self.down)
            .all(|(_, text)| !(text.contains("/*") || self.transactional && mentions_transaction_control(text)))
    }
}

/// Whether a section without block comments holds a statement: a line with something other than
/// white space, `;` and a `--` comment.
fn has_statement_by_lines(text: &str) -> bool {
    text.lines().any(|line| {
        let rest = line.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        !rest.is_empty() && !rest.starts_with("--")
    })
}

/// Whether `text` has a word that may start a transaction-control statement.
fn mentions_transaction_control(text: &str) -> bool {
    const WORDS: &[&str] = &["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE"];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)))
}

impl SqlMigration {
    /// Parses a file in its layout; errors name the file and line. Flyway's placeholders stay as
    /// written: [`SqlMigration::parse_with`] replaces them.
    pub fn parse(file: &MigrationFile) -> Result<SqlMigration> {
        Self::parse_with(file, None)
    }

    /// Parses a file in its layout, a Flyway file with its placeholders replaced.
    pub fn parse_with(file: &MigrationFile, substitution: Option<Substitution<'_>>) -> Result<SqlMigration> {
        match file.layout {
            Layout::Mongrate => Self::from_sections(file, Sections::read(file)?),
            Layout::Dbmate => crate::dbmate_file::parse(file),
            Layout::GolangMigrate | Layout::Sqlx | Layout::Flyway | Layout::Diesel => {
                crate::as_written::parse(file, substitution)
            }
        }
    }

    fn from_sections(file: &MigrationFile, sections: Sections) -> Result<SqlMigration> {
        let name = file.path.display();
        let Sections {
            up: (up_line, up_text),
            down,
            down_noop,
            transactional,
            description,
            backup,
            phase,
            repeatable,
            lint_ignores,
        } = sections;
        let up = split_statements(&up_text, up_line);
        if up.is_empty() {
            return Err(no_up_statements(file, up_line));
        }
        let down = down.map(|(line, text)| split_statements(&text, line));
        if down_noop && let Some(first) = down.as_ref().and_then(|statements| statements.first()) {
            return Err(Error::validation(format!(
                "{name}:{}: statements under `-- mongrate:down no-op`; a no-op down has none. Remove `no-op` to run them, or the statements",
                first.line
            )));
        }
        let down = down.filter(|statements| down_noop || !statements.is_empty());
        if transactional {
            for statements in std::iter::once(&up).chain(down.as_ref()) {
                if let Some(control) = find_transaction_control(statements) {
                    return Err(Error::validation(format!(
                        "{name}:{}: `{}` controls the transaction, but mongrate runs this migration in a transaction of its own \
                         together with its changelog record (and a dry-run in one it rolls back), so this statement would commit \
                         part of the migration on its own. Remove it and let mongrate wrap the file in one transaction, or put \
                         `-- mongrate:no-transaction` at the top of the file to run its statements one by one as written.",
                        control.line, control.keyword
                    )));
                }
            }
        }
        let mut ignores = Ignores::default();
        for (line, section, rules) in lint_ignores {
            match section {
                None => ignores.add_whole_file(rules),
                Some("up") => {
                    if let Some(next) = up.iter().find(|statement| statement.line > line) {
                        ignores.add_statement(next.line, rules);
                    }
                }
                // The down section is not linted.
                Some(_) => {}
            }
        }
        Ok(SqlMigration {
            up,
            down,
            up_transactional: transactional,
            down_transactional: transactional,
            description,
            backup,
            phase,
            repeatable,
            lint_ignores: ignores,
        })
    }

    /// What the planner needs to know, with the same checks as [`SqlMigration::parse`], without
    /// splitting statements where the lines decide (`status` over a thousand files).
    pub fn inspect(file: &MigrationFile) -> Result<MigrationMeta> {
        Self::inspect_with(file, None)
    }

    /// [`SqlMigration::inspect`], a Flyway file with its placeholders replaced.
    pub fn inspect_with(file: &MigrationFile, substitution: Option<Substitution<'_>>) -> Result<MigrationMeta> {
        if file.layout != Layout::Mongrate {
            return Ok(Self::parse_with(file, substitution)?.meta(file));
        }
        let sections = Sections::read(file)?;
        if !sections.judged_by_lines() {
            return Ok(Self::from_sections(file, sections)?.meta(file));
        }
        if !has_statement_by_lines(&sections.up.1) {
            return Err(no_up_statements(file, sections.up.0));
        }
        Ok(MigrationMeta {
            name: file.slug.clone(),
            description: sections.description,
            reversible: sections.down_noop || sections.down.is_some_and(|(_, text)| has_statement_by_lines(&text)),
            transactional: sections.transactional,
            backup: sections.backup,
            phase: sections.phase,
            repeatable: sections.repeatable,
        })
    }

    /// The statements of a direction; `None` for a down without statements (irreversible).
    pub fn statements(&self, direction: Direction) -> Option<&[Statement]> {
        match direction {
            Direction::Up => Some(&self.up),
            Direction::Down => self.down.as_deref(),
        }
    }

    /// Whether `direction` runs in a transaction together with its changelog update.
    pub fn transactional(&self, direction: Direction) -> bool {
        match direction {
            Direction::Up => self.up_transactional,
            Direction::Down => self.down_transactional,
        }
    }

    /// What the planner needs to know.
    pub fn meta(&self, file: &MigrationFile) -> MigrationMeta {
        MigrationMeta {
            name: file.slug.clone(),
            description: self.description.clone(),
            reversible: self.down.is_some(),
            // Steps are grouped by this: only a migration whose both ways run in one joins a group.
            transactional: self.up_transactional && self.down_transactional,
            backup: self.backup.clone(),
            phase: self.phase,
            repeatable: self.repeatable,
        }
    }
}

fn no_up_statements(file: &MigrationFile, up_line: usize) -> Error {
    Error::validation(format!("{}:{}: the up section has no statements", file.path.display(), up_line - 1))
}

/// `-- mongrate:up` → `up`.
fn directive(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("--")?.trim_start();
    let name = rest.strip_prefix("mongrate:")?;
    Some(name.split_whitespace().next().unwrap_or(""))
}

/// What follows the directive's name: `-- mongrate:down no-op` → `no-op`.
fn directive_options(line: &str) -> &str {
    let rest = line.split_once("mongrate:").map_or("", |(_, rest)| rest).trim_start();
    rest.split_once(char::is_whitespace).map_or("", |(_, options)| options.trim())
}

fn push_line(section: &mut Option<(usize, String)>, line: &str) {
    if let Some((_, text)) = section {
        text.push_str(line);
        text.push('\n');
    }
}

/// The file `mongrate create` writes.
pub fn template(name: &str) -> String {
    format!(
        "-- {name}\n\
         -- Statements under `-- mongrate:up` run in one transaction together with the changelog update.\n\
         -- Add `-- mongrate:no-transaction` for statements that cannot run in one (CREATE INDEX CONCURRENTLY).\n\
         \n\
         -- mongrate:up\n\
         \n\
         \n\
         -- mongrate:down\n\
         -- Undo the up section here. Without statements here the migration is irreversible;\n\
         -- `-- mongrate:down no-op` instead says that reverting it needs nothing.\n\
         \n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongrate_core::Version;

    fn file(content: &str) -> MigrationFile {
        MigrationFile {
            version: Version::number(1),
            file_name: "001_users.sql".into(),
            slug: "users".into(),
            extension: "sql".into(),
            path: "migrations/001_users.sql".into(),
            content: content.into(),
            checksum: String::new(),
            layout: Default::default(),
            down: None,
            settings: None,
        }
    }

    #[test]
    fn backup_directives_list_tables() {
        let text =
            "-- mongrate:backup users, app.orders\n-- mongrate:up\nDELETE FROM users;\n-- mongrate:backup audit\n";
        let parsed = SqlMigration::parse(&file(text)).unwrap();
        assert_eq!(parsed.backup, ["users", "app.orders", "audit"]);
        assert_eq!(SqlMigration::inspect(&file(text)).unwrap().backup, ["users", "app.orders", "audit"]);
        assert_eq!(parsed.up.len(), 1);
        for bad in ["-- mongrate:backup\n", "-- mongrate:backup users; drop\n", "-- mongrate:backup mongrate_history\n"]
        {
            let error = SqlMigration::parse(&file(&format!("{bad}-- mongrate:up\nSELECT 1;\n"))).unwrap_err();
            assert!(error.message.contains(":1:"), "{}", error.message);
        }
    }

    #[test]
    fn parses_sections_and_description() {
        let parsed = SqlMigration::parse(&file(
            "-- Users table\n\n-- mongrate:up\nCREATE TABLE users (id int);\nINSERT INTO users VALUES (1);\n-- mongrate:down\nDROP TABLE users;\n",
        ))
        .unwrap();
        assert_eq!(parsed.up.len(), 2);
        assert_eq!(parsed.up[0].line, 4);
        assert_eq!(parsed.up[1].line, 5);
        assert_eq!(parsed.down.as_ref().unwrap()[0].line, 7);
        assert!(parsed.up_transactional && parsed.down_transactional);
        assert_eq!(parsed.description.as_deref(), Some("Users table"));
        assert!(parsed.meta(&file("")).reversible);
    }

    #[test]
    fn no_down_or_empty_down_is_irreversible() {
        let parsed = SqlMigration::parse(&file("-- mongrate:up\nSELECT 1;\n-- mongrate:down\n-- nothing\n")).unwrap();
        assert!(parsed.down.is_none());
        assert!(!parsed.meta(&file("")).reversible);
    }

    #[test]
    fn a_no_op_down_is_reversible_and_does_nothing() {
        let text = "-- mongrate:up\nSELECT 1;\n-- mongrate:down no-op\n-- a view that the next migration replaces\n";
        let parsed = SqlMigration::parse(&file(text)).unwrap();
        assert_eq!(parsed.statements(Direction::Down), Some(&[][..]));
        assert!(parsed.meta(&file("")).reversible);
        assert!(SqlMigration::inspect(&file(text)).unwrap().reversible);
        let with_statements =
            SqlMigration::parse(&file("-- mongrate:up\nSELECT 1;\n-- mongrate:down no-op\nSELECT 2;\n")).unwrap_err();
        assert!(
            with_statements.message.contains("001_users.sql:4") && with_statements.message.contains("no-op"),
            "{}",
            with_statements.message
        );
        let unknown = SqlMigration::parse(&file("-- mongrate:up\nSELECT 1;\n-- mongrate:down noop\n")).unwrap_err();
        assert!(
            unknown.message.contains("001_users.sql:3") && unknown.message.contains("`no-op`"),
            "{}",
            unknown.message
        );
        let on_up = SqlMigration::inspect(&file("-- mongrate:up now\nSELECT 1;\n")).unwrap_err();
        assert!(on_up.message.contains("001_users.sql:1"), "{}", on_up.message);
    }

    #[test]
    fn the_repeatable_directive() {
        let text = "-- mongrate:repeatable\n-- mongrate:up\nCREATE OR REPLACE VIEW v AS SELECT 1;\n";
        assert!(SqlMigration::parse(&file(text)).unwrap().repeatable);
        assert!(SqlMigration::inspect(&file(text)).unwrap().repeatable);
        assert!(!SqlMigration::inspect(&file("-- mongrate:up\nSELECT 1;\n")).unwrap().repeatable);
    }

    #[test]
    fn no_transaction_directive() {
        let parsed = SqlMigration::parse(&file(
            "-- mongrate:no-transaction\n-- mongrate:up\nCREATE INDEX CONCURRENTLY i ON t (x);\n",
        ))
        .unwrap();
        assert!(!parsed.up_transactional);
    }

    #[test]
    fn a_directive_inside_a_section_keeps_the_line_numbers() {
        let parsed =
            SqlMigration::parse(&file("-- mongrate:up\nSELECT 1;\n-- mongrate:no-transaction\nSELECT 2;\n")).unwrap();
        assert_eq!(parsed.up.iter().map(|s| s.line).collect::<Vec<_>>(), [2, 4]);
        assert!(!parsed.up_transactional);
    }

    #[test]
    fn errors_name_file_and_line() {
        let missing = SqlMigration::parse(&file("CREATE TABLE x (id int);\n")).unwrap_err();
        assert!(missing.message.contains("migrations/001_users.sql:1"), "{}", missing.message);
        let no_up = SqlMigration::parse(&file("-- just a comment\n")).unwrap_err();
        assert!(no_up.message.contains("no `-- mongrate:up`"), "{}", no_up.message);
        let unknown = SqlMigration::parse(&file("-- mongrate:up\nSELECT 1;\n-- mongrate:sideways\n")).unwrap_err();
        assert!(
            unknown.message.contains("001_users.sql:3") && unknown.message.contains("sideways"),
            "{}",
            unknown.message
        );
        let twice = SqlMigration::parse(&file("-- mongrate:up\nSELECT 1;\n-- mongrate:up\n")).unwrap_err();
        assert!(twice.message.contains(":3"), "{}", twice.message);
        let empty = SqlMigration::parse(&file("-- mongrate:up\n-- mongrate:down\nSELECT 1;\n")).unwrap_err();
        assert!(empty.message.contains("no statements"), "{}", empty.message);
    }

    #[test]
    fn transaction_control_is_refused_in_a_transactional_file() {
        let text = "-- mongrate:up\nBEGIN;\nCREATE TABLE t1 (id int);\nCOMMIT;\nCREATE TABLE t2 (id int);\n";
        let refused = SqlMigration::parse(&file(text)).unwrap_err();
        assert_eq!(refused.kind, mongrate_core::ErrorKind::Validation);
        assert!(refused.message.contains("migrations/001_users.sql:2: `BEGIN`"), "{}", refused.message);
        assert!(refused.message.contains("-- mongrate:no-transaction"), "{}", refused.message);
        let in_down = "-- mongrate:up\nSELECT 1;\n-- mongrate:down\nSELECT 2;\nROLLBACK;\n";
        let refused = SqlMigration::parse(&file(in_down)).unwrap_err();
        assert!(refused.message.contains("001_users.sql:5: `ROLLBACK`"), "{}", refused.message);
        let as_written = SqlMigration::parse(&file(&format!("-- mongrate:no-transaction\n{text}"))).unwrap();
        assert_eq!(as_written.up.len(), 4);
        assert!(!as_written.up_transactional);
    }

    #[test]
    fn lint_ignores_silence_the_next_statement_or_the_whole_file_and_keep_line_numbers() {
        use mongrate_core::lint::{Finding, Rule};
        let text = "-- mongrate:lint-ignore no-down\n-- mongrate:up\nCREATE TABLE t (id int);\n\
                    -- mongrate:lint-ignore destructive-outside-contract, no-lock-timeout\nDROP TABLE old;\nDROP TABLE other;\n";
        let parsed = SqlMigration::parse(&file(text)).unwrap();
        assert_eq!(parsed.up.iter().map(|s| s.line).collect::<Vec<_>>(), [3, 5, 6]);
        let at = |line, rule| Finding::warning(std::path::Path::new("m.sql"), Version::number(1), line, rule, "");
        assert!(parsed.lint_ignores.silences(&at(1, Rule::NoDown)), "a header ignore covers the file");
        assert!(parsed.lint_ignores.silences(&at(5, Rule::DestructiveOutsideContract)));
        assert!(parsed.lint_ignores.silences(&at(5, Rule::NoLockTimeout)));
        assert!(!parsed.lint_ignores.silences(&at(6, Rule::DestructiveOutsideContract)), "only the next statement");
        assert!(SqlMigration::inspect(&file(text)).is_ok());
        let unknown = "-- mongrate:up\n-- mongrate:lint-ignore destructive\nDROP TABLE old;\n";
        for error in
            [SqlMigration::parse(&file(unknown)).unwrap_err(), SqlMigration::inspect(&file(unknown)).unwrap_err()]
        {
            assert!(
                error.message.contains("001_users.sql:2:") && error.message.contains("'destructive'"),
                "{}",
                error.message
            );
        }
        let empty = SqlMigration::parse(&file("-- mongrate:up\n-- mongrate:lint-ignore\nSELECT 1;\n")).unwrap_err();
        assert!(empty.message.contains(":2:") && empty.message.contains("names no rule"), "{}", empty.message);
    }

    #[test]
    fn template_parses_once_filled() {
        let text = template("add users").replace("-- mongrate:up\n\n", "-- mongrate:up\nCREATE TABLE u (id int);\n");
        let parsed = SqlMigration::parse(&file(&text)).unwrap();
        assert_eq!(parsed.up.len(), 1);
        assert!(parsed.down.is_none());
    }
}
