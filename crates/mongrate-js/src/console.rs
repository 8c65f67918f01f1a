//! Where a migration's `console.log` goes: the caller decides (mongrate's output for the CLI).

/// How loud a console line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl ConsoleLevel {
    pub fn parse(level: &str) -> ConsoleLevel {
        match level {
            "debug" => ConsoleLevel::Debug,
            "warn" => ConsoleLevel::Warn,
            "error" => ConsoleLevel::Error,
            _ => ConsoleLevel::Info,
        }
    }
}

/// Receives console lines, tagged with the migration file that wrote them.
pub trait ConsoleSink: Send + Sync {
    fn line(&self, file_name: &str, level: ConsoleLevel, text: &str);
}

/// Writes console lines to standard error, prefixed with the file name.
pub struct StderrConsole;

impl ConsoleSink for StderrConsole {
    fn line(&self, file_name: &str, level: ConsoleLevel, text: &str) {
        let tag = match level {
            ConsoleLevel::Warn => " warning:",
            ConsoleLevel::Error => " error:",
            _ => "",
        };
        for line in text.lines() {
            eprintln!("  [{file_name}]{tag} {line}");
        }
    }
}
