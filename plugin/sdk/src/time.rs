//! Just enough calendar arithmetic for PSAs' UTC timestamps (`YYYY-MM-DDTHH:MM:SS[.fff][Z]`,
//! Halo's with or without the `Z`, ConnectWise's `yyyy-MM-ddTHH:mm:ssZ`), without pulling a date
//! crate into the component.
//!
//! ```
//! use psa_connector_sdk::time::{normalise, parse_utc};
//!
//! assert_eq!(parse_utc("1970-01-02T00:00:00Z"), Some(86_400));
//! assert_eq!(normalise("2024-02-29 23:59:59"), "2024-02-29T23:59:59Z");
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now (the host's wall clock).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses a timestamp (taken as UTC) to Unix seconds.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, "00:00:00"));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+', '.']).next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hour, minute) = (t.next()??, t.next()??);
    let second = t.next().flatten().unwrap_or(0);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// RFC 3339 UTC rendering of Unix seconds.
pub fn format_rfc3339(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A timestamp normalised to RFC 3339 UTC; unparseable text is passed through.
pub fn normalise(text: &str) -> String {
    parse_utc(text)
        .map(format_rfc3339)
        .unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_halo_times() {
        assert_eq!(parse_utc("1970-01-01T00:00:00"), Some(0));
        let t = parse_utc("2026-11-22T06:40:05.123Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-22T06:40:05Z");
        assert_eq!(normalise("2024-02-29 23:59:59"), "2024-02-29T23:59:59Z");
        assert_eq!(parse_utc("garbage"), None);
        assert_eq!(parse_utc("2026-13-01T00:00:00"), None);
    }
}
