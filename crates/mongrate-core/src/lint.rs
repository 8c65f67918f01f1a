//! Lint: what a migration would do badly, found before it runs.
//!
//! A target reads its migrations (and, where a rule needs it, asks its server) and returns
//! findings. What is decided here, without a database: the rules and their ids, which findings
//! are errors, how a `lint-ignore` silences a finding, and which rules `up` checks before it
//! applies anything.
//!
//! Severity: only a finding that says the migration will certainly fail or lose data unexpectedly
//! is an error (a unique index over duplicates that exist now, `ADD COLUMN … NOT NULL` without a
//! default on a table with rows). Phase, locking and style rules are warnings: existing projects
//! run such migrations on purpose, and `up` keeps running them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;

use crate::version::Version;

/// A lint rule. Its id (kebab-case) is what findings show and what `lint-ignore` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Drops or deletes data (removeField, dropCollection, dropIndex, deleteMany/updateMany
    /// without a filter; DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without WHERE) in a migration
    /// whose phase is not `contract`.
    DestructiveOutsideContract,
    /// A unique index over a collection (table) that holds duplicates of its key now.
    UniqueIndexDuplicates,
    /// Renames a collection, field, table or column in an `expand` migration.
    RenameInExpand,
    /// A migration without a `down`.
    NoDown,
    /// PostgreSQL `CREATE INDEX` without `CONCURRENTLY` on an existing table.
    IndexWithoutConcurrently,
    /// `ADD COLUMN … NOT NULL` without a default.
    NotNullWithoutDefault,
    /// PostgreSQL `ADD COLUMN` whose default is volatile: the table is rewritten under its lock.
    VolatileDefault,
    /// PostgreSQL `ALTER COLUMN … TYPE` on an existing table.
    AlterColumnType,
    /// PostgreSQL `ADD CONSTRAINT` (CHECK, FOREIGN KEY) without `NOT VALID` on an existing table.
    ConstraintWithoutNotValid,
    /// PostgreSQL statements that lock an existing table, with no `lock_timeout` set.
    NoLockTimeout,
}

/// What the README's table and `lint` say about a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleDoc {
    pub id: &'static str,
    pub backends: &'static str,
    /// `warning`, or `error` with the condition under which a finding is one.
    pub severity: &'static str,
    pub catches: &'static str,
    pub fix: &'static str,
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Rule::DestructiveOutsideContract,
        Rule::UniqueIndexDuplicates,
        Rule::RenameInExpand,
        Rule::NoDown,
        Rule::IndexWithoutConcurrently,
        Rule::NotNullWithoutDefault,
        Rule::VolatileDefault,
        Rule::AlterColumnType,
        Rule::ConstraintWithoutNotValid,
        Rule::NoLockTimeout,
    ];

    pub fn id(self) -> &'static str {
        self.doc().id
    }

    /// Whether a finding of this rule can be an error: the rules `up` checks before it runs.
    pub fn can_be_error(self) -> bool {
        matches!(self, Rule::UniqueIndexDuplicates | Rule::NotNullWithoutDefault)
    }

    pub fn doc(self) -> RuleDoc {
        match self {
            Rule::DestructiveOutsideContract => RuleDoc {
                id: "destructive-outside-contract",
                backends: "MongoDB, PostgreSQL, SQLite",
                severity: "warning",
                catches: "removeField, dropCollection, dropIndex, deleteMany or updateMany without a filter; \
                          DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without WHERE — in a migration whose phase is not contract",
                fix: "move it to a migration with phase contract, applied after the code that no longer reads it is deployed",
            },
            Rule::UniqueIndexDuplicates => RuleDoc {
                id: "unique-index-duplicates",
                backends: "MongoDB, PostgreSQL, SQLite",
                severity: "error (checked against the database)",
                catches: "a unique index over a collection or table that holds duplicate keys now: building it fails",
                fix: "remove the duplicates first (removeDuplicates, or a DELETE keeping one row of each key) in this or an earlier migration",
            },
            Rule::RenameInExpand => RuleDoc {
                id: "rename-in-expand",
                backends: "MongoDB, PostgreSQL, SQLite",
                severity: "warning",
                catches: "renameCollection, renameField, RENAME TO, RENAME COLUMN in an expand migration: the running code still uses the old name",
                fix: "copy in expand (copyField, or add the new column and backfill it), switch the code, drop the old name in contract",
            },
            Rule::NoDown => RuleDoc {
                id: "no-down",
                backends: "MongoDB, PostgreSQL, SQLite",
                severity: "warning",
                catches: "a migration without a down (JavaScript without `down`, YAML whose operations have no exact inverse \
                          and no `down:`, SQL without a `-- mongrate:down` section): it cannot be rolled back",
                fix: "write the down (`down` function, `down:` list, or `-- mongrate:down` section)",
            },
            Rule::IndexWithoutConcurrently => RuleDoc {
                id: "index-without-concurrently",
                backends: "PostgreSQL",
                severity: "warning",
                catches: "CREATE INDEX without CONCURRENTLY on an existing table: writes to the table wait until the index is built",
                fix: "CREATE INDEX CONCURRENTLY, in a file with `-- mongrate:no-transaction`",
            },
            Rule::NotNullWithoutDefault => RuleDoc {
                id: "not-null-without-default",
                backends: "PostgreSQL, SQLite",
                severity: "error when the table has rows now, else warning",
                catches: "ADD COLUMN … NOT NULL (or PRIMARY KEY) without a default: fails on a table that has rows",
                fix: "add it with a default, or add it nullable, backfill it, then SET NOT NULL",
            },
            Rule::VolatileDefault => RuleDoc {
                id: "volatile-default",
                backends: "PostgreSQL",
                severity: "warning",
                catches: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), serial, identity) \
                          on an existing table: every row is rewritten under an exclusive lock",
                fix: "add the column without a default, set the default for new rows, and backfill in batches",
            },
            Rule::AlterColumnType => RuleDoc {
                id: "alter-column-type",
                backends: "PostgreSQL",
                severity: "warning",
                catches: "ALTER COLUMN … TYPE on an existing table: rewrites the table under an exclusive lock and breaks code reading the old type",
                fix: "add a column of the new type, backfill it, switch the code, drop the old column in contract",
            },
            Rule::ConstraintWithoutNotValid => RuleDoc {
                id: "constraint-without-not-valid",
                backends: "PostgreSQL",
                severity: "warning",
                catches: "ADD CONSTRAINT … CHECK or FOREIGN KEY without NOT VALID on an existing table: every row is checked under the lock",
                fix: "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later statement (it takes a weaker lock)",
            },
            Rule::NoLockTimeout => RuleDoc {
                id: "no-lock-timeout",
                backends: "PostgreSQL",
                severity: "warning",
                catches: "a statement that locks an existing table (ALTER TABLE, CREATE INDEX, DROP TABLE, TRUNCATE) with no lock_timeout \
                          set: while it waits for the lock, every query on the table queues behind it",
                fix: "put `SET LOCAL lock_timeout = '5s';` first (`SET lock_timeout` in a no-transaction file), or set it for the role",
            },
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl FromStr for Rule {
    type Err = String;

    /// A rule id; an unknown one is an error that lists the rules.
    fn from_str(text: &str) -> Result<Rule, String> {
        let text = text.trim();
        Rule::ALL.into_iter().find(|rule| rule.id() == text).ok_or_else(|| {
            format!(
                "'{text}' is not a lint rule; the rules are {}",
                Rule::ALL.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// Reads `rule[, rule …]` (commas or spaces) as a `lint-ignore` lists them.
pub fn parse_rule_list(text: &str) -> Result<Vec<Rule>, String> {
    let rules = text
        .split([',', ' ', '\t'])
        .filter(|word| !word.is_empty())
        .map(str::parse)
        .collect::<Result<Vec<Rule>, String>>()?;
    if rules.is_empty() {
        return Err("names no rule; write the rule ids to silence, e.g. `lint-ignore no-down`".into());
    }
    Ok(rules)
}

/// Checks the rule ids of a list (`lintIgnore: [rule]`).
pub fn parse_rules<S: AsRef<str>>(ids: &[S]) -> Result<Vec<Rule>, String> {
    ids.iter().map(|id| id.as_ref().parse()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a migration does badly, where it does it, and how to do it instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file as the migrations directory names it.
    pub file: String,
    pub version: String,
    /// The line of the statement or operation; 1 for what concerns the whole file.
    pub line: usize,
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

impl Finding {
    /// A warning with the rule's own fix.
    pub fn warning(file: &Path, version: Version, line: usize, rule: Rule, message: impl Into<String>) -> Finding {
        Finding {
            file: file.display().to_string(),
            version: version.to_string(),
            line,
            rule,
            severity: Severity::Warning,
            message: message.into(),
            fix: rule.doc().fix.to_owned(),
        }
    }

    /// The same finding as an error (only for rules that can be one).
    pub fn into_error(mut self) -> Finding {
        debug_assert!(self.rule.can_be_error(), "{} is never an error", self.rule);
        self.severity = Severity::Error;
        self
    }

    /// The same finding with a fix written for its case.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = fix.into();
        self
    }
}

impl fmt::Display for Finding {
    /// `file:line: warning[rule]: message` and the fix on the next line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}[{}]: {}\n  fix: {}",
            self.file, self.line, self.severity, self.rule, self.message, self.fix
        )
    }
}

/// A statement the linter could not read, so no rule looked at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchecked {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// What to check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Only the rules that can find an error (what `up` checks before it runs); no work when no
    /// statement could break one.
    pub errors_only: bool,
    /// Versions already applied: checked from their text alone, since the database shows what
    /// they did rather than what they will meet.
    pub applied: BTreeSet<Version>,
}

impl LintOptions {
    /// Whether the rule is checked at all.
    pub fn checks(&self, rule: Rule) -> bool {
        !self.errors_only || rule.can_be_error()
    }

    /// Whether a rule may ask the server about this migration.
    pub fn asks_server(&self, version: Version) -> bool {
        !self.applied.contains(&version)
    }
}

/// The `lint-ignore`s of one file: for the whole file (a file-level key or directive) or for the
/// statement starting at a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignores {
    whole_file: BTreeSet<Rule>,
    by_line: BTreeMap<usize, BTreeSet<Rule>>,
}

impl Ignores {
    pub fn whole_file(rules: impl IntoIterator<Item = Rule>) -> Ignores {
        Ignores { whole_file: rules.into_iter().collect(), by_line: BTreeMap::new() }
    }

    /// Silences `rules` for the statement (operation) starting at `line`.
    pub fn add_statement(&mut self, line: usize, rules: impl IntoIterator<Item = Rule>) {
        self.by_line.entry(line).or_default().extend(rules);
    }

    pub fn add_whole_file(&mut self, rules: impl IntoIterator<Item = Rule>) {
        self.whole_file.extend(rules);
    }

    pub fn silences(&self, finding: &Finding) -> bool {
        self.whole_file.contains(&finding.rule)
            || self.by_line.get(&finding.line).is_some_and(|rules| rules.contains(&finding.rule))
    }
}

/// What a lint found over a set of migrations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintReport {
    /// How many migrations were checked.
    pub migrations: usize,
    pub findings: Vec<Finding>,
    /// How many findings a `lint-ignore` silenced.
    pub silenced: usize,
    pub unchecked: Vec<Unchecked>,
}

impl LintReport {
    /// Adds one file's findings in line order, less those its ignores silence and the rules not
    /// asked for.
    pub fn add(&mut self, mut findings: Vec<Finding>, ignores: &Ignores, options: &LintOptions) {
        findings.sort_by_key(|finding| (finding.line, finding.rule));
        for finding in findings {
            if !options.checks(finding.rule) || options.errors_only && finding.severity != Severity::Error {
                continue;
            }
            if ignores.silences(&finding) {
                self.silenced += 1;
            } else {
                self.findings.push(finding);
            }
        }
    }

    /// Another target's report (several databases, or one target's parts) added to this one.
    pub fn merge(&mut self, other: LintReport) {
        self.migrations += other.migrations;
        self.findings.extend(other.findings);
        self.silenced += other.silenced;
        self.unchecked.extend(other.unchecked);
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|finding| finding.severity == severity).count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// The exit code of `mongrate lint`: 4 when a finding is an error, else 0 (warnings only).
    pub fn exit_code(&self) -> i32 {
        if self.has_errors() { 4 } else { 0 }
    }

    /// `2 errors, 1 warning (1 silenced)`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut text = format!(
            "{}, {} in {}",
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning"),
            plural(self.migrations, "migration")
        );
        if self.silenced > 0 {
            text.push_str(&format!(" ({} silenced by lint-ignore)", self.silenced));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: usize, rule: Rule) -> Finding {
        Finding::warning(Path::new("migrations/002_x.sql"), Version::number(2), line, rule, "something")
    }

    #[test]
    fn ids_are_kebab_case_unique_and_parse_back() {
        let ids: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
        assert_eq!(ids.len(), Rule::ALL.len());
        for rule in Rule::ALL {
            assert!(rule.id().chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{rule}");
            assert_eq!(rule.id().parse::<Rule>(), Ok(rule));
            assert!(!rule.doc().fix.is_empty() && !rule.doc().catches.is_empty());
        }
        let unknown = "no-dwon".parse::<Rule>().unwrap_err();
        assert!(unknown.contains("'no-dwon'") && unknown.contains("no-down"), "{unknown}");
    }

    #[test]
    fn only_certain_failures_can_be_errors() {
        let can: Vec<Rule> = Rule::ALL.into_iter().filter(|rule| rule.can_be_error()).collect();
        assert_eq!(can, [Rule::UniqueIndexDuplicates, Rule::NotNullWithoutDefault]);
        for rule in Rule::ALL {
            assert_eq!(rule.doc().severity.starts_with("error"), rule.can_be_error(), "{rule}");
        }
    }

    #[test]
    fn rule_lists_take_commas_or_spaces_and_refuse_unknown_names() {
        assert_eq!(parse_rule_list(" no-down, rename-in-expand"), Ok(vec![Rule::NoDown, Rule::RenameInExpand]));
        assert_eq!(parse_rule_list("no-down no-lock-timeout"), Ok(vec![Rule::NoDown, Rule::NoLockTimeout]));
        assert!(parse_rule_list("  ").unwrap_err().contains("names no rule"));
        assert!(parse_rule_list("no-down, everything").unwrap_err().contains("'everything'"));
        assert_eq!(parse_rules(&["no-down"]), Ok(vec![Rule::NoDown]));
        assert!(parse_rules(&["all"]).is_err());
    }

    #[test]
    fn an_ignore_silences_its_statement_or_file_and_nothing_else() {
        let mut ignores = Ignores::default();
        ignores.add_statement(7, [Rule::DestructiveOutsideContract]);
        assert!(ignores.silences(&finding(7, Rule::DestructiveOutsideContract)));
        assert!(!ignores.silences(&finding(8, Rule::DestructiveOutsideContract)), "another statement");
        assert!(!ignores.silences(&finding(7, Rule::NoLockTimeout)), "another rule");
        let whole = Ignores::whole_file([Rule::NoDown]);
        assert!(whole.silences(&finding(1, Rule::NoDown)) && whole.silences(&finding(40, Rule::NoDown)));
        assert!(!Ignores::default().silences(&finding(1, Rule::NoDown)), "nothing is silenced by default");
    }

    #[test]
    fn a_report_counts_silenced_findings_and_decides_the_exit_code() {
        let options = LintOptions::default();
        let mut report = LintReport { migrations: 1, ..LintReport::default() };
        let ignores = Ignores::whole_file([Rule::RenameInExpand]);
        report.add(vec![finding(3, Rule::NoDown), finding(4, Rule::RenameInExpand)], &ignores, &options);
        assert_eq!((report.findings.len(), report.silenced, report.exit_code()), (1, 1, 0));
        assert_eq!(report.summary(), "0 errors, 1 warning in 1 migration (1 silenced by lint-ignore)");
        report.add(vec![finding(5, Rule::UniqueIndexDuplicates).into_error()], &Ignores::default(), &options);
        assert_eq!(report.exit_code(), 4);
        assert!(report.has_errors());
    }

    #[test]
    fn errors_only_keeps_errors_of_the_rules_that_can_fail_a_run() {
        let options = LintOptions { errors_only: true, ..LintOptions::default() };
        assert!(!options.checks(Rule::NoLockTimeout) && options.checks(Rule::NotNullWithoutDefault));
        let mut report = LintReport::default();
        let findings = vec![
            finding(3, Rule::NoDown),
            finding(4, Rule::NotNullWithoutDefault),
            finding(5, Rule::NotNullWithoutDefault).into_error(),
        ];
        report.add(findings, &Ignores::default(), &options);
        assert_eq!(report.findings.iter().map(|f| f.line).collect::<Vec<_>>(), [5]);
        let silenced = Ignores::whole_file([Rule::NotNullWithoutDefault]);
        let mut quiet = LintReport::default();
        quiet.add(vec![finding(5, Rule::NotNullWithoutDefault).into_error()], &silenced, &options);
        assert_eq!((quiet.findings.len(), quiet.exit_code()), (0, 0), "an ignore silences an error too");
    }

    #[test]
    fn applied_migrations_are_not_checked_against_the_server() {
        let options = LintOptions { applied: [Version::number(1)].into(), ..LintOptions::default() };
        assert!(!options.asks_server(Version::number(1)) && options.asks_server(Version::number(2)));
    }

    #[test]
    fn a_finding_prints_file_line_rule_and_fix() {
        let text = finding(7, Rule::NoDown).with_fix("write one").to_string();
        assert_eq!(text, "migrations/002_x.sql:7: warning[no-down]: something\n  fix: write one");
        let json = serde_json::to_value(finding(7, Rule::UniqueIndexDuplicates).into_error()).unwrap();
        assert_eq!(json["rule"], "unique-index-duplicates");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["version"], "2");
        assert_eq!(json["line"], 7);
    }
}
