//! A resumable migration's progress, as its changelog record carries it: the JSON a target writes
//! from the checkpoints of the migration's batch loops (`{"loops": {"0": {…}, "1": {…}}}`, each
//! with `processed`, an estimated `total` and `done`). Summed here for `status`, as pure functions.

use serde::Serialize;

/// How far the batch loops of an unfinished migration got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    /// Documents (or rows) the loops have processed.
    pub processed: u64,
    /// The loops' estimated totals, when every loop that started knew one.
    pub total: Option<u64>,
    /// Loops that started, and those of them that finished.
    pub loops: usize,
    pub finished_loops: usize,
}

impl Progress {
    /// Whole percent done (at most 100: a total is an estimate made when the loop started).
    pub fn percent(&self) -> Option<u64> {
        let total = self.total.filter(|t| *t > 0)?;
        Some((self.processed.saturating_mul(100) / total).min(100))
    }

    /// `37%, 412,000 of 1.1M` (or `412,000 processed` without a total).
    pub fn describe(&self) -> String {
        match (self.percent(), self.total) {
            (Some(percent), Some(total)) => {
                format!("{percent}%, {} of {}", thousands(self.processed), compact(total))
            }
            _ => format!("{} processed", thousands(self.processed)),
        }
    }
}

/// The progress a record's checkpoint holds; `None` when it holds no loop (nothing to resume).
pub fn progress_of(checkpoint: &str) -> Option<Progress> {
    let value: serde_json::Value = serde_json::from_str(checkpoint).ok()?;
    let loops = value.get("loops")?.as_object()?;
    if loops.is_empty() {
        return None;
    }
    let mut progress = Progress { processed: 0, total: Some(0), loops: loops.len(), finished_loops: 0 };
    for state in loops.values() {
        let processed = number(state.get("processed"));
        progress.processed = progress.processed.saturating_add(processed.unwrap_or(0));
        let done = state.get("done").and_then(serde_json::Value::as_bool).unwrap_or(false);
        if done {
            progress.finished_loops += 1;
        }
        // A finished loop's total is what it processed; a running one's is its estimate.
        let total = if done { processed } else { number(state.get("total")) };
        progress.total = match (progress.total, total) {
            (Some(sum), Some(total)) => Some(sum.saturating_add(total)),
            _ => None,
        };
    }
    Some(progress)
}

/// A count as JSON writes it: a number, or extended JSON's `{"$numberLong": "…"}`.
fn number(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        serde_json::Value::Object(o) => o.get("$numberLong")?.as_str()?.parse().ok(),
        _ => None,
    }
}

/// `412000` → `412,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1100000` → `1.1M`, `45200` → `45.2k`, `950` → `950`.
pub fn compact(n: u64) -> String {
    let (value, unit) = match n {
        0..1_000 => return n.to_string(),
        1_000..1_000_000 => (n as f64 / 1e3, "k"),
        1_000_000..1_000_000_000 => (n as f64 / 1e6, "M"),
        _ => (n as f64 / 1e9, "G"),
    };
    let text = format!("{value:.1}");
    format!("{}{unit}", text.trim_end_matches(".0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_loops_and_says_how_far() {
        let checkpoint = r#"{"loops": {"0": {"processed": 1000, "done": true, "total": 900},
                             "1": {"processed": 411000, "total": {"$numberLong": "1099000"}, "lastId": {"$oid": "65a1b2c3d4e5f60718293a4b"}}}}"#;
        let progress = progress_of(checkpoint).unwrap();
        assert_eq!(progress, Progress { processed: 412_000, total: Some(1_100_000), loops: 2, finished_loops: 1 });
        assert_eq!(progress.percent(), Some(37));
        assert_eq!(progress.describe(), "37%, 412,000 of 1.1M");
    }

    #[test]
    fn a_loop_without_an_estimate_leaves_the_total_unknown() {
        let progress = progress_of(r#"{"loops": {"0": {"processed": 12}}}"#).unwrap();
        assert_eq!(progress.total, None);
        assert_eq!(progress.describe(), "12 processed");
    }

    #[test]
    fn no_loop_is_nothing_to_resume() {
        assert_eq!(progress_of(r#"{"loops": {}}"#), None);
        assert_eq!(progress_of("{}"), None);
        assert_eq!(progress_of("not json"), None);
    }

    #[test]
    fn an_estimate_below_the_count_stays_at_100_percent() {
        let progress = progress_of(r#"{"loops": {"0": {"processed": 120, "total": 100}}}"#).unwrap();
        assert_eq!(progress.percent(), Some(100));
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(compact(950), "950");
        assert_eq!(compact(45_200), "45.2k");
        assert_eq!(compact(1_000_000), "1M");
        assert_eq!(compact(1_100_000), "1.1M");
    }
}
