//! How results reach the user: aligned tables for people, JSON for machines.

use std::io::{IsTerminal, Write};

use mongrate_core::Error;
use serde::Serialize;

/// Where and how to print.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub log_json: bool,
    /// Standard error is a terminal: progress may be decorated.
    pub terminal: bool,
}

impl Output {
    pub fn new(json: bool, quiet: bool, log_json: bool) -> Self {
        Output { json, quiet, log_json, terminal: std::io::stderr().is_terminal() }
    }

    /// A result line for people (suppressed by --quiet and --json).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.quiet && !self.json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", text.as_ref());
        }
    }

    /// The machine-readable result (only with --json).
    pub fn json_value(&self, value: &impl Serialize) {
        if self.json {
            let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
        }
    }

    /// A progress or log event on standard error.
    pub fn event(&self, event: &str, text: &str, fields: serde_json::Value) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.log_json {
            let mut object = serde_json::json!({ "event": event, "message": text });
            if let (Some(target), serde_json::Value::Object(extra)) = (object.as_object_mut(), fields) {
                target.extend(extra);
            }
            let _ = writeln!(err, "{object}");
        } else {
            let _ = writeln!(err, "{text}");
        }
    }

    /// An error: always on standard error; with --json also as a JSON object on standard output,
    /// which for a failed run is its report (the steps that completed) with the error beside it.
    pub fn error(&self, error: &Error) {
        let code = error.kind.exit_code();
        if self.json {
            let mut value = error
                .report()
                .and_then(|report| serde_json::to_value(report).ok())
                .unwrap_or_else(|| serde_json::json!({}));
            value["error"] = serde_json::json!({ "kind": error.kind, "message": error.message, "exitCode": code });
            self.json_value(&value);
        }
        let mut err = std::io::stderr().lock();
        if self.log_json {
            let _ = writeln!(
                err,
                "{}",
                serde_json::json!({ "event": "error", "message": error.message, "exitCode": code })
            );
        } else {
            let _ = writeln!(err, "error: {}", error.message);
        }
    }
}

/// Columns padded to their widest cell; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(index) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let mut text = String::with_capacity((rows.len() + 1) * (widths.iter().sum::<usize>() + 2 * widths.len()));
    let mut render = |cells: &mut dyn Iterator<Item = &str>| {
        let line_start = text.len();
        for (index, cell) in cells.enumerate() {
            text.push_str(cell);
            let pad = widths.get(index).map_or(0, |w| w.saturating_sub(cell.chars().count())) + 2;
            text.extend(std::iter::repeat_n(' ', pad));
        }
        text.truncate(line_start + text[line_start..].trim_end().len());
        text.push('\n');
    };
    render(&mut headers.iter().copied());
    for row in rows {
        render(&mut row.iter().map(String::as_str));
    }
    text.pop();
    text
}

/// `12 ms`, `3.4 s`.
pub fn duration_ms(ms: Option<i64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let text = table(&["A", "BB"], &[vec!["xxx".into(), "y".into()], vec!["z".into(), String::new()]]);
        assert_eq!(text, "A    BB\nxxx  y\nz");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms(Some(12)), "12 ms");
        assert_eq!(duration_ms(Some(3400)), "3.4 s");
        assert_eq!(duration_ms(None), "");
    }
}
