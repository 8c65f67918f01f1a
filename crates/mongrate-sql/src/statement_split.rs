//! Splitting a SQL script into statements.
//!
//! Statements are sent one at a time: PostgreSQL runs a multi-statement simple query in one
//! implicit transaction (so `CREATE INDEX CONCURRENTLY` would fail), a dry-run reports rows per
//! statement, and an error can name the line of the statement that failed. The splitter knows
//! quotes, `E''` strings, dollar quoting, nested block comments, and `BEGIN … END` bodies of
//! triggers and `BEGIN ATOMIC` functions, where a `;` does not end the statement.

/// One statement and the line of the file where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub line: usize,
}

impl Statement {
    /// The first line, shortened, for reports.
    pub fn summary(&self) -> String {
        let first = self.sql.lines().next().unwrap_or("").trim();
        let mut summary: String = first.chars().take(80).collect();
        if first.chars().count() > 80 || self.sql.lines().nth(1).is_some() {
            summary.push_str(" …");
        }
        summary
    }
}

/// Splits `text`, whose first line is line `first_line` of its file.
pub fn split_statements(text: &str, first_line: usize) -> Vec<Statement> {
    let mut splitter = Splitter { chars: text.char_indices().peekable(), text, line: first_line, out: Vec::new() };
    splitter.run();
    splitter.out
}

struct Splitter<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    line: usize,
    out: Vec<Statement>,
}

/// The statement being read.
#[derive(Default)]
struct Current {
    start: Option<(usize, usize)>,
    words: Vec<String>,
    word: String,
    block_depth: usize,
}

impl Current {
    fn finish_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.word).to_ascii_uppercase();
        if self.has_block_body() {
            match word.as_str() {
                "BEGIN" | "CASE" => self.block_depth += 1,
                "END" => self.block_depth = self.block_depth.saturating_sub(1),
                _ => {}
            }
        }
        if self.words.len() < 8 {
            self.words.push(word);
        }
    }

    /// `CREATE [OR REPLACE] [TEMP] TRIGGER|FUNCTION|PROCEDURE`: bodies may hold `;`.
    fn has_block_body(&self) -> bool {
        self.words.first().is_some_and(|w| w == "CREATE")
            && self.words.iter().skip(1).take(4).any(|w| matches!(w.as_str(), "TRIGGER" | "FUNCTION" | "PROCEDURE"))
    }
}

impl Splitter<'_> {
    fn next(&mut self) -> Option<(usize, char)> {
        let next = self.chars.next();
        if let Some((_, '\n')) = next {
            self.line += 1;
        }
        next
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    fn run(&mut self) {
        let mut current = Current::default();
        let mut previous: Option<char> = None;
        let mut before_previous: Option<char> = None;
        while let Some((at, c)) = self.next() {
            let is_word = c.is_alphanumeric() || c == '_';
            if !is_word {
                current.finish_word();
            }
            match c {
                '-' if self.peek() == Some('-') => {
                    self.skip_line_comment();
                    (before_previous, previous) = (previous, Some(' '));
                    continue;
                }
                '/' if self.peek() == Some('*') => {
                    self.next();
                    self.skip_block_comment();
                    (before_previous, previous) = (previous, Some(' '));
                    continue;
                }
                _ => {}
            }
            if c.is_whitespace() {
                (before_previous, previous) = (previous, Some(c));
                continue;
            }
            if current.start.is_none() {
                current.start = Some((at, self.line));
            }
            match c {
                '\'' => {
                    // E'…' strings take backslash escapes.
                    let escapes = matches!(previous, Some('E') | Some('e'))
                        && !before_previous.is_some_and(|p| p.is_alphanumeric() || p == '_');
                    self.skip_quoted('\'', escapes);
                }
                '"' | '`' => self.skip_quoted(c, false),
                '$' if !previous.is_some_and(|p| p.is_alphanumeric() || p == '_') => self.skip_dollar_quote(at),
                ';' if current.block_depth == 0 => {
                    self.push(&current, at);
                    current = Current::default();
                }
                _ if is_word => current.word.push(c),
                _ => {}
            }
            (before_previous, previous) = (previous, Some(c));
        }
        current.finish_word();
        self.push(&current, self.text.len());
    }

    fn push(&mut self, current: &Current, end: usize) {
        if let Some((start, line)) = current.start {
            let sql = self.text[start..end].trim();
            if !sql.is_empty() && sql != ";" {
                self.out.push(Statement { sql: sql.to_owned(), line });
            }
        }
    }

    fn skip_line_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                return;
            }
            self.next();
        }
    }

    fn skip_block_comment(&mut self) {
        let mut depth = 1;
        while let Some((_, c)) = self.next() {
            match c {
                '*' if self.peek() == Some('/') => {
                    self.next();
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                '/' if self.peek() == Some('*') => {
                    self.next();
                    depth += 1;
                }
                _ => {}
            }
        }
    }

    fn skip_quoted(&mut self, quote: char, backslash_escapes: bool) {
        while let Some((_, c)) = self.next() {
            if backslash_escapes && c == '\\' {
                self.next();
            } else if c == quote {
                if self.peek() == Some(quote) {
                    self.next();
                } else {
                    return;
                }
            }
        }
    }

    /// `$tag$ … $tag$`; a `$` that does not open a tag (`$1`) is left alone.
    fn skip_dollar_quote(&mut self, at: usize) {
        let rest = &self.text[at + 1..];
        let tag_len = rest.find('$');
        let Some(tag_len) = tag_len else { return };
        let tag = &rest[..tag_len];
        let valid = tag.chars().next().is_none_or(|c| c.is_alphabetic() || c == '_')
            && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return;
        }
        let delimiter = format!("${tag}$");
        for _ in 0..tag.chars().count() + 1 {
            self.next();
        }
        let body_start = at + delimiter.len();
        let end = match self.text[body_start..].find(&delimiter) {
            Some(offset) => body_start + offset + delimiter.len(),
            None => self.text.len(),
        };
        while self.chars.peek().is_some_and(|&(i, _)| i < end) {
            self.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<String> {
        split_statements(text, 1).into_iter().map(|s| s.sql).collect()
    }

    #[test]
    fn splits_on_semicolons_and_tracks_lines() {
        let statements =
            split_statements("CREATE TABLE a (id int);\n\n-- note\nINSERT INTO a VALUES (1);\nSELECT 1", 10);
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0].line, 10);
        assert_eq!(statements[1].sql, "INSERT INTO a VALUES (1);".trim_end_matches(';'));
        assert_eq!(statements[1].line, 13);
        assert_eq!(statements[2].sql, "SELECT 1");
    }

    #[test]
    fn quotes_and_comments_hide_semicolons() {
        assert_eq!(
            sqls("INSERT INTO t VALUES ('a;b', \"c;d\"); /* x; /* nested; */ y; */ SELECT 'it''s;'; -- end;\n"),
            ["INSERT INTO t VALUES ('a;b', \"c;d\")", "SELECT 'it''s;'"]
        );
        assert_eq!(sqls("SELECT E'a\\';b'; SELECT 2"), ["SELECT E'a\\';b'", "SELECT 2"]);
    }

    #[test]
    fn dollar_quoted_bodies_stay_whole() {
        let script = "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\nSELECT $$a;b$$, $1;";
        let out = sqls(script);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].ends_with("LANGUAGE plpgsql"));
        assert_eq!(out[1], "SELECT $$a;b$$, $1");
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let script = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN n > 1 THEN 0 ELSE n END;\n  INSERT INTO c VALUES (1);\nEND;\nCREATE TABLE begin_end (x int);";
        let out = sqls(script);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].ends_with("END"));
        let atomic = "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;";
        assert_eq!(sqls(atomic).len(), 2);
    }

    #[test]
    fn comment_only_and_empty_input_give_nothing() {
        assert!(sqls("-- nothing\n/* here */\n;;\n").is_empty());
    }

    #[test]
    fn summary_is_one_line() {
        let statement = Statement { sql: "CREATE TABLE t (\n id int\n)".into(), line: 1 };
        assert_eq!(statement.summary(), "CREATE TABLE t ( …");
    }
}
