//! UTC timestamps without a date library: RFC 3339 for records, `YYYYMMDDHHMMSS` for file names.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis() as i64
}

/// `2026-11-22T09:30:00.123Z` for a millisecond timestamp.
pub fn rfc3339_millis(millis: i64) -> String {
    let (date, time, ms) = split(millis);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", date.0, date.1, date.2, time.0, time.1, time.2, ms)
}

/// The current time in RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339_millis(now_millis())
}

/// `20261122093000` for a millisecond timestamp: the version `create` gives a new file.
pub fn compact_utc(millis: i64) -> String {
    let (date, time, _) = split(millis);
    format!("{:04}{:02}{:02}{:02}{:02}{:02}", date.0, date.1, date.2, time.0, time.1, time.2)
}

type Date = (i64, u32, u32);
type TimeOfDay = (i64, i64, i64);

fn split(millis: i64) -> (Date, TimeOfDay, i64) {
    let ms = millis.rem_euclid(1000);
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    (civil_from_days(days), (of_day / 3600, of_day % 3600 / 60, of_day % 60), ms)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        // 2026-11-22T09:30:00.250Z
        assert_eq!(rfc3339_millis(1_795_339_800_250), "2026-11-22T09:30:00.250Z");
        assert_eq!(compact_utc(1_795_339_800_250), "20261122093000");
        // A leap day.
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
