//! What a JavaScript migration prints and how its batch loops show progress on standard error:
//! a bar per loop on a terminal, one JSON event per batch with `--log-format json`, a line when
//! each loop ends otherwise.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle as BarStyle};
use mongrate_core::checkpoint::{compact, thousands};
use mongrate_core::config::ProgressStyle;
use mongrate_js::console::{ConsoleLevel, ConsoleSink, LoopProgress, StderrConsole};

/// The console of the `mongrate` command's JavaScript migrations.
pub struct ProgressConsole {
    style: ProgressStyle,
    /// The bars being drawn, by migration file and loop.
    bars: Mutex<HashMap<(String, usize), ProgressBar>>,
}

impl ProgressConsole {
    pub fn new(style: ProgressStyle) -> Self {
        ProgressConsole { style, bars: Mutex::new(HashMap::new()) }
    }

    fn bar(&self, file_name: &str, progress: &LoopProgress) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (file_name.to_owned(), progress.index);
        bars.entry(key)
            .or_insert_with(|| {
                let bar = ProgressBar::with_draw_target(progress.total, ProgressDrawTarget::stderr());
                let template = "  [{prefix}] {msg} [{bar:30}] {human_pos}/{human_len} {per_sec} ETA {eta}";
                if let Ok(style) = BarStyle::with_template(template) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_prefix(file_name.to_owned());
                bar.set_message(progress.label.clone());
                bar.enable_steady_tick(Duration::from_millis(250));
                bar
            })
            .clone()
    }

    fn forget(&self, file_name: &str, index: usize) {
        let mut bars = self.bars.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bars.remove(&(file_name.to_owned(), index));
    }

    /// Prints above the bars while any are drawn, so neither tears the other.
    fn print(&self, text: &str) {
        let bars = self.bars.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match bars.values().next() {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

/// `37%, 412,000 of 1.1M` or `412,000`.
fn how_far(progress: &LoopProgress) -> String {
    match progress.total.filter(|t| *t > 0) {
        Some(total) => format!(
            "{}%, {} of {}",
            (progress.processed.saturating_mul(100) / total).min(100),
            thousands(progress.processed),
            compact(total)
        ),
        None => thousands(progress.processed),
    }
}

impl ConsoleSink for ProgressConsole {
    fn line(&self, file_name: &str, level: ConsoleLevel, text: &str) {
        if self.style == ProgressStyle::Bars {
            let tag = match level {
                ConsoleLevel::Warn => " warning:",
                ConsoleLevel::Error => " error:",
                _ => "",
            };
            for line in text.lines() {
                self.print(&format!("  [{file_name}]{tag} {line}"));
            }
        } else {
            StderrConsole.line(file_name, level, text);
        }
    }

    fn progress(&self, file_name: &str, progress: &LoopProgress) {
        match self.style {
            ProgressStyle::Quiet => {}
            ProgressStyle::Json => {
                let event = serde_json::json!({
                    "event": "progress",
                    "message": format!("{}: {}", progress.label, how_far(progress)),
                    "migration": file_name,
                    "loop": progress.index,
                    "label": progress.label,
                    "processed": progress.processed,
                    "total": progress.total,
                    "rate": (progress.rate() * 10.0).round() / 10.0,
                    "etaSeconds": progress.eta_seconds(),
                    "done": progress.done,
                });
                let _ = writeln!(std::io::stderr().lock(), "{event}");
            }
            ProgressStyle::Lines => {
                if progress.done {
                    eprintln!(
                        "  [{file_name}] {}: {} documents in {:.1} s ({:.0}/s)",
                        progress.label,
                        thousands(progress.processed),
                        progress.elapsed_ms as f64 / 1000.0,
                        progress.rate()
                    );
                }
            }
            ProgressStyle::Bars => {
                let bar = self.bar(file_name, progress);
                if let Some(total) = progress.total {
                    bar.set_length(total.max(progress.processed));
                }
                bar.set_position(progress.processed);
                if progress.done {
                    bar.finish();
                    self.forget(file_name, progress.index);
                }
            }
        }
    }
}
